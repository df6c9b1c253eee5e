import type { AccountExplanation, NumberExplanation } from '../../explain/explain-number.js';

const RULE: Record<string, string> = { owner: 'owner', reserve_history: 'reserve history' };
const ENTRY: Record<AccountExplanation['entry'], string> = {
  ok: 'entry ok',
  absent: 'not listed (right)',
  missing: 'MISSING from its doc',
  extra: 'EXTRA: its doc lists it',
  differs: 'entry DIFFERS',
  no_database: 'no account database',
};

export function renderExplanation(e: NumberExplanation): string {
  const lines: string[] = [`number     ${e.number} in ${e.db}`];
  const d = e.doc;
  if (d.status === 'ok' || d.status === 'deleted') {
    const parts = [`state ${d.state || '-'}`, `owner ${d.owner ?? '-'}`, `module ${d.module ?? '-'}`, `used_by ${d.usedBy || '-'}`];
    lines.push(`doc        ${d.status === 'deleted' ? 'DELETED  ' : ''}${parts.join('  ')}`);
    lines.push(
      `           reserve history [${(d.reserveHistory ?? []).join(', ')}]  features [${(d.features ?? []).join(', ')}]  modified ${d.modified ?? '-'}`,
    );
    for (const w of d.warnings ?? []) lines.push(`           warning ${w}`);
  } else {
    lines.push(`doc        ${d.status.toUpperCase()}${d.reason ? ` (${d.reason})` : ''}: ${d.detail ?? ''}`);
  }
  if (e.mustList.length === 0) lines.push('must list  nobody');
  for (const [i, m] of e.mustList.entries()) lines.push(`${i === 0 ? 'must list ' : '          '} ${m.accountId}  by the ${RULE[m.rule]} rule`);
  for (const note of e.notes) lines.push(`note       ${note}`);
  const v = e.index.value;
  const held = v ? `lists it for [${v.accounts.join(', ')}] from ${v.db}, entry state ${v.entry.state}` : 'holds nothing for it';
  lines.push(`index      ${e.index.ready ? 'ready' : 'NOT READY'}; ${held}; ${e.index.agrees ? 'agrees with the doc' : 'DISAGREES'}`);
  for (const diff of e.index.differences) lines.push(`           ${diff}`);
  lines.push('accounts');
  if (e.accounts.length === 0) lines.push('  (none concerned)');
  for (const a of e.accounts) {
    const role = a.rule ? RULE[a.rule]! : 'must not list';
    lines.push(`  ${a.accountId}  ${role.padEnd(15)}  index ${a.indexLists ? 'lists' : 'no   '}  ${ENTRY[a.entry]}  last rebuild ${a.lastRebuild ?? '-'}`);
    for (const f of a.fields ?? []) lines.push(`      ${f.field}: expected ${JSON.stringify(f.expected)}, actual ${JSON.stringify(f.actual)}`);
  }
  lines.push(e.consistent ? 'consistent: the index and every account doc agree with the number doc' : 'INCONSISTENT');
  for (const h of e.hints) lines.push(`hint       ${h}`);
  return `${lines.join('\n')}\n`;
}
