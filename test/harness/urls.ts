/** `url` with the user and password of `from` (none when `from` has none): proxies keep credentials. */
export function carryCredentials(url: string, from: string): string {
  const source = new URL(from);
  const target = new URL(url);
  target.username = source.username;
  target.password = source.password;
  return target.href.replace(/\/$/, '');
}
