// Credentials carried in a URL (http://user:password@host). Lives with the embedded server, which
// imports nothing from the daemon; the daemon, its CouchDB client and the tests use it from here.

/** `url` with these credentials, URL-encoded; no trailing slash. */
export function withCredentials(url: string, admin: { username: string; password: string }): string {
  const target = new URL(url);
  target.username = encodeURIComponent(admin.username);
  target.password = encodeURIComponent(admin.password);
  return target.href.replace(/\/$/, '');
}

/** `url` without credentials (for fetch, which refuses them, and for messages); no trailing slash. */
export function withoutCredentials(url: string | URL): string {
  const target = new URL(url);
  target.username = '';
  target.password = '';
  return target.href.replace(/\/$/, '');
}

/** The basic-auth header standing for the credentials in `url`; none when it carries none. */
export function basicAuthHeader(url: string | URL): Record<string, string> {
  const { username, password } = new URL(url);
  if (!username && !password) return {};
  return { authorization: `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}` };
}
