import { describe, expect, it } from 'vitest';
import { JsonRowsScanner, type ScanStatus } from '../../../src/couch/json-rows-scanner.js';
import { Random } from '../../harness/random.js';

const rows = [
  {
    seq: 1,
    id: '+14155550100',
    changes: [{ rev: '1-a' }],
    doc: { _id: '+14155550100', s: 'quote " brace } bracket ] comma , backslash \\ end', n: [1, [2, { x: '}' }]] },
  },
  { seq: '2-g1AAAA', id: '+14155550101', deleted: true, doc: { _id: '+14155550101', u: 'ünïcödé ☎ \u2028', e: '\\"' } },
  { seq: 3, id: '+14155550102', doc: { _id: '+14155550102', big: 'y'.repeat(5000) } },
];
const body = Buffer.from(`{"results":[\n${rows.map((r) => JSON.stringify(r)).join(',\n')}\n],\n"last_seq":"3-abc","pending":7}\n`);

function scan(chunks: Buffer[], maxRowBytes = 1e6, stopAfter = Infinity): { rows: unknown[]; status: ScanStatus; frame?: unknown } {
  const out: unknown[] = [];
  const scanner = new JsonRowsScanner({ rowsKey: 'results', maxRowBytes }, (text) => {
    if (out.length >= stopAfter) return false;
    out.push(JSON.parse(text));
    return true;
  });
  let status: ScanStatus = 'more';
  for (const chunk of chunks) if ((status = scanner.push(chunk)) !== 'more') break;
  return { rows: out, status, frame: status === 'more' ? scanner.end() : undefined };
}

function split(buf: Buffer, random: Random): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + random.int(40);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('JsonRowsScanner', () => {
  it('yields every row and the frame, however the body is chunked', () => {
    const random = new Random(7);
    for (let round = 0; round < 50; round++) {
      const { rows: got, status, frame } = scan(round === 0 ? [body] : split(body, random));
      expect(status).toBe('more');
      expect(got).toEqual(rows);
      expect(frame).toEqual({ results: [], last_seq: '3-abc', pending: 7 });
    }
  });

  it('stops before a row above maxRowBytes without parsing it', () => {
    const { rows: got, status } = scan(split(body, new Random(1)), 1000);
    expect(status).toBe('oversize');
    expect(got).toEqual(rows.slice(0, 2));
  });

  it('stops when the handler says so', () => {
    const { rows: got, status } = scan([body], 1e6, 1);
    expect(status).toBe('stopped');
    expect(got).toEqual(rows.slice(0, 1));
  });

  it('reads _all_docs rows and an empty list', () => {
    const allDocs = Buffer.from('{"total_rows":2,"offset":0,"rows":[{"id":"a","key":"a","value":{"rev":"1-x"}}]}');
    const out: unknown[] = [];
    const scanner = new JsonRowsScanner({ rowsKey: 'rows', maxRowBytes: 1e6 }, (t) => out.push(JSON.parse(t)) > 0);
    expect(scanner.push(allDocs)).toBe('more');
    expect(scanner.end()).toEqual({ total_rows: 2, offset: 0, rows: [] });
    expect(out).toEqual([{ id: 'a', key: 'a', value: { rev: '1-x' } }]);
    const empty = new JsonRowsScanner({ rowsKey: 'results', maxRowBytes: 10 }, () => true);
    expect(empty.push(Buffer.from('{"results":[],"last_seq":0}'))).toBe('more');
    expect(empty.end()).toEqual({ results: [], last_seq: 0 });
  });

  it('rejects a truncated response', () => {
    const scanner = new JsonRowsScanner({ rowsKey: 'results', maxRowBytes: 1e6 }, () => true);
    scanner.push(body.subarray(0, 50));
    expect(() => scanner.end()).toThrow(/ended early/);
  });
});
