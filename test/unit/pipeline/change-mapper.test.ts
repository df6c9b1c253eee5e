import { describe, expect, it } from 'vitest';
import { mapChanges, PageMapper } from '../../../src/listener/change-mapper.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const B = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const DB = 'numbers/+1415';

describe('mapChanges', () => {
  it('indexes a listed number with its accounts and entry', () => {
    const out = mapChanges(DB, [
      { id: '+14155550100', seq: 1, doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A, pvt_reserve_history: [B] } },
    ]);
    expect(out.invalid).toEqual([]);
    expect(out.changes).toEqual([
      {
        number: '+14155550100',
        value: { db: DB, accounts: [A, B].sort(), entry: { state: 'in_service', features: [], assigned_to: A, used_by: '', created: 0, updated: 0 } },
      },
    ]);
  });

  it('turns deletions and unlisted numbers into removals', () => {
    const out = mapChanges(DB, [
      { id: '+14155550100', seq: 1, deleted: true, doc: { _id: '+14155550100', _rev: '2-x', _deleted: true } },
      { id: '+14155550101', seq: 2, doc: { _id: '+14155550101', pvt_state: 'available' } },
    ]);
    expect(out.changes).toEqual([{ number: '+14155550100' }, { number: '+14155550101' }]);
  });

  it('keeps only the last row of a doc within a page', () => {
    const out = mapChanges(DB, [
      { id: '+14155550100', seq: 1, doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A } },
      { id: '+14155550100', seq: 2, deleted: true },
    ]);
    expect(out.changes).toEqual([{ number: '+14155550100' }]);
  });

  it('never touches the index for ids that do not belong to the database', () => {
    const out = mapChanges(DB, [
      { id: '_design/x', seq: 1, doc: { _id: '_design/x' } },
      { id: '+12125550199', seq: 2, doc: { _id: '+12125550199', pvt_state: 'in_service', pvt_assigned_to: A } },
      { id: 'junk', seq: 3, doc: { _id: 'junk' } },
    ]);
    expect(out.changes).toEqual([]);
    expect(out.invalid.map((r) => r.reason).sort()).toEqual(['bad_id', 'design_doc', 'wrong_database']);
  });

  it('removes a valid id whose content became invalid, and reports it', () => {
    const out = mapChanges(DB, [{ id: '+14155550100', seq: 1, doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: '../x' } }]);
    expect(out.changes).toEqual([{ number: '+14155550100' }]);
    expect(out.invalid).toMatchObject([{ id: '+14155550100', reason: 'bad_owner' }]);
  });

  it('reports sanitised parts as warnings and still indexes the number', () => {
    const out = mapChanges(DB, [
      { id: '+14155550100', seq: 1, doc: { _id: '+14155550100', pvt_state: 'reserved', pvt_assigned_to: A, pvt_reserve_history: [A, '_users'] } },
    ]);
    expect(out.warnings).toMatchObject([{ id: '+14155550100', reasons: { bad_history_id: 1 } }]);
    expect(out.changes[0]?.value?.accounts).toEqual([A]);
  });

  it('reports one warning per doc, with counts and a bounded sample', () => {
    const junk = Array.from({ length: 1000 }, (_, i) => `junk-${i}`);
    const out = mapChanges(DB, [
      {
        id: '+14155550100',
        seq: 1,
        changes: [{ rev: '3-a' }],
        doc: { _id: '+14155550100', pvt_state: 'reserved', pvt_assigned_to: A, pvt_reserve_history: [B, ...junk], pvt_features: [1, 2] },
      },
    ]);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatchObject({ id: '+14155550100', rev: '3-a', reasons: { history_truncated: 1, bad_history_id: 999, bad_feature: 2 } });
    expect(out.warnings[0]!.samples.length).toBeLessThanOrEqual(3 * 3);
    expect(out.changes[0]?.value?.accounts).toEqual([A, B].sort());
  });

  it("quarantines a doc by id: removed from the index when the id is the database's, reported as too_large", () => {
    const mapper = new PageMapper(DB);
    mapper.add({ id: '+14155550100', seq: 1, doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A } });
    mapper.quarantine('+14155550100', '2-b', 'too big');
    mapper.quarantine('+12125550100', '1-c', 'too big');
    const out = mapper.result();
    expect(out.changes).toEqual([{ number: '+14155550100' }]);
    expect(out.invalid).toEqual([
      { id: '+14155550100', rev: '2-b', reason: 'too_large', detail: 'too big' },
      { id: '+12125550100', rev: '1-c', reason: 'too_large', detail: 'too big' },
    ]);
  });
});
