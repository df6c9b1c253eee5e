/** `url` with the user and password of `from` (none when `from` has none): proxies keep credentials. */
export function carryCredentials(url: string, from: string): string {
  const source = new URL(from);
  const target = new URL(url);
  target.username = source.username;
  target.password = source.password;
  return target.href.replace(/\/$/, '');
}

/** `url` with these credentials. */
export function withCredentials(url: string, admin: { username: string; password: string }): string {
  const target = new URL(url);
  target.username = encodeURIComponent(admin.username);
  target.password = encodeURIComponent(admin.password);
  return target.href.replace(/\/$/, '');
}

/** `url` without credentials (for fetch, which refuses them, and for messages). */
export function withoutCredentials(url: string): string {
  const target = new URL(url);
  target.username = '';
  target.password = '';
  return target.href.replace(/\/$/, '');
}

/** Basic auth header of the credentials in `url`, for clients that take them as a header (fetch). */
export function authHeader(url: string): Record<string, string> {
  const { username, password } = new URL(url);
  if (!username) return {};
  return { authorization: `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}` };
}
