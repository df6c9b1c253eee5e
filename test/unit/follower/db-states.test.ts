import { describe, expect, it } from 'vitest';
import { CouchError, toCouchError } from '../../../src/couch/couch-error.js';
import type { CouchClient, DbInfoEntry } from '../../../src/couch/couch-client.js';
import { readDbStates } from '../../../src/follower/db-states.js';

/** A client whose _dbs_info takes at most `max` keys, as a server with a lower max_db_number_for_dbs_info_req. */
function server(max: number, calls: number[]): CouchClient {
  return {
    dbsInfo: async (names: readonly string[]) => {
      calls.push(names.length);
      if (names.length > max) throw toCouchError({ statusCode: 400, error: 'bad_request', reason: 'too_many_keys' }, 'POST /_dbs_info');
      return new Map<string, DbInfoEntry>(names.map((n) => [n, { updateSeq: `${n}-seq`, purgeSeq: 0 }]));
    },
  } as unknown as CouchClient;
}

describe('readDbStates', () => {
  const names = Array.from({ length: 7 }, (_, i) => `numbers/+${i}`);

  it('reads every name in batches of the given size', async () => {
    const calls: number[] = [];
    const states = await readDbStates(server(100, calls), names, undefined, 3);
    expect(calls).toEqual([3, 3, 1]);
    expect([...states!.keys()]).toEqual(names);
  });

  it('halves the batch while the server answers too_many_keys', async () => {
    const calls: number[] = [];
    const states = await readDbStates(server(2, calls), names, undefined, 8);
    expect(calls.filter((n) => n <= 2).reduce((a, b) => a + b, 0)).toBe(7);
    expect(states?.size).toBe(7);
  });

  it('gives up (undefined: drain everything) on a server without _dbs_info, and rethrows other errors', async () => {
    const without = { dbsInfo: async () => Promise.reject(new CouchError('bad_request', 400, 'illegal_database_name')) } as unknown as CouchClient;
    expect(await readDbStates(without, names)).toBeUndefined();
    const down = { dbsInfo: async () => Promise.reject(new CouchError('transient', 503, 'down')) } as unknown as CouchClient;
    await expect(readDbStates(down, names)).rejects.toThrow('down');
  });
});
