/** The settings of a systemd unit file: section -> key -> values (a key may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

/** Parses a systemd unit file (comments and blank lines skipped; no line continuations). */
export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = unit.get(header[1]!) ?? new Map<string, string[]>();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

/** The last value of `key` in `section` (systemd: a later assignment wins). */
export function setting(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** A systemd time span ("60", "60s", "1min 30s", "500ms") in milliseconds. */
export function timeSpanMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  for (const part of value.trim().split(/\s+/)) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    if (!m || (m[2] && !(m[2] in units))) throw new Error(`not a time span: ${value}`);
    total += Number(m[1]) * (m[2] ? units[m[2]]! : 1000);
  }
  return total;
}
