import type { Command } from 'commander';
import { auditAccounts } from '../../audit/audit-accounts.js';
import { renderVerify, verifyReport } from '../format/verify-format.js';
import { createProgress } from '../progress.js';
import { addCommandFlags, runWithContext } from './command-context.js';
import { invalidAccountIds, invalidIdsMessage } from './args.js';

export function addVerifyCommand(program: Command): void {
  const command = program
    .command('verify')
    .description(
      'Audit: compute what every account must list straight from the numbers databases (not from the ' +
        'Redis index) and compare it with each account doc. Exit 1 when drift is found, 0 when clean.',
    )
    .option('--account <accountId...>', 'only these accounts (default: every account database)')
    .option('--json', 'print a machine-readable report')
    .option('--fix', 'request a rebuild of every drifted account (the workers repair them)');
  addCommandFlags(command).action(async (flags: Record<string, unknown> & { account?: string[]; json?: boolean; fix?: boolean }) => {
    const invalid = invalidAccountIds(flags.account ?? []);
    if (invalid.length > 0) command.error(invalidIdsMessage(invalid), { exitCode: 2 });
    await runWithContext(flags, async (ctx) => {
      const progress = process.stderr.isTTY && !flags.json ? createProgress('verify: account docs') : undefined;
      const result = await auditAccounts(ctx.couch, { accountIds: flags.account, maxDocBytes: ctx.config.maxDocBytes, onProgress: progress?.update });
      progress?.stop();
      const drifted = result.findings.map((f) => f.accountId);
      if (flags.fix && drifted.length > 0) {
        // The drift is in CouchDB, not in what the daemon last wrote: make the rebuilds read it.
        await ctx.index.forgetDocs(drifted);
        await ctx.queue.request(drifted);
      }
      const report = verifyReport(result, flags.fix ? drifted : undefined);
      ctx.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderVerify(report));
      return report.clean ? 0 : 1;
    });
  });
}
