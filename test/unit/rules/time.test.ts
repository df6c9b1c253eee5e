import { describe, expect, it } from 'vitest';
import { GREGORIAN_OFFSET, gregorianSeconds } from '../../../src/rules/time.js';

describe('gregorianSeconds', () => {
  it('2024-01-01T00:00:00Z = 63871286400 (the example of docs/rules.md)', () => {
    expect(gregorianSeconds(Date.parse('2024-01-01T00:00:00Z'))).toBe(63871286400);
  });
  it('epoch is the offset', () => {
    expect(GREGORIAN_OFFSET).toBe(62167219200);
    expect(gregorianSeconds(0)).toBe(GREGORIAN_OFFSET);
  });
  it('floors milliseconds', () => {
    expect(gregorianSeconds(1999)).toBe(GREGORIAN_OFFSET + 1);
    expect(gregorianSeconds(-1)).toBe(GREGORIAN_OFFSET - 1);
  });
});
