import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../../src/config/options.js';

const root = new URL('../../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

/** The value an option takes when unset, as text (undefined: no default). */
function defaultOf(schema: (typeof OPTIONS)[keyof typeof OPTIONS]['schema']): string | undefined {
  const parsed = schema.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
}

describe('.env.example', () => {
  const lines = read('.env.example').split('\n');
  const assignments = new Map(
    lines.flatMap((line) => {
      const m = /^#? ?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return m ? [[m[1]!, m[2]!] as const] : [];
    }),
  );

  it('lists every option with its default', () => {
    for (const option of Object.values(OPTIONS)) {
      expect(assignments.has(option.env), option.env).toBe(true);
      const def = defaultOf(option.schema);
      if (def !== undefined) expect(assignments.get(option.env), option.env).toBe(def);
    }
  });

  it('lists nothing that is not an option (but the docker-compose admin)', () => {
    const known = new Set<string>([...Object.values(OPTIONS).map((o) => o.env), 'COUCHDB_USER', 'COUCHDB_PASSWORD']);
    expect([...assignments.keys()].filter((env) => !known.has(env))).toEqual([]);
  });
});

describe('README configuration table', () => {
  it('has a row for every option with its default', () => {
    const readme = read('README.md');
    for (const option of Object.values(OPTIONS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${option.env}\` |`));
      expect(row, option.env).toBeDefined();
      const def = defaultOf(option.schema);
      if (def !== undefined) expect(row, option.env).toContain(`\`${def}\``);
    }
  });
});
