import type { Command } from 'commander';
import { listAccountIds } from '../../listener/account-dbs.js';
import { waitForRebuilds } from '../../queue/rebuild-waiter.js';
import { needsAttention, renderRebuildResults, waitExitCode } from '../format/rebuild-format.js';
import { plural } from '../format/verify-format.js';
import { createProgress } from '../progress.js';
import { addCommandFlags, runWithContext } from './command-context.js';
import { parseSeconds, warnIfNoWorkers } from './args.js';
import { followedNumbersDbs, reindexFromCommand } from './reindex-command.js';
import { reindexLine } from '../format/reindex-format.js';

const CHUNK = 500;

export function addReconcileCommand(program: Command): void {
  const command = program
    .command('reconcile')
    .description(
      'Re-index every numbers database (repairs a wrong Redis index), then request a rebuild of every existing ' +
        'account database. Removes entries no change would reach (e.g. numbers edited into an account doc by hand, ' +
        'or listed before the daemon ran).',
    )
    .option('--all', 'every account database (required: says you mean all of them)')
    .option('--wait', 'wait until every requested rebuild finished (exit 1 if one failed)')
    .option('--timeout <seconds>', 'give up waiting after this long', parseSeconds, 3600);
  addCommandFlags(command).action(async (flags: Record<string, unknown> & { all?: boolean; wait?: boolean; timeout: number }) => {
    if (!flags.all) command.error('reconcile needs --all (to rebuild only some accounts, use: numbers-sync rebuild <accountId...>)', { exitCode: 2 });
    await runWithContext(flags, async (ctx) => {
      // Rebuilds read the index: make it right first.
      const reindexed = await reindexFromCommand(ctx, await followedNumbersDbs(ctx), flags.timeout * 1000, (o) =>
        ctx.err(`reconcile: re-indexed ${reindexLine(o)}\n`),
      );
      const reindexFailed = reindexed.filter((o) => 'error' in o).length;
      if (reindexFailed > 0) ctx.out(`reconcile: ${plural(reindexFailed, 'numbers database')} could not be re-indexed (see above)\n`);
      const accounts = await listAccountIds(ctx.couch);
      if (accounts.length === 0) {
        ctx.out('reconcile: no account database found\n');
        return 0;
      }
      const enqueue = createProgress('reconcile: requesting rebuilds');
      const jobs = new Map<string, string | undefined>();
      for (let i = 0; i < accounts.length; i += CHUNK) {
        const chunk = accounts.slice(i, i + CHUNK);
        await ctx.index.forgetDocs(chunk);
        for (const [account, job] of await ctx.queue.request(chunk)) jobs.set(account, job);
        enqueue.update(Math.min(i + CHUNK, accounts.length), accounts.length);
      }
      enqueue.stop();
      ctx.out(`reconcile: requested a rebuild of ${plural(accounts.length, 'account')}\n`);
      if (!flags.wait) return 0;
      await warnIfNoWorkers(ctx);
      const waiting = createProgress('reconcile: rebuilt');
      const results = await waitForRebuilds(ctx.queue, jobs, { timeoutMs: flags.timeout * 1000, pollMs: 500, onProgress: (d, t) => waiting.update(d, t) });
      waiting.stop();
      ctx.out(renderRebuildResults('reconcile', results, needsAttention));
      return waitExitCode(results);
    });
  });
}
