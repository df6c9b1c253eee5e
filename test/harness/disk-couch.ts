import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminCredentials, FidelityOptions } from '@kazoo-numbers-sync/embedded-couch';
import { randomAdmin, startTestCouch, type TestCouch } from './test-couch.js';

/**
 * An embedded CouchDB-compatible server keeping its data on disk in a temporary directory of
 * its own, so it can be stopped and started again on the same port with the same data.
 * The directory also holds whatever else a fault test keeps on disk (`path`).
 */
export class DiskCouch {
  private constructor(
    readonly dir: string,
    private readonly admin: AdminCredentials,
    private readonly fidelity: FidelityOptions | undefined,
    private current: TestCouch | undefined,
  ) {}

  /** `fidelity`: default CouchDB 3's (see startTestCouch). */
  static async start(label: string, fidelity?: FidelityOptions): Promise<DiskCouch> {
    const dir = await mkdtemp(join(tmpdir(), `nsync-${label}-`));
    const admin = randomAdmin();
    return new DiskCouch(dir, admin, fidelity, await startTestCouch({ dataDir: join(dir, 'couch'), admin, fidelity }));
  }

  /** With the admin credentials, which stay the same across restarts. */
  get url(): string {
    return this.server.url;
  }

  /** Without credentials (for fetch). */
  get baseUrl(): string {
    return this.server.baseUrl;
  }

  get port(): number {
    return this.server.port;
  }

  /** A path inside the test's directory (e.g. a Redis data directory). */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Stops the server; `startServer(port)` brings it back with the same data. */
  async stopServer(): Promise<void> {
    const server = this.server;
    this.current = undefined;
    await server.stop();
  }

  async startServer(port: number): Promise<void> {
    this.current = await startTestCouch({ port, dataDir: this.path('couch'), admin: this.admin, fidelity: this.fidelity });
  }

  /** Stops the server and deletes the directory. */
  async close(): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
    await rm(this.dir, { recursive: true, force: true });
  }

  private get server(): TestCouch {
    if (!this.current) throw new Error('the embedded CouchDB server is stopped');
    return this.current;
  }
}
