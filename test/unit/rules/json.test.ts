import { describe, expect, it } from 'vitest';
import { isPlainObject, jsonEqual, setOwn, show } from '../../../src/rules/json.js';

describe('jsonEqual', () => {
  it('ignores object key order', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2], d: null } }, { b: { d: null, c: [1, 2] }, a: 1 })).toBe(true);
  });
  it('respects array order and lengths', () => {
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual([1], [1, 1])).toBe(false);
  });
  it('distinguishes types', () => {
    expect(jsonEqual('1', 1)).toBe(false);
    expect(jsonEqual({}, [])).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: 1, c: 2 }, { a: 1, b: 2 })).toBe(false);
  });
  it('treats undefined-valued keys as absent', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });
});

describe('setOwn', () => {
  it('creates an own __proto__ key instead of changing the prototype', () => {
    const o: Record<string, unknown> = {};
    setOwn(o, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('helpers', () => {
  it('isPlainObject', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject('x')).toBe(false);
  });
  it('show truncates', () => {
    expect(show('x'.repeat(1000)).length).toBeLessThanOrEqual(83);
    expect(show(undefined)).toBe('undefined');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(show(cyclic)).toBe('object');
  });
});
