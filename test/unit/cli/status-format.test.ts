import { describe, expect, it } from 'vitest';
import { renderStatus, table } from '../../../src/cli/format/status-format.js';
import type { StatusReport } from '../../../src/status/collect-status.js';

const base: StatusReport = {
  couch: 'http://***@couch:5984',
  redis: 'redis://***@redis:6379',
  prefix: 'nsync',
  index: { epoch: 'e-1', ready: true },
  listener: { holder: 'host:1:abcd', ttlMs: 8200 },
  queue: { active: 1, waiting: 2, delayed: 0, failed: 1, completed: 5, prioritized: 0, 'waiting-children': 0 },
  workers: 2,
  failed: [{ id: '7', accountId: 'c0ffee00c0ffee00c0ffee00c0ffee01', failedReason: 'GET /x: 500\n  boom', attemptsMade: 8, finishedOn: 1_000_000 }],
  outbox: 0,
  missingAccounts: 3,
  databases: [
    { db: 'numbers/+1212', checkpoint: null, lag: 4, exists: true },
    { db: 'numbers/+1415', checkpoint: '12-g1AAAAFTeJzLYWBg4MhgTmHgz8tPSTV0MDQy0DMwMDQyMTDIAcoxJTLkyf', lag: 0, exists: true },
    { db: 'numbers/+1999', checkpoint: 3, lag: null, exists: false },
    { db: 'numbers/+1888', checkpoint: 3, lag: null, exists: true, error: 'GET /numbers%2F%2B1888/_changes: ECONNRESET' },
  ],
};

describe('renderStatus', () => {
  it('renders every part, with opaque checkpoints shortened and lag per database', () => {
    const text = renderStatus(base, 1_060_000);
    expect(text).toContain('couch      http://***@couch:5984\n');
    expect(text).toContain('index      ready  epoch e-1\n');
    expect(text).toContain('listener   lease held by host:1:abcd (expires in 8.2 s unless renewed)\n');
    expect(text).toContain('queue      waiting 2  active 1  delayed 0  prioritized 0  waiting-children 0  failed 1  completed 5\n');
    expect(text).toContain('workers    2\n');
    expect(text).toContain('missing    3 account(s)');
    expect(text).toContain('numbers databases: 4, changes not yet indexed: 4\n');
    expect(text).toContain('  numbers/+1212  -                                            4\n');
    expect(text).toContain('  numbers/+1415  "12-g1AAAAFTeJzLYWBg4MhgTmHgz8tPSTV0MDQy...  0\n');
    expect(text).toContain('  numbers/+1999  3                                            deleted\n');
    expect(text).toContain('? (GET /numbers%2F%2B1888/_changes: ECONNRESET)');
    expect(text).toContain('  7    c0ffee00c0ffee00c0ffee00c0ffee01  8         60s ago  GET /x: 500 boom\n');
  });

  it('says when there is no index, no listener and no failure', () => {
    const text = renderStatus({
      ...base,
      index: { epoch: null, ready: false },
      listener: { holder: null, ttlMs: null },
      workers: null,
      failed: [],
      databases: [],
    });
    expect(text).toContain('index      missing (the listener will replay every database)\n');
    expect(text).toContain('listener   no lease holder (no listener running)\n');
    expect(text).toContain('workers    unknown');
    expect(text).not.toContain('failed jobs');
    expect(text).not.toContain('DATABASE');
  });

  it('shows a replaying index', () => {
    expect(renderStatus({ ...base, index: { epoch: 'e-2', ready: false } })).toContain('index      replaying (rebuilds are held)  epoch e-2\n');
  });
});

describe('table', () => {
  it('aligns columns and does not pad the last one', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['z', 'long'],
        ],
      ),
    ).toEqual(['  A    BB', '  xxx  y', '  z    long']);
  });
});
