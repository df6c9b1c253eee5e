// A synthetic KAZOO numbering plan (pure): accounts, numbers databases and number docs.
import { numberDbName } from '../../src/rules/index.js';
import { Random } from '../../test/harness/random.js';

export const T0 = 63871286400; // 2024-01-01 in Gregorian seconds

export interface DatasetSpec {
  numbers: number;
  dbs: number;
  accounts: number;
  /** Share of accounts that are sub-accounts of a parent which reserved their numbers. */
  parentShare: number;
  seed: number;
  /** First digits of the prefixes (default '1'); lets two data sets share a server without overlap. */
  country?: string;
}

export interface NumberDoc extends Record<string, unknown> {
  _id: string;
  _rev?: string;
}

export interface Dataset {
  spec: DatasetSpec;
  accounts: string[];
  /** Sub-account -> the parent that reserved its numbers. */
  parents: Map<string, string>;
  dbs: string[];
  /** db -> its number docs (without _rev). */
  docsByDb: Map<string, NumberDoc[]>;
  /** number -> its owner. */
  owners: Map<string, string>;
}

/** `numbers/+CXXX` names for `count` databases (C = country digit(s), then distinct digits). */
export function numbersDbNames(count: number, country = '1'): string[] {
  const width = 4 - country.length;
  if (count > 10 ** width) throw new Error(`at most ${10 ** width} databases with country '${country}'`);
  return Array.from({ length: count }, (_, i) => `numbers/+${country}${String(i).padStart(width, '0')}`);
}

/** A number of database `db` (numbers/+XXXX): the prefix then 7 digits. */
export function numberIn(db: string, i: number): string {
  return `${db.slice('numbers/'.length)}${String(i).padStart(7, '0')}`;
}

/**
 * Numbers are spread evenly over the databases and dealt to accounts round-robin (about
 * numbers/accounts each). Most are in_service; some reserved, ported, local, with features.
 * A sub-account (parentShare of the accounts) has every number reserved by its parent first,
 * so the parent lists them too (on_subaccount true).
 */
export function generateDataset(spec: DatasetSpec): Dataset {
  const random = new Random(spec.seed);
  const accounts = Array.from({ length: spec.accounts }, () => random.hex(32));
  const parents = new Map<string, string>();
  const subCount = Math.floor(spec.accounts * spec.parentShare);
  // Parents are taken from the other accounts so nobody is its own parent.
  for (let i = 0; i < subCount; i++) parents.set(accounts[i]!, accounts[subCount + (i % Math.max(1, spec.accounts - subCount))]!);
  const dbs = numbersDbNames(spec.dbs, spec.country);
  const docsByDb = new Map<string, NumberDoc[]>(dbs.map((db) => [db, []]));
  const owners = new Map<string, string>();
  for (let i = 0; i < spec.numbers; i++) {
    const db = dbs[i % dbs.length]!;
    const number = numberIn(db, Math.floor(i / dbs.length));
    const owner = accounts[i % accounts.length]!;
    owners.set(number, owner);
    docsByDb.get(db)!.push(numberDoc(number, owner, parents.get(owner), random, 0));
  }
  return { spec, accounts, parents, dbs, docsByDb, owners };
}

export function numberDoc(number: string, owner: string, parent: string | undefined, random: Random, version: number): NumberDoc {
  const roll = random.next();
  const state = roll < 0.85 ? 'in_service' : roll < 0.95 ? 'reserved' : 'port_in';
  const doc: NumberDoc = {
    _id: number,
    pvt_db_name: encodeURIComponent(numberDbName(number)),
    pvt_state: state,
    pvt_assigned_to: owner,
    pvt_reserve_history: parent ? [parent, owner] : [owner],
    pvt_features: random.chance(0.3) ? ['dash_e911', 'outbound_cnam'] : [],
    pvt_used_by: random.chance(0.5) ? 'callflow' : '',
    pvt_created: T0,
    pvt_modified: T0 + version,
  };
  if (random.chance(0.1)) doc.pvt_module_name = 'knm_local';
  return doc;
}
