import type { Command } from 'commander';
import { isFollowedNumbersDb } from '../../rules/index.js';
import { reindexDatabases, type ReindexOutcome } from '../../sweep/reindex-runner.js';
import { reindexLine, reindexSummary } from '../format/reindex-format.js';
import { addCommandFlags, runWithContext, type CommandContext } from './command-context.js';
import { parseSeconds } from './args.js';

export function addReindexCommand(program: Command): void {
  const command = program
    .command('reindex')
    .description(
      'Re-read numbers databases from the start into the Redis index: repair every wrong entry, remove numbers ' +
        'the database no longer holds, move the checkpoint to its end; affected accounts are rebuilt.',
    )
    .option('--db <name...>', 'these numbers databases (numbers/+NNNN)')
    .option('--all', 'every numbers database')
    .option('--timeout <seconds>', 'give up waiting for the listener after this long', parseSeconds, 3600);
  addCommandFlags(command).action(async (flags: Record<string, unknown> & { db?: string[]; all?: boolean; timeout: number }) => {
    if (!flags.all === !flags.db) command.error('reindex needs either --db <name...> or --all', { exitCode: 2 });
    const bad = (flags.db ?? []).filter((db) => !isFollowedNumbersDb(db));
    if (bad.length > 0) command.error(`not a numbers/+NNNN database: ${bad.join(', ')}`, { exitCode: 2 });
    await runWithContext(flags, async (ctx) => {
      const dbs = flags.db ?? (await followedNumbersDbs(ctx));
      const outcomes = await reindexFromCommand(ctx, dbs, flags.timeout * 1000, (o) => ctx.out(`${reindexLine(o)}\n`));
      ctx.out(`${reindexSummary(outcomes)}\n`);
      return outcomes.some((o) => 'error' in o) ? 1 : 0;
    });
  });
}

export async function followedNumbersDbs(ctx: CommandContext): Promise<string[]> {
  return (await ctx.couch.listDbs('numbers/', 'numbers/\ufff0')).filter(isFollowedNumbersDb);
}

/** The reindex of `reindex`, `verify --fix` and `reconcile`: through the running listener, or here when none runs. */
export function reindexFromCommand(
  ctx: CommandContext,
  dbs: readonly string[],
  timeoutMs: number,
  onOutcome?: (o: ReindexOutcome) => void,
): Promise<ReindexOutcome[]> {
  return reindexDatabases(dbs, {
    redis: ctx.redis,
    couch: ctx.couch,
    index: ctx.index,
    queue: ctx.queue,
    logger: ctx.logger,
    batchSize: ctx.config.batchSize,
    maxDocBytes: ctx.config.maxDocBytes,
    leaseTtlMs: ctx.config.leaseTtlMs,
    timeoutMs,
    onOutcome,
  });
}
