import { describe, expect, it } from 'vitest';
import { InvalidAccountIdError } from '../../../src/rules/account.js';
import { PHONE_NUMBERS_DOC_ID, buildAccountDoc, isNumberKey } from '../../../src/rules/account-doc.js';
import type { EntryData } from '../../../src/rules/listing.js';

const A = '43579fc0a3aa11e29e960800200c9a66';
const B = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const ENC = 'account%2F43%2F57%2F9fc0a3aa11e29e960800200c9a66';
const T1 = 63871286400;
const T2 = T1 + 60;
const N1 = '+14158867900';
const N2 = '+14158867901';

const DATA: EntryData = {
  state: 'in_service',
  features: ['dash_e911', 'outbound_cnam'],
  assigned_to: A,
  used_by: 'callflow',
  created: 63520338360,
  updated: 63529420348,
};
const ENTRY = { ...DATA, on_subaccount: false };

function envelope(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: 'phone_numbers',
    pvt_type: 'phone_numbers',
    pvt_vsn: '1',
    pvt_account_db: ENC,
    pvt_account_id: A,
    pvt_created: T1,
    pvt_modified: T1,
    ...extra,
  };
}

describe('isNumberKey', () => {
  it.each([
    ['+14158867900', true],
    ['junk', true],
    ['_id', false],
    ['_attachments', false],
    ['pvt_type', false],
    ['pvt_', false],
    ['pvtx', true],
  ])('%s -> %s', (k, v) => {
    expect(isNumberKey(k)).toBe(v);
  });
});

describe('buildAccountDoc: creating', () => {
  it.each([undefined, null])('existing %j: full canonical doc, changed', (existing) => {
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T1 });
    expect(changed).toBe(true);
    expect(doc).toEqual({ ...envelope(), [N1]: ENTRY });
    expect(PHONE_NUMBERS_DOC_ID).toBe('phone_numbers');
    expect(Object.keys(doc)).toEqual(['_id', 'pvt_type', 'pvt_vsn', 'pvt_account_db', 'pvt_account_id', 'pvt_created', 'pvt_modified', N1]);
  });

  it('an empty doc is still created (the account db exists)', () => {
    const r = buildAccountDoc({ accountId: A, entries: new Map(), now: T1 });
    expect(r).toEqual({ doc: envelope(), changed: true });
  });

  it('accepts a Map and sorts numbers', () => {
    const entries = new Map([
      [N2, DATA],
      [N1, DATA],
    ]);
    const { doc } = buildAccountDoc({ accountId: A, entries, now: T1 });
    expect(Object.keys(doc).filter(isNumberKey)).toEqual([N1, N2]);
  });
});

describe('buildAccountDoc: security', () => {
  it.each(['_users', '../x', 'account/..', A.toUpperCase(), A.slice(1), `${A}0`, '', null, 5])('throws InvalidAccountIdError for %j', (id) => {
    expect(() => buildAccountDoc({ accountId: id as string, entries: {}, now: T1 })).toThrow(InvalidAccountIdError);
  });

  it.each(['_id', 'pvt_account_id', 'junk', '__proto__', '+1'])('rejects entry key %j', (k) => {
    const entries = new Map([[k, DATA]]);
    expect(() => buildAccountDoc({ accountId: A, entries, now: T1 })).toThrow(TypeError);
  });

  it('a hostile __proto__ key in the existing doc is dropped, never pollutes', () => {
    const existing = JSON.parse(`{"_id":"phone_numbers","__proto__":{"polluted":true},"pvt_x":1,"_rev":"1-a"}`) as Record<string, unknown>;
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: {}, now: T1 });
    expect(changed).toBe(true);
    expect(Object.hasOwn(doc, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect((doc as { polluted?: unknown }).polluted).toBeUndefined();
    expect(doc.pvt_x).toBe(1);
  });
});

describe('buildAccountDoc: envelope', () => {
  it('rewrites wrong canonical values', () => {
    const existing = envelope({
      _id: 'wrong',
      _rev: '7-x',
      pvt_type: 'other',
      pvt_vsn: 1,
      pvt_account_db: 'account/43/57/9fc0a3aa11e29e960800200c9a66',
      pvt_account_id: B,
    });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: {}, now: T2 });
    expect(changed).toBe(true);
    expect(doc).toEqual(envelope({ _rev: '7-x', pvt_modified: T2 }));
  });

  it('keeps pvt_created when it is a number', () => {
    const { doc } = buildAccountDoc({ accountId: A, existing: envelope({ pvt_created: 123 }), entries: {}, now: T2 });
    expect(doc.pvt_created).toBe(123);
    expect(doc.pvt_modified).toBe(T2);
  });

  it.each([undefined, null, '123', {}])('sets pvt_created = now when it is %j', (c) => {
    const existing = envelope({ pvt_created: c });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: {}, now: T2 });
    expect(doc.pvt_created).toBe(T2);
    expect(changed).toBe(true);
  });

  it('keeps _rev, _attachments and other pvt_* keys; drops other _ keys', () => {
    const attachments = { 'x.pdf': { stub: true, content_type: 'application/pdf', length: 3, digest: 'md5-x' } };
    const existing = envelope({
      _rev: '3-abc',
      _attachments: attachments,
      _conflicts: ['2-x'],
      _revisions: { start: 3, ids: ['abc'] },
      pvt_tree: [B],
      pvt_auth_user_id: 'u',
    });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: {}, now: T2 });
    expect(doc).toEqual(envelope({ _rev: '3-abc', _attachments: attachments, pvt_tree: [B], pvt_auth_user_id: 'u', pvt_modified: T2 }));
    expect(Object.keys(doc)).toEqual([
      '_id',
      '_rev',
      'pvt_type',
      'pvt_vsn',
      'pvt_account_db',
      'pvt_account_id',
      'pvt_created',
      'pvt_modified',
      'pvt_tree',
      'pvt_auth_user_id',
      '_attachments',
    ]);
    // Read-only metadata from GET options must not force a write.
    expect(changed).toBe(false);
  });
});

describe('buildAccountDoc: entries', () => {
  it('public keys become exactly the listed numbers', () => {
    const existing = envelope({ [N1]: ENTRY, [N2]: ENTRY, junk: 1, '+19999999999': 'x' });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 });
    expect(changed).toBe(true);
    expect(doc).toEqual(envelope({ pvt_modified: T2, [N1]: ENTRY }));
  });

  it('recomputes every key of an entry except locality', () => {
    const locality = { city: 'San Francisco', state: 'CA' };
    const existing = envelope({
      [N1]: { state: 'reserved', features: [], on_subaccount: true, extra: 1, locality },
    });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 });
    expect(changed).toBe(true);
    expect(doc[N1]).toEqual({ ...ENTRY, locality });
    expect(Object.keys(doc[N1] as object)).toEqual(['state', 'features', 'assigned_to', 'on_subaccount', 'used_by', 'created', 'updated', 'locality']);
  });

  it('keeps a locality key even when its value is null', () => {
    const existing = envelope({ [N1]: { ...ENTRY, locality: null } });
    const { doc, changed } = buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 });
    expect(doc[N1]).toEqual({ ...ENTRY, locality: null });
    expect(changed).toBe(false);
  });

  it('does not invent locality, and a removed number loses it', () => {
    const existing = envelope({ [N2]: { ...ENTRY, locality: { x: 1 } } });
    const { doc } = buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 });
    expect(doc[N1]).toEqual(ENTRY);
    expect(doc[N2]).toBeUndefined();
  });

  it('on_subaccount is per account', () => {
    const { doc } = buildAccountDoc({ accountId: B, entries: { [N1]: DATA }, now: T1 });
    expect(doc[N1]).toEqual({ ...DATA, on_subaccount: true });
  });

  it('entries do not alias the input data', () => {
    const { doc } = buildAccountDoc({ accountId: A, entries: { [N1]: DATA }, now: T1 });
    expect((doc[N1] as EntryData).features).not.toBe(DATA.features);
  });
});

describe('buildAccountDoc: no-op rule', () => {
  it('unchanged when only pvt_modified would differ', () => {
    const first = buildAccountDoc({ accountId: A, entries: { [N1]: DATA }, now: T1 });
    const stored = { ...structuredClone(first.doc), _rev: '1-a' };
    const again = buildAccountDoc({ accountId: A, existing: stored, entries: { [N1]: DATA }, now: T2 });
    expect(again.changed).toBe(false);
    expect(again.doc.pvt_modified).toBe(T2);
  });

  it('key order does not matter', () => {
    const existing = {
      [N1]: {
        updated: DATA.updated,
        created: DATA.created,
        used_by: 'callflow',
        on_subaccount: false,
        assigned_to: A,
        features: DATA.features,
        state: 'in_service',
      },
      pvt_modified: 1,
      pvt_created: T1,
      pvt_account_id: A,
      pvt_account_db: ENC,
      pvt_vsn: '1',
      pvt_type: 'phone_numbers',
      _rev: '9-z',
      _id: 'phone_numbers',
    };
    expect(buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 }).changed).toBe(false);
  });

  it('a missing pvt_modified alone is not a change', () => {
    const existing = envelope();
    delete existing.pvt_modified;
    expect(buildAccountDoc({ accountId: A, existing, entries: {}, now: T2 }).changed).toBe(false);
  });

  it.each([
    ['features order', { features: ['outbound_cnam', 'dash_e911'] }],
    ['state', { state: 'reserved' }],
    ['used_by', { used_by: '' }],
    ['on_subaccount', { on_subaccount: true }],
    ['updated', { updated: 1 }],
    ['missing assigned_to', { assigned_to: undefined }],
    ['extra key', { extra: true }],
  ])('changed when the entry differs in %s', (_, patch) => {
    const existing = envelope({ [N1]: { ...ENTRY, ...patch } });
    expect(buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 }).changed).toBe(true);
  });

  it('changed when pvt_vsn is the number 1 (must be the string "1")', () => {
    expect(buildAccountDoc({ accountId: A, existing: envelope({ pvt_vsn: 1 }), entries: {}, now: T2 }).changed).toBe(true);
  });

  it('a non-object existing doc counts as missing', () => {
    const r = buildAccountDoc({ accountId: A, existing: [] as unknown as Record<string, unknown>, entries: {}, now: T1 });
    expect(r).toEqual({ doc: envelope(), changed: true });
  });

  it('does not mutate existing', () => {
    const existing = envelope({ [N2]: ENTRY, _rev: '1-a' });
    const copy = structuredClone(existing);
    buildAccountDoc({ accountId: A, existing, entries: { [N1]: DATA }, now: T2 });
    expect(existing).toEqual(copy);
  });
});
