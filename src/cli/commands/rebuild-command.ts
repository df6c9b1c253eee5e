import type { Command } from 'commander';
import { waitForRebuilds } from '../../queue/rebuild-waiter.js';
import { renderRebuildResults, waitExitCode } from '../format/rebuild-format.js';
import { addCommandFlags, runWithContext } from './command-context.js';
import { invalidAccountIds, invalidIdsMessage, parseSeconds, warnIfNoWorkers } from './args.js';

export function addRebuildCommand(program: Command): void {
  const command = program
    .command('rebuild')
    .description('Request a rebuild of the phone_numbers doc of the given accounts (from the index; the workers run it).')
    .argument('<accountId...>', 'account ids (32 characters of [0-9a-z])')
    .option('--wait', 'wait until the rebuilds finished and report the outcome per account (exit 1 if one failed)')
    .option('--timeout <seconds>', 'give up waiting after this long', parseSeconds, 600);
  addCommandFlags(command).action(async (accountIds: string[], flags: Record<string, unknown> & { wait?: boolean; timeout: number }) => {
    const invalid = invalidAccountIds(accountIds);
    if (invalid.length > 0) command.error(invalidIdsMessage(invalid), { exitCode: 2, code: 'numbers-sync.invalidAccountId' });
    await runWithContext(flags, async (ctx) => {
      // An explicit rebuild reads each doc from CouchDB, repairing any edit made behind our back.
      await ctx.index.forgetDocs(accountIds);
      const jobs = await ctx.queue.request(accountIds);
      if (!flags.wait) {
        for (const [accountId, jobId] of jobs) ctx.out(`${accountId}  rebuild requested (job ${jobId ?? '?'})\n`);
        return 0;
      }
      await warnIfNoWorkers(ctx);
      const results = await waitForRebuilds(ctx.queue, jobs, { timeoutMs: flags.timeout * 1000 });
      ctx.out(renderRebuildResults('rebuild', results));
      return waitExitCode(results);
    });
  });
}
