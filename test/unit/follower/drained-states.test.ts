import { describe, expect, it } from 'vitest';
import { DrainedStates, dbState } from '../../../src/follower/drained-states.js';

describe('DrainedStates', () => {
  const s1 = dbState({ updateSeq: '5-g1AAAA', purgeSeq: '0-g1AAAA' });
  const s2 = dbState({ updateSeq: '6-g1AAAA', purgeSeq: '0-g1AAAA' });

  it('skips a state only once a drain that started after it was read has completed', () => {
    const states = new DrainedStates();
    expect(states.unchanged('db', s1)).toBe(false);
    const token = states.drainStarts('db');
    expect(states.unchanged('db', s1)).toBe(false); // the drain has not completed yet
    states.drainCompleted('db', token);
    expect(states.unchanged('db', s1)).toBe(true);
    expect(states.drained('db')).toBe(true);
    expect(states.unchanged('db', s2)).toBe(false);
  });

  it('a drain that started before a state was read does not cover it', () => {
    const states = new DrainedStates();
    const early = states.drainStarts('db'); // started with nothing read yet
    expect(states.unchanged('db', s1)).toBe(false);
    states.drainCompleted('db', early);
    expect(states.unchanged('db', s1)).toBe(false);
    states.unchanged('db', s1);
    const older = states.drainStarts('db');
    expect(states.unchanged('db', s2)).toBe(false); // read while that drain runs
    states.drainCompleted('db', older);
    expect(states.unchanged('db', s1)).toBe(true);
    expect(states.unchanged('db', s2)).toBe(false);
  });

  it('forgets a database: nothing of it is covered any more', () => {
    const states = new DrainedStates();
    states.unchanged('db', s1);
    states.drainCompleted('db', states.drainStarts('db'));
    states.forget('db');
    expect(states.drained('db')).toBe(false);
    expect(states.unchanged('db', s1)).toBe(false);
  });

  it('compares opaque seqs for equality only, purge_seq included', () => {
    expect(dbState({ updateSeq: '5-a', purgeSeq: '0-a' })).not.toBe(dbState({ updateSeq: '5-a', purgeSeq: '1-a' }));
    expect(dbState({ updateSeq: 5, purgeSeq: 0 })).toBe(dbState({ updateSeq: 5, purgeSeq: 0 }));
  });
});
