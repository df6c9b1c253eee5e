// Pure: why a number is (or is not) listed where it is. Facts read by read-facts.ts go in; the
// explanation `numbers-sync explain` prints comes out. The rules are docs/rules.md's, through
// src/rules (readNumberDoc, listingAccounts, entryData) and the audit's comparison (findingFor).
import {
  GREGORIAN_OFFSET,
  LISTED_STATES,
  PHONE_NUMBERS_DOC_ID,
  entryData,
  entryFor,
  jsonEqual,
  listingAccounts,
  readNumberDoc,
  type EntryData,
  type NumberEntry,
  type NumberInfo,
} from '../rules/index.js';
import { findingFor, type WrongField } from '../audit/findings.js';
import type { IndexedNumber } from '../index/number-index.js';

/** The number doc as read: the doc, none (missing or deleted), too large to read, or no database. */
export type NumberDocFact = { kind: 'doc'; doc: unknown } | { kind: 'missing' } | { kind: 'too_large' } | { kind: 'no_database' };

/** An account's phone_numbers doc as read. */
export type AccountDocFact = { kind: 'doc'; doc: Record<string, unknown> } | { kind: 'no_doc' } | { kind: 'no_database' };

export interface ExplainFacts {
  number: string;
  db: string;
  numberDoc: NumberDocFact;
  indexReady: boolean;
  indexed?: IndexedNumber;
  /** Per account checked: whether its index set holds the number. */
  inAccountSet: ReadonlyMap<string, boolean>;
  accountDocs: ReadonlyMap<string, AccountDocFact>;
}

export type ListingRule = 'owner' | 'reserve_history';

export interface DocSummary {
  /** ok: readable and valid; deleted: pvt_deleted; the others are listed nowhere. */
  status: 'ok' | 'deleted' | 'missing' | 'no_database' | 'quarantined' | 'invalid';
  /** invalid: readNumberDoc's reason; quarantined: too_large. */
  reason?: string;
  detail?: string;
  state?: string;
  owner?: string;
  reserveHistory?: string[];
  module?: string;
  usedBy?: string;
  features?: string[];
  /** pvt_modified of the number doc, ISO. */
  modified?: string;
  warnings?: string[];
}

export interface IndexSummary {
  ready: boolean;
  /** What the index holds; absent when it holds nothing for the number. */
  value?: IndexedNumber;
  /** True when it holds exactly what the number doc implies (and every account set agrees). */
  agrees: boolean;
  differences: string[];
}

export type EntryStatus = 'ok' | 'missing' | 'extra' | 'differs' | 'absent' | 'no_database';

export interface AccountExplanation {
  accountId: string;
  mustList: boolean;
  rule?: ListingRule;
  /** The index lists the number for this account (its value and the account's set). */
  indexLists: boolean;
  /** ok / absent: the doc agrees (listed, or rightly not listed); missing / extra / differs: it does not. */
  entry: EntryStatus;
  expected?: NumberEntry;
  actual?: unknown;
  fields?: WrongField[];
  /** pvt_modified of the account's phone_numbers doc (its last rebuild), ISO. */
  lastRebuild?: string;
}

export interface NumberExplanation {
  number: string;
  db: string;
  doc: DocSummary;
  /** The accounts that must list it, and by which rule (docs/rules.md "Who lists a number"). */
  mustList: Array<{ accountId: string; rule: ListingRule }>;
  /** Why an account named by the doc does not list it (owner in another state, deleted...). */
  notes: string[];
  index: IndexSummary;
  accounts: AccountExplanation[];
  /** Index and every account doc checked agree with the number doc. */
  consistent: boolean;
  hints: string[];
}

/** Accounts worth reading: the rule's, the index's, and every account the doc names (owner, history). */
export function accountsToCheck(numberDoc: NumberDocFact, dbName: string, indexed: IndexedNumber | undefined): string[] {
  const out = new Set<string>(indexed?.accounts ?? []);
  if (numberDoc.kind === 'doc') {
    const read = readNumberDoc(numberDoc.doc, dbName);
    if (read.ok) {
      if (read.info.owner) out.add(read.info.owner);
      for (const a of read.info.history) out.add(a);
    }
  }
  return [...out].sort();
}

export function explainNumber(f: ExplainFacts): NumberExplanation {
  const { doc, info } = summarizeDoc(f);
  const listing = info ? listingAccounts(info) : [];
  const data = info && listing.length > 0 ? entryData(info) : undefined;
  // The owner first, then the reserve history accounts (sorted).
  const mustList = listing
    .map((accountId) => ({ accountId, rule: ruleOf(info!, accountId) }))
    .sort((a, b) => Number(a.rule !== 'owner') - Number(b.rule !== 'owner'));
  const index = summarizeIndex(f, listing, data);
  const rules = new Map(mustList.map((m) => [m.accountId, m.rule]));
  const accounts = [...new Set([...accountsToCheckOf(f), ...listing])].sort().map((accountId) => explainAccount(f, accountId, rules, data));
  const consistent = index.agrees && accounts.every((a) => a.entry === 'ok' || a.entry === 'absent' || a.entry === 'no_database');
  const explanation: NumberExplanation = {
    number: f.number,
    db: f.db,
    doc,
    mustList,
    notes: info ? notesOf(info) : [],
    index,
    accounts,
    consistent,
    hints: [],
  };
  explanation.hints = hintsOf(explanation);
  return explanation;
}

function accountsToCheckOf(f: ExplainFacts): string[] {
  return [...new Set([...f.accountDocs.keys(), ...f.inAccountSet.keys()])];
}

function ruleOf(info: NumberInfo, accountId: string): ListingRule {
  return accountId === info.owner && LISTED_STATES.has(info.state) ? 'owner' : 'reserve_history';
}

function summarizeDoc(f: ExplainFacts): { doc: DocSummary; info?: NumberInfo } {
  const nd = f.numberDoc;
  if (nd.kind === 'no_database') return { doc: { status: 'no_database', detail: `database ${f.db} does not exist` } };
  if (nd.kind === 'missing') return { doc: { status: 'missing', detail: `no doc ${f.number} in ${f.db} (never written, or deleted)` } };
  if (nd.kind === 'too_large') return { doc: { status: 'quarantined', reason: 'too_large', detail: 'larger than NUMBERS_SYNC_MAX_DOC_BYTES: listed nowhere' } };
  const read = readNumberDoc(nd.doc, f.db);
  if (!read.ok) return { doc: { status: 'invalid', reason: read.reason, detail: read.detail } };
  const { info } = read;
  const raw = nd.doc as Record<string, unknown>;
  const doc: DocSummary = {
    status: info.deleted ? 'deleted' : 'ok',
    state: info.state,
    ...(info.owner ? { owner: info.owner } : {}),
    reserveHistory: info.history,
    ...(typeof raw.pvt_module_name === 'string' ? { module: raw.pvt_module_name } : {}),
    usedBy: info.usedBy,
    features: info.features,
    ...(info.updated > 0 ? { modified: isoOfGregorian(info.updated) } : {}),
    ...(read.warnings.length > 0 ? { warnings: read.warnings.map((w) => `${w.reason}: ${w.detail}`) } : {}),
  };
  return { doc, info };
}

function notesOf(info: NumberInfo): string[] {
  if (info.deleted) return ['deleted (pvt_deleted): listed nowhere'];
  if (info.state === 'discovery') return ['state discovery: listed nowhere'];
  const notes: string[] = [];
  if (!info.owner) notes.push('no owner (pvt_assigned_to unset)');
  else if (!LISTED_STATES.has(info.state))
    notes.push(`owner ${info.owner} does not list it: state ${info.state} is not one of ${[...LISTED_STATES].join(', ')}`);
  if (info.owner && info.history.includes(info.owner)) notes.push(`owner ${info.owner} is also in the reserve history: it lists it only by the owner rule`);
  return notes;
}

function summarizeIndex(f: ExplainFacts, listing: string[], data: EntryData | undefined): IndexSummary {
  const v = f.indexed;
  const differences: string[] = [];
  if (!data) {
    if (v) differences.push(`holds it for ${v.accounts.join(', ') || 'no account'}, but it must be listed nowhere`);
  } else if (!v) {
    differences.push(`holds nothing for it, but ${listing.join(', ')} must list it`);
  } else {
    if (!jsonEqual([...v.accounts].sort(), listing)) differences.push(`accounts: index [${v.accounts.join(', ')}], doc implies [${listing.join(', ')}]`);
    if (v.db !== f.db) differences.push(`db: index ${v.db}, expected ${f.db}`);
    const diff = Object.keys({ ...data, ...v.entry }).filter((k) => !jsonEqual((data as Record<string, unknown>)[k], (v.entry as Record<string, unknown>)[k]));
    if (diff.length > 0) differences.push(`entry differs in ${diff.join(', ')}`);
  }
  for (const account of v?.accounts ?? []) {
    if (f.inAccountSet.get(account) === false) differences.push(`the set of account ${account} lacks it`);
  }
  for (const [account, member] of f.inAccountSet) {
    if (member && !(v?.accounts ?? []).includes(account)) differences.push(`the set of account ${account} holds it, its value does not list that account`);
  }
  return { ready: f.indexReady, ...(v ? { value: v } : {}), agrees: differences.length === 0, differences };
}

function explainAccount(f: ExplainFacts, accountId: string, rules: ReadonlyMap<string, ListingRule>, data: EntryData | undefined): AccountExplanation {
  const rule = rules.get(accountId);
  const must = rule !== undefined;
  const indexLists = Boolean(f.indexed?.accounts.includes(accountId)) && f.inAccountSet.get(accountId) !== false;
  const base: AccountExplanation = { accountId, mustList: must, indexLists, entry: 'absent' };
  if (rule && data) {
    base.rule = rule;
    base.expected = entryFor(data, accountId);
  }
  const fact = f.accountDocs.get(accountId) ?? { kind: 'no_doc' };
  if (fact.kind === 'no_database') return { ...base, entry: must ? 'no_database' : 'absent' };
  const doc = fact.kind === 'doc' ? fact.doc : undefined;
  const modified = doc?.pvt_modified;
  if (typeof modified === 'number' && Number.isFinite(modified)) base.lastRebuild = isoOfGregorian(modified);
  const listed = doc !== undefined && Object.hasOwn(doc, f.number);
  if (listed) base.actual = doc[f.number];
  if (!must) return { ...base, entry: listed ? 'extra' : 'absent' };
  if (!listed) return { ...base, entry: 'missing' };
  // Only this number's entry: the audit's comparison, on a doc reduced to it (envelope ignored).
  const finding = findingFor(accountId, new Map([[f.number, data!]]), { _id: PHONE_NUMBERS_DOC_ID, [f.number]: doc[f.number] });
  const wrong = finding?.wrong.find((w) => w.number === f.number);
  return wrong ? { ...base, entry: 'differs', fields: wrong.fields } : { ...base, entry: 'ok' };
}

function hintsOf(e: NumberExplanation): string[] {
  const hints: string[] = [];
  if (!e.index.ready) hints.push('the index is not ready (a full replay is running, or no listener ever completed one): rebuilds wait for it');
  if (!e.index.agrees) {
    hints.push(
      `the index disagrees with the number doc: the listener may not have read this change yet (numbers-sync status shows the lag of ${e.db}); numbers-sync reindex --db ${e.db} repairs it`,
    );
  }
  const drifted = e.accounts.filter((a) => a.entry === 'missing' || a.entry === 'extra' || a.entry === 'differs').map((a) => a.accountId);
  if (drifted.length > 0) {
    hints.push(
      e.index.agrees
        ? `a rebuild may be queued (numbers-sync status), or the doc was edited behind the daemon's back: numbers-sync rebuild ${drifted.join(' ')}`
        : `once the index is repaired, the workers rebuild ${drifted.join(' ')}`,
    );
  }
  for (const a of e.accounts) {
    if (a.entry === 'no_database')
      hints.push(`account ${a.accountId} has no database: the daemon never creates one; its doc is written when the database appears`);
  }
  return hints;
}

function isoOfGregorian(seconds: number): string {
  const ms = (seconds - GREGORIAN_OFFSET) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(seconds);
}
