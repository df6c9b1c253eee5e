import { CouchClient } from '../../src/couch/couch-client.js';
import { accountDbName, numberDbName } from '../../src/rules/index.js';
import { Random } from '../harness/random.js';
import { freshAccountId, freshNumbers } from '../harness/ids.js';

/** What the test believes a number doc is; the expected listing is derived from it independently. */
interface NumberModel {
  state: string;
  owner?: string;
  history: string[];
  usedBy: string;
  exists: boolean;
  rev?: string;
  version: number;
}

const LISTED = new Set(['reserved', 'in_service', 'port_in', 'port_out']);
const T0 = 63871286400;

export interface NumberLoadOptions {
  couchUrl: string;
  seed: number;
  prefixes: string[];
  numbersPerDb: number;
  accounts: number;
}

/**
 * A seeded stream of number-doc changes (reserve, activate, move, release, used_by, delete)
 * written with _bulk_docs, one request per database per step, plus a model of the final
 * state. The model gives an expectation that does not go through the daemon's spec module.
 */
export class NumberLoad {
  readonly couch: CouchClient;
  readonly random: Random;
  readonly accounts: string[];
  readonly numbers: string[];
  readonly dbs: string[];
  private readonly models = new Map<string, NumberModel>();
  private readonly created = new Set<string>();
  private version = 0;
  /** Document revisions written so far (= changes the daemon must process). */
  written = 0;

  constructor(opts: NumberLoadOptions) {
    this.couch = new CouchClient({ url: opts.couchUrl, requestTimeoutMs: 30_000 });
    this.random = new Random(opts.seed);
    // Fresh ids (no earlier run's docs on a shared server); the seed drives what happens to them.
    this.accounts = Array.from({ length: opts.accounts }, () => freshAccountId());
    this.dbs = opts.prefixes.map((p) => `numbers/${p}`);
    this.numbers = opts.prefixes.flatMap((p) => freshNumbers(p, opts.numbersPerDb));
    for (const n of this.numbers) this.models.set(n, { state: 'available', history: [], usedBy: '', exists: false, version: 0 });
  }

  /** Creates the numbers databases and every account database. */
  async setup(): Promise<void> {
    for (const db of [...this.dbs, ...this.accounts.map(accountDbName)]) {
      await this.couch.request({ method: 'put', db }).then(
        () => this.created.add(db),
        (err: { status?: number }) => {
          if (err.status !== 412) throw err;
        },
      );
    }
  }

  /** Deletes the databases setup() created (a test on a shared server leaves nothing behind). */
  async teardown(): Promise<void> {
    for (const db of this.created) await this.couch.request({ method: 'delete', db }).catch(() => undefined);
    this.created.clear();
  }

  /** Writes `count` random changes, to numbers picked among `among` (default: all). */
  async step(count: number, among: readonly string[] = this.numbers): Promise<void> {
    const byDb = new Map<string, Set<string>>();
    for (let i = 0; i < count; i++) {
      const number = this.random.pick(among);
      if (!this.mutate(number)) continue;
      const db = numberDbName(number);
      // Two changes of one number in one request would conflict: the model's last state wins.
      if (!byDb.has(db)) byDb.set(db, new Set());
      byDb.get(db)!.add(number);
    }
    for (const [db, numbers] of byDb) await this.writeBulk(db, [...numbers]);
  }

  /** Rewrites every existing number doc with a new pvt_modified: every listed entry changes, no listing does. */
  async touchAll(): Promise<void> {
    const byDb = new Map<string, string[]>();
    for (const [number, m] of this.models) {
      if (!m.exists) continue;
      m.version = ++this.version;
      const db = numberDbName(number);
      byDb.set(db, [...(byDb.get(db) ?? []), number]);
    }
    for (const [db, numbers] of byDb) await this.writeBulk(db, numbers);
  }

  /** Accounts -> numbers they must list, from the model (docs/rules.md "Who lists a number", restated on purpose). */
  expectedListing(): Map<string, string[]> {
    const out = new Map<string, string[]>(this.accounts.map((a) => [a, []]));
    for (const [number, m] of this.models) {
      if (!m.exists || m.state === 'discovery') continue;
      const listers = new Set<string>();
      if (m.owner && LISTED.has(m.state)) listers.add(m.owner);
      for (const a of m.history) if (a !== m.owner) listers.add(a);
      for (const a of listers) out.get(a)!.push(number);
    }
    for (const list of out.values()) list.sort();
    return out;
  }

  /** Applies a random operation to the model; false when it changed nothing (deleting a missing doc). */
  private mutate(number: string): boolean {
    const m = this.models.get(number)!;
    const r = this.random;
    const op = r.pick(['reserve', 'activate', 'move', 'release', 'used_by', 'delete'] as const);
    switch (op) {
      case 'reserve': {
        const owner = r.pick(this.accounts);
        Object.assign(m, { state: 'reserved', owner, history: r.chance(0.5) ? [owner] : [owner, r.pick(this.accounts)] });
        break;
      }
      case 'activate':
        Object.assign(m, { state: 'in_service', owner: m.owner ?? r.pick(this.accounts) });
        break;
      case 'move':
        Object.assign(m, { state: r.pick(['in_service', 'port_in']), owner: r.pick(this.accounts), history: r.chance(0.3) ? m.history : [] });
        break;
      case 'release':
        Object.assign(m, { state: r.pick(['available', 'released']), owner: undefined, history: [] });
        break;
      case 'used_by':
        m.usedBy = r.pick(['callflow', 'trunkstore', '']);
        break;
      case 'delete':
        if (!m.exists) return false;
        m.exists = false;
        return true;
    }
    m.exists = true;
    m.version = ++this.version;
    return true;
  }

  private docOf(number: string): Record<string, unknown> {
    const m = this.models.get(number)!;
    const base = m.rev ? { _id: number, _rev: m.rev } : { _id: number };
    if (!m.exists) return { ...base, _deleted: true };
    return {
      ...base,
      pvt_state: m.state,
      ...(m.owner ? { pvt_assigned_to: m.owner } : {}),
      pvt_reserve_history: m.history,
      pvt_used_by: m.usedBy,
      pvt_created: T0,
      pvt_modified: T0 + m.version,
    };
  }

  /** Writes the model's current docs; a conflict (a write we lost track of, e.g. cut by a server stop) refreshes the rev and retries. */
  private async writeBulk(db: string, numbers: string[]): Promise<void> {
    let todo = numbers;
    for (let round = 0; todo.length > 0; round++) {
      if (round > 5) throw new Error(`could not write ${todo.join(',')} to ${db}`);
      const results = await this.couch.request<Array<{ id: string; rev?: string; error?: string }>>({
        method: 'post',
        db,
        path: '_bulk_docs',
        body: { docs: todo.map((n) => this.docOf(n)) },
      });
      const retry: string[] = [];
      for (const res of results) {
        const m = this.models.get(res.id)!;
        if (res.rev) {
          m.rev = res.rev;
          this.written++;
        } else if (res.error === 'conflict') {
          retry.push(res.id);
          m.rev = await this.latestRev(db, res.id);
        } else {
          throw new Error(`bulk write of ${res.id} failed: ${res.error}`);
        }
      }
      todo = retry;
    }
  }

  /** Rev of a doc, deleted or not (a deleted doc is not readable by GET). */
  private async latestRev(db: string, id: string): Promise<string | undefined> {
    const page = await this.couch.request<{ rows: Array<{ value?: { rev: string } }> }>({ method: 'post', db, path: '_all_docs', body: { keys: [id] } });
    return page.rows[0]?.value?.rev;
  }
}
