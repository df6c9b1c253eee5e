import { describe, expect, it } from 'vitest';
import { OpenDbs } from '../../src/open-dbs.js';

class FakeDb {
  closed = false;
  constructor(readonly name: string) {}
  async close(): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
  }
}

function cache(capacity: number) {
  const made: FakeDb[] = [];
  const dbs = new OpenDbs<FakeDb>((name) => {
    const db = new FakeDb(name);
    made.push(db);
    return db;
  }, capacity);
  return { dbs, made };
}

describe('OpenDbs', () => {
  it('keeps one instance per name while open', async () => {
    const { dbs, made } = cache(2);
    const [a, b] = await Promise.all([dbs.acquire('a'), dbs.acquire('a')]);
    expect(a.db).toBe(b.db);
    expect(made).toHaveLength(1);
  });

  it('closes the least recently used idle instances beyond capacity, never one in use', async () => {
    const { dbs, made } = cache(2);
    const a = await dbs.acquire('a');
    for (const name of ['b', 'c', 'd']) (await dbs.acquire(name)).release();
    expect(dbs.size).toBe(2); // 'a' (in use) and 'd'
    expect(made.filter((d) => d.closed || d.name === 'a').map((d) => d.name)).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 20));
    expect(made.filter((d) => d.closed).map((d) => d.name)).toEqual(['b', 'c']);
    expect(a.db.closed).toBe(false);
    a.release();
    a.release(); // twice is harmless
  });

  it('reopens a closed name only after its close finished', async () => {
    const { dbs, made } = cache(1);
    (await dbs.acquire('a')).release();
    (await dbs.acquire('b')).release(); // starts closing 'a'
    const again = await dbs.acquire('a');
    expect(made[0]!.closed).toBe(true);
    expect(again.db).not.toBe(made[0]);
    again.release();
  });
});
