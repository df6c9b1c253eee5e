import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from '../../src/util/free-port.js';
import { waitFor } from './wait.js';

/** Why a Sentinel test cannot run here, or undefined when `redis-sentinel` and `redis-server` exist. */
export function sentinelUnavailable(): string | undefined {
  for (const tool of ['redis-server', 'redis-sentinel']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (Debian: apt-get install redis-sentinel; .ci/run installs it)`;
  }
  return undefined;
}

interface Proc {
  port: number;
  child: ChildProcess;
  stderr: string;
}

/**
 * A Sentinel-managed Redis on loopback: one primary, replicas (`replicaof`), and three
 * sentinels with a quorum of 2 and short timeouts, so a killed primary is replaced in seconds.
 * Data nodes and sentinels all require a password (random), like a production setup.
 */
export class SentinelCluster {
  readonly name = 'nsync-test';
  readonly password = randomBytes(12).toString('hex');
  readonly sentinelPassword = randomBytes(12).toString('hex');
  private readonly dir = mkdtempSync(join(tmpdir(), 'nsync-sentinel-'));
  private readonly nodes: Proc[] = [];
  private readonly sentinelProcs: Proc[] = [];

  static async start(opts: { replicas?: number; sentinels?: number } = {}): Promise<SentinelCluster> {
    const cluster = new SentinelCluster();
    try {
      const primary = await cluster.startNode();
      for (let i = 0; i < (opts.replicas ?? 2); i++) await cluster.startNode(primary.port);
      await cluster.waitForReplicas(primary.port, opts.replicas ?? 2);
      for (let i = 0; i < (opts.sentinels ?? 3); i++) await cluster.startSentinel(primary.port, i);
      await cluster.waitForSentinelsToKnowEachOther();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** REDIS_SENTINELS for these sentinels. */
  get sentinelList(): string {
    return this.sentinelProcs.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /** The environment a daemon would be given. */
  env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinelList,
      REDIS_SENTINEL_NAME: this.name,
      REDIS_SENTINEL_PASSWORD: this.sentinelPassword,
      REDIS_PASSWORD: this.password,
    };
  }

  /** The port the sentinels (majority of those asked) name as primary. */
  async primaryPort(): Promise<number> {
    const sentinel = this.sentinelClient(this.sentinelProcs[0]!.port);
    try {
      const addr = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', this.name)) as [string, string];
      return Number(addr[1]);
    } finally {
      sentinel.disconnect();
    }
  }

  /** A redis:// URL (with the password) of the current primary, for test assertions. */
  async primaryUrl(): Promise<string> {
    return `redis://:${this.password}@127.0.0.1:${await this.primaryPort()}`;
  }

  /**
   * Stops every replica applying the replication stream for `ms` (CLIENT PAUSE WRITE). What the
   * primary acknowledges meanwhile is on no replica: a primary killed now loses exactly those
   * writes at the failover, like a lagging asynchronous replica would (deterministically).
   */
  async pauseReplicas(ms: number): Promise<void> {
    const primary = await this.primaryPort();
    for (const node of this.nodes) {
      if (node.port === primary || node.child.exitCode !== null || node.child.signalCode !== null) continue;
      const client = new Redis({ port: node.port, host: '127.0.0.1', password: this.password });
      try {
        await client.call('CLIENT', 'PAUSE', String(ms), 'WRITE');
      } finally {
        client.disconnect();
      }
    }
  }

  /** SIGKILLs the current primary; returns its port. */
  async killPrimary(): Promise<number> {
    const port = await this.primaryPort();
    const node = this.nodes.find((n) => n.port === port)!;
    node.child.kill('SIGKILL');
    await new Promise((resolve) => (node.child.exitCode !== null || node.child.signalCode !== null ? resolve(undefined) : node.child.once('exit', resolve)));
    return port;
  }

  /** Waits until every sentinel names a primary other than `oldPort` and it answers as master. */
  async waitForFailover(oldPort: number, timeoutMs = 30_000): Promise<number> {
    return waitFor<number | undefined>(
      async () => {
        const ports = new Set<number>();
        for (const s of this.sentinelProcs) {
          const client = this.sentinelClient(s.port);
          try {
            const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', this.name)) as [string, string];
            ports.add(Number(addr[1]));
          } finally {
            client.disconnect();
          }
        }
        const [port] = [...ports];
        if (ports.size !== 1 || port === oldPort) return undefined;
        const node = new Redis({
          port: port!,
          host: '127.0.0.1',
          password: this.password,
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        node.on('error', () => undefined);
        try {
          await node.connect();
          const role = (await node.call('ROLE')) as [string];
          return role[0] === 'master' ? port : undefined;
        } finally {
          node.disconnect();
        }
      },
      { what: 'the sentinels to promote a replica', timeoutMs, intervalMs: 200 },
    ) as Promise<number>;
  }

  async stop(): Promise<void> {
    for (const p of [...this.sentinelProcs, ...this.nodes]) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        const exited = new Promise((resolve) => p.child.once('exit', resolve));
        p.child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Logs of every process (for failure messages). */
  logs(): string {
    return [...this.nodes, ...this.sentinelProcs].map((p) => `--- :${p.port}\n${p.stderr.slice(-1500)}`).join('\n');
  }

  private async startNode(primaryPort?: number): Promise<Proc> {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--dbfilename', `dump-${port}.rdb`];
    args.push('--requirepass', this.password, '--masterauth', this.password, '--maxmemory-policy', 'noeviction', '--logfile', '');
    if (primaryPort) args.push('--replicaof', '127.0.0.1', String(primaryPort));
    const proc = this.spawn('redis-server', args, port);
    this.nodes.push(proc);
    await this.waitForPing(port, this.password, proc);
    return proc;
  }

  private async startSentinel(primaryPort: number, i: number): Promise<Proc> {
    const port = await freePort();
    const conf = join(this.dir, `sentinel-${i}.conf`);
    // Sentinel rewrites its config file: each gets its own, writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `requirepass ${this.sentinelPassword}`,
        `sentinel sentinel-pass ${this.sentinelPassword}`,
        `sentinel monitor ${this.name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel auth-pass ${this.name} ${this.password}`,
        `sentinel down-after-milliseconds ${this.name} 1000`,
        `sentinel failover-timeout ${this.name} 3000`,
        `sentinel parallel-syncs ${this.name} 1`,
        '',
      ].join('\n'),
    );
    const proc = this.spawn('redis-sentinel', [conf], port);
    this.sentinelProcs.push(proc);
    await this.waitForPing(port, this.sentinelPassword, proc);
    return proc;
  }

  private spawn(binary: string, args: string[], port: number): Proc {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const proc: Proc = { port, child, stderr: '' };
    const keep = (chunk: Buffer) => (proc.stderr = (proc.stderr + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return proc;
  }

  private async waitForPing(port: number, password: string, proc: Proc): Promise<void> {
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.stderr.slice(-1000)}`);
        const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      { what: `redis on port ${port}`, timeoutMs: 10_000, intervalMs: 100 },
    );
  }

  private async waitForReplicas(primaryPort: number, count: number): Promise<void> {
    const primary = new Redis({ port: primaryPort, host: '127.0.0.1', password: this.password });
    try {
      await waitFor(async () => /connected_slaves:(\d+)/.exec(await primary.info('replication'))?.[1] === String(count), {
        what: 'replicas to connect',
        timeoutMs: 15_000,
        intervalMs: 100,
      });
    } finally {
      primary.disconnect();
    }
  }

  private async waitForSentinelsToKnowEachOther(): Promise<void> {
    const others = String(this.sentinelProcs.length - 1);
    for (const s of this.sentinelProcs) {
      const client = this.sentinelClient(s.port);
      try {
        await waitFor(
          async () => {
            const master = (await client.call('SENTINEL', 'master', this.name)) as string[];
            const field = (key: string) => master[master.indexOf(key) + 1];
            return field('num-other-sentinels') === others && Number(field('num-slaves')) > 0;
          },
          { what: 'sentinels to discover each other and the replicas', timeoutMs: 20_000, intervalMs: 200 },
        );
      } finally {
        client.disconnect();
      }
    }
  }

  private sentinelClient(port: number): Redis {
    const client = new Redis({ port, host: '127.0.0.1', password: this.sentinelPassword, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    return client;
  }
}
