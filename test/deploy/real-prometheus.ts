import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../harness/wait.js';

/** A free TCP port on 127.0.0.1 (closed again; Prometheus binds it right after). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

/**
 * A real Prometheus server (the Debian `prometheus` binary) on a loopback port, with its own
 * temporary config and TSDB, scraping the given targets every second.
 */
export class RealPrometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly output: string[],
  ) {}

  static async start(opts: { binary: string; job: string; targets: string[]; ruleFiles: string[] }): Promise<RealPrometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'nsync-prometheus-'));
    const port = await freeLoopbackPort();
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      rule_files: opts.ruleFiles,
      scrape_configs: [{ job_name: opts.job, static_configs: [{ targets: opts.targets }] }],
    };
    // JSON is YAML.
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
    const child = spawn(
      opts.binary,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const prometheus = new RealPrometheus(`http://127.0.0.1:${port}`, child, dir, output);
    try {
      await waitFor(async () => (await fetch(`${prometheus.url}/-/ready`)).ok, {
        what: `prometheus ready; output: ${output.join('').slice(-2000)}`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    } catch (err) {
      await prometheus.stop();
      throw err;
    }
    return prometheus;
  }

  /** GET of an HTTP API path; throws when Prometheus answers an error. */
  async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as ApiAnswer<T>;
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
    return body.data;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
