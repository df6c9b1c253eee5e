// How the embedded server spells sequence positions (its internal counters are integers).
import { randomBytes, randomInt } from 'node:crypto';

/**
 * - `integer`: PouchDB's integers as they are (lowest overhead; the plain embedded default).
 * - `couchdb3`: CouchDB 3's shape `"<n>-g1AAAA<base64url>"`; the opaque part differs on every
 *   server start, so the same position is spelled differently across restarts.
 * - `scrambled`: like couchdb3 but with a random number instead of `<n>`, new on every seq
 *   handed out: seqs sort neither as numbers nor as strings, and one position is spelled
 *   differently every time. For tests proving a client treats seqs as opaque.
 */
export type SeqStyle = 'integer' | 'couchdb3' | 'scrambled';
export const SEQ_STYLES: readonly SeqStyle[] = ['integer', 'couchdb3', 'scrambled'];

export interface ParsedSeq {
  n: number;
  /** The server run that issued it, when the spelling carries one. */
  instance?: string;
}

export interface SeqCodec {
  /** Identifies this server run in the seqs it spells. */
  readonly instance: string;
  format(n: number): string | number;
  /** Position of a seq this server issued (in any run); undefined when it is not one. */
  parse(seq: string): ParsedSeq | undefined;
}

/** PouchDB's own integers. */
export function integerSeqs(): SeqCodec {
  return {
    instance: '',
    format: (n) => n,
    parse: (seq) => (/^\d+$/.test(seq) ? { n: Number(seq) } : undefined),
  };
}

/** `"<n>-<run tag>"`: the plain-mode _db_updates spelling, tied to one server run. */
export function taggedSeqs(): SeqCodec {
  const instance = randomBytes(9).toString('base64url');
  return {
    instance,
    format: (n) => `${n}-${instance}`,
    parse: (seq) => {
      const m = /^(\d+)(?:-(.+))?$/.exec(seq);
      return m ? { n: Number(m[1]), ...(m[2] === undefined ? {} : { instance: m[2] }) } : undefined;
    },
  };
}

// CouchDB's opaque part is base64url(term_to_binary(..., [compressed])), which starts "g1AAAA".
const MAGIC = 'g1AAAA';
const INSTANCE_BYTES = 6;
// Padding makes seqs about as long as a single-node CouchDB 3's, so length limits show up here.
const PADDING_BYTES = 33;

/**
 * Opaque seqs: `<lead>-g1AAAA` + base64url(instance, n xor instance, check byte, padding).
 * Any seq of any run decodes (the position is inside it), whatever its lead.
 */
export function opaqueSeqs(style: 'couchdb3' | 'scrambled'): SeqCodec {
  const instanceBytes = randomBytes(INSTANCE_BYTES);
  const padding = randomBytes(PADDING_BYTES);
  const instance = instanceBytes.toString('hex');
  // scrambled: a random number where CouchDB puts the position, so seqs parse as numbers that mean nothing.
  const lead = (n: number) => String(style === 'couchdb3' ? n : randomInt(1_000_000));
  return {
    instance,
    format(n) {
      const position = Buffer.alloc(8);
      position.writeBigUInt64BE(BigInt(n));
      for (let i = 0; i < 8; i++) position[i]! ^= instanceBytes[i % INSTANCE_BYTES]!;
      const head = Buffer.concat([instanceBytes, position]);
      const check = Buffer.from([head.reduce((sum, b) => (sum + b) & 0xff, 0)]);
      return `${lead(n)}-${MAGIC}${Buffer.concat([head, check, padding]).toString('base64url')}`;
    },
    parse(seq) {
      const dash = seq.indexOf('-');
      const opaque = dash < 0 ? '' : seq.slice(dash + 1);
      if (!opaque.startsWith(MAGIC)) return undefined;
      const bytes = Buffer.from(opaque.slice(MAGIC.length), 'base64url');
      if (bytes.length < INSTANCE_BYTES + 9) return undefined;
      const head = bytes.subarray(0, INSTANCE_BYTES + 8);
      if (bytes[INSTANCE_BYTES + 8] !== head.reduce((sum, b) => (sum + b) & 0xff, 0)) return undefined;
      const position = Buffer.from(head.subarray(INSTANCE_BYTES));
      for (let i = 0; i < 8; i++) position[i]! ^= head[i % INSTANCE_BYTES]!;
      const n = position.readBigUInt64BE();
      if (n > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { n: Number(n), instance: head.subarray(0, INSTANCE_BYTES).toString('hex') };
    },
  };
}

export function seqCodec(style: SeqStyle): SeqCodec {
  return style === 'integer' ? integerSeqs() : opaqueSeqs(style);
}
