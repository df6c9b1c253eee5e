// Redis memory of the index: INFO used_memory deltas (private server) and MEMORY USAGE samples.
import type { Redis } from 'ioredis';
import { IndexKeys } from '../../src/index/keys.js';

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
}

async function meanUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
  const results = (await pipeline.exec()) ?? [];
  const sizes = results.map(([, v]) => Number(v ?? 0));
  return sizes.reduce((a, b) => a + b, 0) / sizes.length;
}

function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/**
 * Index bytes per indexed number from MEMORY USAGE of sampled keys: number values, account
 * sets and database sets, scaled to the whole index. Works on a shared Redis too.
 */
export async function indexBytesPerNumber(
  redis: Redis,
  prefix: string,
  numbers: readonly string[],
  accounts: readonly string[],
  dbs: readonly string[],
): Promise<{ perNumber: number; numberKey: number; accountSet: number; dbSet: number }> {
  const keys = new IndexKeys(prefix);
  const numberKey = await meanUsage(
    redis,
    sample(numbers, 1000).map((n) => keys.number(n)),
  );
  const accountSet = await meanUsage(
    redis,
    sample(accounts, 1000).map((a) => keys.account(a)),
  );
  const dbSet = await meanUsage(
    redis,
    dbs.map((d) => keys.db(d)),
  );
  const total = numberKey * numbers.length + accountSet * accounts.length + dbSet * dbs.length;
  return { perNumber: total / numbers.length, numberKey, accountSet, dbSet };
}
