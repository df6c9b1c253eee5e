import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildDaemon } from '../harness/child-daemon.js';
import { waitFor } from '../harness/wait.js';
import { embeddedDaemonEnv, startEmbeddedDaemon, type EmbeddedDaemonEnv } from './embedded-daemon.js';
import { redisServersIn } from './redis-processes.js';

// Issue 15, item 4: a crashed daemon must not leave its private redis-server running, and the
// next start must never run a second one on the same AOF directory.
describe('private redis-server after a daemon crash', () => {
  let setup: EmbeddedDaemonEnv | undefined;
  const daemons: ChildDaemon[] = [];

  afterAll(async () => {
    for (const d of daemons) await d.kill('SIGTERM');
    if (setup) {
      for (const pid of redisServersIn(join(setup.dataDir, 'redis'))) process.kill(pid, 'SIGKILL');
      await rm(setup.parent, { recursive: true, force: true });
    }
  });

  it('exits with its daemon, and a restart on the same data dir runs exactly one', async () => {
    setup = await embeddedDaemonEnv('orphan');
    const redisDir = join(setup.dataDir, 'redis');
    const first = await startEmbeddedDaemon(setup.env);
    daemons.push(first);
    const [firstRedis] = redisServersIn(redisDir);
    expect(firstRedis).toBeDefined();
    await first.kill('SIGKILL');

    const second = await startEmbeddedDaemon(setup.env);
    daemons.push(second);
    const servers = redisServersIn(redisDir);
    expect(servers).toHaveLength(1);
    expect(servers).not.toContain(firstRedis);

    // And the survivor stops with its own daemon, crash or not.
    await second.kill('SIGKILL');
    await waitFor(() => redisServersIn(redisDir).length === 0, { what: 'redis-server exits after its daemon died', timeoutMs: 10_000 });
  });

  it('stops a redis-server left on the data dir without its daemon (pidfile), then starts one', async () => {
    const redisDir = join(setup!.dataDir, 'redis');
    // As an older version would leave it: no parent to die, holding the AOF directory.
    const orphan = spawn('redis-server', [join(redisDir, 'redis.conf')], { detached: true, stdio: 'ignore' });
    orphan.unref();
    await waitFor(() => redisServersIn(redisDir).includes(orphan.pid!), { what: 'orphan redis-server up' });
    const third = await startEmbeddedDaemon(setup!.env);
    daemons.push(third);
    const servers = redisServersIn(redisDir);
    expect(servers).toHaveLength(1);
    expect(servers).not.toContain(orphan.pid);
  });
});
