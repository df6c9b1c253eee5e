import { describe, expect, it } from 'vitest';
import {
  MAX_FEATURE_LENGTH,
  MAX_FEATURES,
  MAX_LIST_ITEMS,
  MAX_STRING_LENGTH,
  readNumberDoc,
  type NumberInfo,
  type ReadResult,
} from '../../../src/rules/number-doc.js';
import { entryData, entryFor } from '../../../src/rules/listing.js';

const A = '43579fc0a3aa11e29e960800200c9a66';
const B = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const DB = 'numbers/+1415';
const NUM = '+14158867900';

function doc(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { _id: NUM, _rev: '1-abc', pvt_state: 'in_service', pvt_assigned_to: A, ...extra };
}

function ok(result: ReadResult): { info: NumberInfo; warnings: { reason: string; detail: string }[] } {
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}: ${result.detail}`);
  return result;
}

function reasons(result: ReadResult): string[] {
  return ok(result).warnings.map((w) => w.reason);
}

describe('readNumberDoc: a full KAZOO doc', () => {
  it('reads every field', () => {
    const r = ok(
      readNumberDoc(
        {
          _id: NUM,
          _rev: '3-x',
          pvt_state: 'in_service',
          pvt_assigned_to: A,
          pvt_reserve_history: [B, A],
          pvt_features: ['dash_e911', 'outbound_cnam'],
          pvt_used_by: 'callflow',
          pvt_created: 63520338360,
          pvt_modified: 63529420348,
          pvt_db_name: 'numbers%2F%2B1415',
        },
        DB,
      ),
    );
    expect(r.info).toEqual({
      number: NUM,
      state: 'in_service',
      owner: A,
      history: [B, A],
      features: ['dash_e911', 'outbound_cnam'],
      usedBy: 'callflow',
      created: 63520338360,
      updated: 63529420348,
      deleted: false,
    });
    expect(r.warnings).toEqual([]);
  });

  it('defaults the optional fields', () => {
    const r = ok(readNumberDoc({ _id: NUM, pvt_state: 'available' }, DB));
    expect(r.info).toEqual({
      number: NUM,
      state: 'available',
      history: [],
      features: [],
      usedBy: '',
      created: 0,
      updated: 0,
      deleted: false,
    });
    expect('owner' in r.info).toBe(false);
    expect(r.warnings).toEqual([]);
  });
});

describe('readNumberDoc: invalid docs', () => {
  it.each([null, undefined, 'x', 42, true, [doc()]])('not_object for %j', (d) => {
    expect(readNumberDoc(d, DB)).toMatchObject({ ok: false, reason: 'not_object' });
  });

  it('design docs', () => {
    expect(readNumberDoc({ _id: '_design/numbers', views: {} }, DB)).toMatchObject({
      ok: false,
      reason: 'design_doc',
    });
  });

  it.each([
    ['missing', undefined],
    ['not normalised', '4158867900'],
    ['with spaces', '+1 415 886 7900'],
    ['too short', '+1415'],
    ['not a string', 14158867900],
    ['local doc', '_local/x'],
  ])('bad_id when _id is %s', (_, id) => {
    expect(readNumberDoc(doc({ _id: id }), DB)).toMatchObject({ ok: false, reason: 'bad_id' });
  });

  it.each(['numbers/+1212', 'numbers/managed', 'numbers%2F%2B1415', 'numbers/+14158', ''])('wrong_database when found in %j', (db) => {
    expect(readNumberDoc(doc(), db)).toMatchObject({ ok: false, reason: 'wrong_database' });
  });

  it.each([
    ['missing', {}],
    ['empty', { pvt_state: '' }],
    ['a number', { pvt_state: 3 }],
    ['an object', { pvt_state: { s: 'in_service' } }],
    ['too long', { pvt_state: 'x'.repeat(MAX_STRING_LENGTH + 1) }],
  ])('bad_state when state is %s', (_, extra) => {
    const d = doc(extra);
    if (!('pvt_state' in extra)) delete d.pvt_state;
    expect(readNumberDoc(d, DB)).toMatchObject({ ok: false, reason: 'bad_state' });
  });

  it.each(['_users', '../x', 'account/..', A.toUpperCase(), A.slice(1), `${A}0`, 42, true, [A], { id: A }])('bad_owner for pvt_assigned_to %j', (owner) => {
    expect(readNumberDoc(doc({ pvt_assigned_to: owner }), DB)).toMatchObject({ ok: false, reason: 'bad_owner' });
  });

  it('keeps details short for huge hostile values', () => {
    const r = readNumberDoc(doc({ pvt_assigned_to: 'y'.repeat(1_000_000) }), DB);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail.length).toBeLessThan(300);
  });
});

describe('readNumberDoc: state', () => {
  it('prefers pvt_state', () => {
    expect(ok(readNumberDoc(doc({ pvt_state: 'reserved', pvt_number_state: 'in_service' }), DB)).info.state).toBe('reserved');
  });
  it('falls back to pvt_number_state (older KAZOO docs)', () => {
    const d = doc({ pvt_number_state: 'port_in' });
    delete d.pvt_state;
    expect(ok(readNumberDoc(d, DB)).info.state).toBe('port_in');
  });
  it('treats pvt_state null as absent', () => {
    expect(ok(readNumberDoc(doc({ pvt_state: null, pvt_number_state: 'reserved' }), DB)).info.state).toBe('reserved');
  });
  it('keeps unknown states as they are (they only matter for listing)', () => {
    expect(ok(readNumberDoc(doc({ pvt_state: 'discovery' }), DB)).info.state).toBe('discovery');
    expect(ok(readNumberDoc(doc({ pvt_state: 'weird' }), DB)).info.state).toBe('weird');
  });
});

describe('readNumberDoc: owner', () => {
  it.each([undefined, null, ''])('%j means unassigned', (owner) => {
    const r = ok(readNumberDoc(doc({ pvt_assigned_to: owner }), DB));
    expect(r.info.owner).toBeUndefined();
    expect('owner' in r.info).toBe(false);
  });
});

describe('readNumberDoc: deleted docs', () => {
  it('a changes-feed tombstone is ok and deleted', () => {
    const r = ok(readNumberDoc({ _id: NUM, _rev: '2-x', _deleted: true }, DB));
    expect(r.info).toMatchObject({ number: NUM, deleted: true, state: '' });
    expect(r.warnings).toEqual([]);
  });
  it('pvt_deleted: true is deleted', () => {
    expect(ok(readNumberDoc(doc({ pvt_deleted: true }), DB)).info.deleted).toBe(true);
  });
  it('only boolean true counts', () => {
    expect(ok(readNumberDoc(doc({ pvt_deleted: 'true', _deleted: 1 }), DB)).info.deleted).toBe(false);
  });
  it('bad owner / state / junk do not matter once deleted', () => {
    const r = ok(readNumberDoc(doc({ pvt_deleted: true, pvt_assigned_to: '../x', pvt_state: 5, pvt_features: 7 }), DB));
    expect(r.info).toMatchObject({ deleted: true, state: '' });
    expect(r.info.owner).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });
  it('still needs a valid id in the right db', () => {
    expect(readNumberDoc({ _id: 'junk', _deleted: true }, DB)).toMatchObject({ ok: false, reason: 'bad_id' });
    expect(readNumberDoc({ _id: NUM, _deleted: true }, 'numbers/+1212')).toMatchObject({
      ok: false,
      reason: 'wrong_database',
    });
    expect(readNumberDoc({ _id: '_design/x', _deleted: true }, DB)).toMatchObject({ ok: false, reason: 'design_doc' });
  });
});

describe('readNumberDoc: reserve history', () => {
  it('keeps valid ids, removes duplicates, keeps order', () => {
    const r = ok(readNumberDoc(doc({ pvt_reserve_history: [B, A, B, A] }), DB));
    expect(r.info.history).toEqual([B, A]);
    expect(r.warnings).toEqual([]);
  });
  it('ignores invalid ids with a warning each', () => {
    const r = ok(readNumberDoc(doc({ pvt_reserve_history: [B, '_users', null, A.toUpperCase(), 7] }), DB));
    expect(r.info.history).toEqual([B]);
    expect(reasons(readNumberDoc(doc({ pvt_reserve_history: [B, '_users', null] }), DB))).toEqual(['bad_history_id', 'bad_history_id']);
    expect(r.warnings[0]!.detail).toContain(NUM);
  });
  it.each([A, { A: true }, 5, true])('non-array %j counts as empty with a warning', (h) => {
    const r = readNumberDoc(doc({ pvt_reserve_history: h }), DB);
    expect(ok(r).info.history).toEqual([]);
    expect(reasons(r)).toEqual(['bad_history']);
  });
  it('null counts as empty silently', () => {
    const r = readNumberDoc(doc({ pvt_reserve_history: null }), DB);
    expect(ok(r).info.history).toEqual([]);
    expect(reasons(r)).toEqual([]);
  });
  it('reads at most MAX_LIST_ITEMS items', () => {
    const huge = Array.from({ length: MAX_LIST_ITEMS + 5 }, (_, i) => i.toString(16).padStart(32, '0'));
    const r = readNumberDoc(doc({ pvt_reserve_history: huge }), DB);
    expect(ok(r).info.history).toHaveLength(MAX_LIST_ITEMS);
    expect(reasons(r)).toEqual(['history_truncated']);
  });
});

describe('readNumberDoc: features', () => {
  it('array taken as is', () => {
    expect(ok(readNumberDoc(doc({ pvt_features: ['b', 'a'] }), DB)).info.features).toEqual(['b', 'a']);
  });
  it('object means its keys', () => {
    const f = { dash_e911: { street: 'x' }, outbound_cnam: {} };
    expect(ok(readNumberDoc(doc({ pvt_features: f }), DB)).info.features).toEqual(['dash_e911', 'outbound_cnam']);
  });
  it('a JSON __proto__ key is just a name', () => {
    const f = JSON.parse('{"__proto__": {}, "cnam": {}}') as unknown;
    expect(ok(readNumberDoc(doc({ pvt_features: f }), DB)).info.features).toEqual(['__proto__', 'cnam']);
  });
  it('duplicates removed, order kept', () => {
    expect(ok(readNumberDoc(doc({ pvt_features: ['x', 'y', 'x', 'z', 'y'] }), DB)).info.features).toEqual(['x', 'y', 'z']);
  });
  it.each(['wnm_local', 'knm_local'])('%s appends "local"', (mod) => {
    expect(ok(readNumberDoc(doc({ pvt_module_name: mod }), DB)).info.features).toEqual(['local']);
    expect(ok(readNumberDoc(doc({ pvt_module_name: mod, pvt_features: ['cnam'] }), DB)).info.features).toEqual(['cnam', 'local']);
  });
  it('"local" is not appended twice', () => {
    const d = doc({ pvt_module_name: 'wnm_local', pvt_features: ['local', 'cnam'] });
    expect(ok(readNumberDoc(d, DB)).info.features).toEqual(['local', 'cnam']);
    const d2 = doc({ pvt_module_name: 'knm_local', pvt_features: { local: {}, cnam: {} } });
    expect(ok(readNumberDoc(d2, DB)).info.features).toEqual(['local', 'cnam']);
  });
  it.each(['wnm_bandwidth', 'knm_other', 'local', null, 3])('module %j adds nothing', (mod) => {
    expect(ok(readNumberDoc(doc({ pvt_module_name: mod }), DB)).info.features).toEqual([]);
  });
  it('non-string array items dropped with warnings', () => {
    const r = readNumberDoc(doc({ pvt_features: ['a', 1, null, { b: 1 }, 'c'] }), DB);
    expect(ok(r).info.features).toEqual(['a', 'c']);
    expect(reasons(r)).toEqual(['bad_feature', 'bad_feature', 'bad_feature']);
  });
  it.each(['cnam', 5, true])('scalar %j -> [] with a warning', (f) => {
    const r = readNumberDoc(doc({ pvt_features: f, pvt_module_name: 'wnm_local' }), DB);
    expect(ok(r).info.features).toEqual(['local']);
    expect(reasons(r)).toEqual(['bad_features']);
  });
  it('null -> [] silently', () => {
    expect(reasons(readNumberDoc(doc({ pvt_features: null }), DB))).toEqual([]);
  });
  it('caps hostile sizes', () => {
    const many = Array.from({ length: MAX_LIST_ITEMS * 3 }, (_, i) => `f${i}`);
    const r1 = readNumberDoc(doc({ pvt_features: many, pvt_module_name: 'wnm_local' }), DB);
    expect(ok(r1).info.features).toHaveLength(MAX_FEATURES + 1);
    expect(ok(r1).info.features.at(-1)).toBe('local');
    expect(reasons(r1)).toEqual(['features_truncated']);

    const manyKeys = Object.fromEntries(many.map((k) => [k, {}]));
    expect(ok(readNumberDoc(doc({ pvt_features: manyKeys }), DB)).info.features).toHaveLength(MAX_FEATURES);

    const long = 'z'.repeat(MAX_FEATURE_LENGTH + 1);
    const r2 = readNumberDoc(doc({ pvt_features: ['ok', long, 'z'.repeat(MAX_FEATURE_LENGTH)] }), DB);
    expect(ok(r2).info.features).toEqual(['ok', 'z'.repeat(MAX_FEATURE_LENGTH)]);
    expect(reasons(r2)).toEqual(['feature_too_long']);
    expect(ok(r2).warnings[0]!.detail.length).toBeLessThan(200);
  });
  it('bounds what one number adds to each account doc listing it', () => {
    const hostile = doc({
      pvt_features: Array.from({ length: MAX_LIST_ITEMS }, (_, i) => `${i}`.padEnd(MAX_FEATURE_LENGTH, 'f')),
      pvt_used_by: 'u'.repeat(MAX_STRING_LENGTH),
      pvt_state: 's'.repeat(MAX_STRING_LENGTH),
      pvt_reserve_history: [B],
    });
    const entry = entryFor(entryData(ok(readNumberDoc(hostile, DB)).info), B);
    expect(JSON.stringify(entry).length).toBeLessThan(5 * 1024);
  });
});

describe('readNumberDoc: used_by', () => {
  it.each([
    [{ pvt_used_by: 'callflow' }, 'callflow'],
    [{ used_by: 'trunkstore' }, 'trunkstore'],
    [{ pvt_used_by: 'callflow', used_by: 'trunkstore' }, 'callflow'],
    [{ pvt_used_by: null, used_by: 'trunkstore' }, 'trunkstore'],
    [{ pvt_used_by: '', used_by: 'trunkstore' }, ''],
    [{ pvt_used_by: 'undefined' }, ''],
    [{ used_by: 'undefined' }, ''],
    [{}, ''],
  ])('%j -> %j', (extra, expected) => {
    const r = readNumberDoc(doc(extra), DB);
    expect(ok(r).info.usedBy).toBe(expected);
    expect(reasons(r)).toEqual([]);
  });
  it.each([5, {}, ['callflow'], true])('non-string %j -> "" with a warning', (u) => {
    const r = readNumberDoc(doc({ pvt_used_by: u }), DB);
    expect(ok(r).info.usedBy).toBe('');
    expect(reasons(r)).toEqual(['bad_used_by']);
  });
  it('too long -> "" with a warning', () => {
    const r = readNumberDoc(doc({ pvt_used_by: 'c'.repeat(MAX_STRING_LENGTH + 1) }), DB);
    expect(ok(r).info.usedBy).toBe('');
    expect(reasons(r)).toEqual(['used_by_too_long']);
  });
});

describe('readNumberDoc: timestamps', () => {
  it.each([
    [63520338360, 63520338360],
    [0, 0],
    ['63520338360', 0],
    [null, 0],
    [Infinity, 0],
    [NaN, 0],
  ])('%j -> %j', (v, expected) => {
    const info = ok(readNumberDoc(doc({ pvt_created: v, pvt_modified: v }), DB)).info;
    expect(info.created).toBe(expected);
    expect(info.updated).toBe(expected);
  });
});

describe('readNumberDoc: purity', () => {
  it('does not mutate the doc and returns fresh arrays', () => {
    const d = doc({ pvt_features: ['a', 'a'], pvt_reserve_history: [A, A], pvt_module_name: 'wnm_local' });
    const copy = structuredClone(d);
    const r = ok(readNumberDoc(d, DB));
    expect(d).toEqual(copy);
    expect(r.info.features).not.toBe(d.pvt_features);
    expect(r.info.history).not.toBe(d.pvt_reserve_history);
  });
});

describe('readNumberDoc: wrong types that are sanitised, not silently', () => {
  it.each([
    ['pvt_created', 'yesterday'],
    ['pvt_modified', { at: 1 }],
  ])('%s of the wrong type reads as 0 with bad_timestamp', (key, value) => {
    const r = ok(readNumberDoc(doc({ [key]: value }), DB));
    expect(key === 'pvt_created' ? r.info.created : r.info.updated).toBe(0);
    expect(reasons(readNumberDoc(doc({ [key]: value }), DB))).toEqual(['bad_timestamp']);
  });
  it('missing or null timestamps are 0 without a warning', () => {
    expect(reasons(readNumberDoc(doc({ pvt_created: null }), DB))).toEqual([]);
  });
  it('a non-string pvt_module_name is ignored with bad_module_name', () => {
    const r = ok(readNumberDoc(doc({ pvt_module_name: ['wnm_local'] }), DB));
    expect(r.info.features).toEqual([]);
    expect(r.warnings.map((w) => w.reason)).toEqual(['bad_module_name']);
  });
  it('a non-boolean pvt_deleted leaves the doc live with bad_deleted', () => {
    const r = ok(readNumberDoc(doc({ pvt_deleted: 'true' }), DB));
    expect(r.info.deleted).toBe(false);
    expect(r.warnings.map((w) => w.reason)).toEqual(['bad_deleted']);
  });
});

describe("readNumberDoc: KAZOO's fixture data (account ids of [0-9a-z], not hex)", () => {
  const K2 = 'account0000000000000000000000002';
  const K3 = 'account0000000000000000000000003';
  it('reads a fixture doc as KAZOO wrote it', () => {
    // core/kazoo_fixturedb: account%2Fac%2Fco%2Funt0000000000000000000000002/docs/%2B14252151008.json
    const r = ok(
      readNumberDoc(
        {
          _id: '+14252151008',
          _rev: '2-7dddead523e81a4e3c2689140ed3abeef',
          pvt_assigned_to: K2,
          pvt_created: 63565935000,
          pvt_db_name: 'numbers%2F%2B1425',
          pvt_features: { local: {} },
          pvt_modified: 63565935527,
          pvt_module_name: 'knm_local',
          pvt_reserve_history: [K2],
          pvt_state: 'port_in',
        },
        'numbers/+1425',
      ),
    );
    expect(r.warnings).toEqual([]);
    expect(r.info).toStrictEqual({
      number: '+14252151008',
      state: 'port_in',
      owner: K2,
      history: [K2],
      features: ['local'],
      usedBy: '',
      created: 63565935000,
      updated: 63565935527,
      deleted: false,
    });
  });
  it('keeps a history of two fixture accounts', () => {
    expect(ok(readNumberDoc(doc({ pvt_assigned_to: K3, pvt_reserve_history: [K2, K3] }), DB)).info).toMatchObject({ owner: K3, history: [K2, K3] });
  });
  it.each([
    ['uppercase', K2.toUpperCase()],
    ['punctuation', 'account-000000000000000000000002'],
    ['33 characters', `${K2}0`],
  ])('still rejects an owner in %s', (_, owner) => {
    expect(readNumberDoc(doc({ pvt_assigned_to: owner }), DB)).toMatchObject({ ok: false, reason: 'bad_owner' });
  });
});
