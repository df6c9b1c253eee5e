// CouchDB names contain '/' and '+', which must be percent-encoded in HTTP paths.

/** 'numbers/+1415' -> 'numbers%2F%2B1415'; 'account/43/57/..' -> 'account%2F43%2F57%2F..'. */
export function encodeDbName(dbName: string): string {
  return encodeURIComponent(dbName);
}
