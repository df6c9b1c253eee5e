// The server admin's credentials: HTTP basic auth or a CouchDB-style AuthSession cookie.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { credentialsMatch, parseBasicAuth, safeEqual } from './basic-auth.js';

export interface AdminCredentials {
  username: string;
  password: string;
}

export interface UserCtx {
  name: string | null;
  roles: string[];
}

export type AuthResult = { ok: true; userCtx: UserCtx; method: 'default' | 'cookie' } | { ok: false; reason: string };

/** CouchDB's default session lifetime. */
const SESSION_SECONDS = 600;

/**
 * There is no "admin party": the single configured admin is the only user. CouchDB 3 makes new
 * databases admin-only by default, so requiring admin everywhere matches what a stock CouchDB 3
 * does for other users.
 */
export class AdminAuth {
  private readonly secret = randomBytes(32);

  constructor(private readonly admin: AdminCredentials) {
    if (!admin.username || !admin.password) throw new Error('the embedded server needs an admin user name and password');
  }

  authenticate(req: IncomingMessage): AuthResult {
    const header = req.headers.authorization;
    if (header) {
      const given = parseBasicAuth(header);
      if (!given || !this.checkPassword(given.user, given.password)) return { ok: false, reason: 'Name or password is incorrect.' };
      return { ok: true, userCtx: adminCtx(given.user), method: 'default' };
    }
    const session = readCookie(req, 'AuthSession');
    if (session) {
      const name = this.verifySession(session);
      if (name) return { ok: true, userCtx: adminCtx(name), method: 'cookie' };
    }
    return { ok: false, reason: 'You are not authorized to access this db.' };
  }

  checkPassword(name: string, password: string): boolean {
    return credentialsMatch({ user: name, password }, { user: this.admin.username, password: this.admin.password });
  }

  /** Value for the AuthSession cookie: base64url("name:expiryHex:hmac"). */
  createSession(name: string): string {
    const expiry = (Math.floor(Date.now() / 1000) + SESSION_SECONDS).toString(16).toUpperCase();
    const payload = `${name}:${expiry}`;
    return Buffer.from(`${payload}:${this.sign(payload)}`).toString('base64url');
  }

  /** Set-Cookie value; an empty value deletes the cookie. Expires is what nano's cookie jar reads. */
  sessionCookie(value: string): string {
    const seconds = value ? SESSION_SECONDS : 0;
    const expires = new Date(value ? Date.now() + seconds * 1000 : 0).toUTCString();
    return `AuthSession=${value}; Version=1; Expires=${expires}; Max-Age=${seconds}; Path=/; HttpOnly`;
  }

  private verifySession(value: string): string | undefined {
    const decoded = Buffer.from(value, 'base64url').toString('utf8');
    const parts = decoded.split(':');
    if (parts.length < 3) return undefined;
    const mac = parts.pop()!;
    const expiry = parts.pop()!;
    const name = parts.join(':');
    if (!safeEqual(mac, this.sign(`${name}:${expiry}`))) return undefined;
    if (Number.parseInt(expiry, 16) * 1000 < Date.now()) return undefined;
    return name === this.admin.username ? name : undefined;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

export function adminCtx(name: string): UserCtx {
  return { name, roles: ['_admin'] };
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Fresh credentials for a server nobody configured one for: unguessable, URL-safe. */
export function randomAdmin(): AdminCredentials {
  return { username: 'admin', password: randomBytes(24).toString('base64url') };
}

/** "user:password" (EMBEDDED_COUCH_ADMIN, --admin) -> credentials; the password may contain ':'. */
export function parseAdminSpec(spec: string): AdminCredentials {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) throw new Error('admin credentials must be given as user:password');
  return { username: spec.slice(0, colon), password: spec.slice(colon + 1) };
}
