// Pure rendering of the demo's account docs.
import { isNumberKey } from '../../rules/index.js';
import { compact } from './verify-format.js';

export function listedNumbers(doc: Record<string, unknown> | undefined): string[] {
  return Object.keys(doc ?? {})
    .filter(isNumberKey)
    .sort();
}

/** One block per account: its entries, one per line, or why there are none. */
export function renderAccounts(accounts: ReadonlyArray<{ name: string; id: string; doc: Record<string, unknown> | undefined }>): string {
  const lines: string[] = [];
  for (const { name, id, doc } of accounts) {
    const numbers = listedNumbers(doc);
    const head = `  ${name} ${id}`;
    if (!doc) lines.push(`${head}: no phone_numbers doc`);
    else if (numbers.length === 0) lines.push(`${head}: lists nothing (envelope only)`);
    else {
      lines.push(`${head}:`);
      for (const n of numbers) lines.push(`    ${n} ${compact(doc[n], 400)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
