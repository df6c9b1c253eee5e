// docs/rules.md "Databases and ids": KAZOO timestamps are Gregorian seconds (seconds since 0000-01-01).

export const GREGORIAN_OFFSET = 62167219200;

/** Date.now()-style ms -> Gregorian seconds. 2024-01-01T00:00:00Z -> 63871286400. */
export function gregorianSeconds(unixMs: number): number {
  return Math.floor(unixMs / 1000) + GREGORIAN_OFFSET;
}
