import { InvalidArgumentError } from 'commander';
import { isAccountId } from '../../rules/index.js';
import { show } from '../../rules/json.js';
import type { CommandContext } from './command-context.js';

/** Account ids that are not exactly 32 characters of [0-9a-z], rendered for an error message. */
export function invalidAccountIds(values: readonly string[]): string[] {
  return values.filter((v) => !isAccountId(v)).map((v) => show(v, 40));
}

export function invalidIdsMessage(invalid: readonly string[]): string {
  return `invalid account id${invalid.length === 1 ? '' : 's'}: ${invalid.join(', ')} (an account id is exactly 32 characters of [0-9a-z])`;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** A wait with no worker connected never ends; say so up front. */
export async function warnIfNoWorkers(ctx: CommandContext): Promise<void> {
  const workers = await ctx.queue.queue.getWorkersCount().catch(() => undefined);
  if (workers === 0) ctx.err('warning: no worker is connected to the queue; the rebuilds run when one starts (numbers-sync run / work)\n');
}
