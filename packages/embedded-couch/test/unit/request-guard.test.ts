import { describe, expect, it } from 'vitest';
import { guardRequest, isAllowedHost, isJsonType } from '../../src/request-guard.js';
import { withoutPaths } from '../../src/http.js';

describe('isAllowedHost', () => {
  it('accepts loopback names and addresses, with or without a port', () => {
    for (const h of ['localhost', 'localhost:5984', 'app.localhost:1', '127.0.0.1', '127.0.0.1:5984', '127.9.8.7:1', '[::1]:5984', '[::1]']) {
      expect({ h, ok: isAllowedHost(h, '127.0.0.1') }).toEqual({ h, ok: true });
    }
  });

  it('refuses other names (DNS rebinding), other addresses and a missing Host', () => {
    for (const h of [undefined, '', 'evil.example', 'evil.example:5984', '127.0.0.1.nip.io', 'localhost.evil.example', '10.0.0.5:5984', '[fe80::1]:5984']) {
      expect({ h, ok: isAllowedHost(h, '127.0.0.1') }).toEqual({ h, ok: false });
    }
  });

  it('accepts the bind address, and any IP literal (never a name) on a wildcard bind', () => {
    expect(isAllowedHost('10.0.0.5:5984', '10.0.0.5')).toBe(true);
    expect(isAllowedHost('10.0.0.6:5984', '10.0.0.5')).toBe(false);
    expect(isAllowedHost('10.0.0.6:5984', '0.0.0.0')).toBe(true);
    expect(isAllowedHost('couch.internal:5984', '0.0.0.0')).toBe(false);
  });
});

describe('isJsonType', () => {
  it('is true for JSON types and a missing type, false for what a browser sends without preflight', () => {
    for (const t of [undefined, '', 'application/json', 'Application/JSON; charset=utf-8', 'application/vnd.x+json'])
      expect({ t, ok: isJsonType(t) }).toEqual({ t, ok: true });
    for (const t of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json'])
      expect({ t, ok: isJsonType(t) }).toEqual({ t, ok: false });
  });
});

describe('guardRequest', () => {
  const base = { method: 'POST', first: 'db', headers: { host: '127.0.0.1:5984', 'content-length': '10', 'content-type': 'application/json' } };
  const status = (req: typeof base) => {
    try {
      guardRequest(req, '127.0.0.1');
      return 'ok';
    } catch (err) {
      return (err as { status: number }).status;
    }
  };

  it('passes a JSON POST to loopback', () => expect(status(base)).toBe('ok'));
  it('answers 400 for a foreign Host', () => expect(status({ ...base, headers: { ...base.headers, host: 'evil.example' } })).toBe(400));
  it('answers 403 for any Origin', () => expect(status({ ...base, headers: { ...base.headers, origin: 'http://127.0.0.1:5984' } } as typeof base)).toBe(403));
  it('answers 413 for a declared body over 64 MB', () =>
    expect(status({ ...base, headers: { ...base.headers, 'content-length': String(64 * 1024 * 1024 + 1) } })).toBe(413));
  it('answers 415 for a text/plain POST, not for the _session login form or a bodiless POST', () => {
    expect(status({ ...base, headers: { ...base.headers, 'content-type': 'text/plain' } })).toBe(415);
    expect(status({ ...base, first: '_session', headers: { ...base.headers, 'content-type': 'application/x-www-form-urlencoded' } })).toBe('ok');
    expect(status({ ...base, headers: { ...base.headers, 'content-type': 'text/plain', 'content-length': '0' } })).toBe('ok');
    expect(status({ ...base, method: 'PUT', headers: { ...base.headers, 'content-type': 'application/x-www-form-urlencoded' } })).toBe('ok');
  });
});

describe('withoutPaths', () => {
  it('keeps the last component of absolute paths and leaves names and ids alone', () => {
    expect(withoutPaths('IO error: /srv/data/couch/numbers%2F%2B1415/LOCK: Too many open files')).toBe('IO error: <data>/LOCK: Too many open files');
    expect(withoutPaths("missing design document _design/x in 'numbers/+1415'")).toBe("missing design document _design/x in 'numbers/+1415'");
  });
});
