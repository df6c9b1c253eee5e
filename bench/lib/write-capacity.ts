// The server's single-document write capacity: PUT updates of small docs, `clients` at a
// time, for `ms`, in a scratch database no daemon follows.
import pMap from 'p-map';
import type { World } from './world.js';
import { percentile } from './stats.js';

const DB = 'bench_write_capacity';

export interface Capacity {
  writesPerSecond: number;
  latencyMs: { p50: number; p99: number };
  clients: number;
}

export async function measureWriteCapacity(world: World, opts: { clients: number; ms: number }): Promise<Capacity> {
  await world.createDb(DB);
  const revs = new Map<string, string | undefined>();
  const latencies: number[] = [];
  const deadline = performance.now() + opts.ms;
  const start = performance.now();
  await pMap(
    Array.from({ length: opts.clients }, (_, i) => `doc${i}`),
    async (id) => {
      for (let v = 0; performance.now() < deadline; v++) {
        const rev = revs.get(id);
        const t = performance.now();
        const res = await world.couch.putDoc(DB, { _id: id, ...(rev ? { _rev: rev } : {}), pvt_state: 'in_service', pvt_modified: v });
        latencies.push(performance.now() - t);
        revs.set(id, res.rev);
      }
    },
    { concurrency: opts.clients },
  );
  const elapsed = performance.now() - start;
  await world.couch.request({ method: 'delete', db: DB }).catch(() => undefined);
  return {
    writesPerSecond: latencies.length / (elapsed / 1000),
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    clients: opts.clients,
  };
}
