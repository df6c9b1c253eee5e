import type { Command } from 'commander';
import { auditAccounts } from '../../audit/audit-accounts.js';
import { renderVerify, verifyReport } from '../format/verify-format.js';
import { createProgress } from '../progress.js';
import { addCommandFlags, runWithContext } from './command-context.js';
import { invalidAccountIds, invalidIdsMessage } from './args.js';
import { followedNumbersDbs, reindexFromCommand } from './reindex-command.js';
import { isE164, numberDbName } from '../../rules/index.js';
import type { AccountFinding } from '../../audit/findings.js';
import type { ReindexOutcome } from '../../sweep/reindex-runner.js';
import { reindexLine } from '../format/reindex-format.js';

export function addVerifyCommand(program: Command): void {
  const command = program
    .command('verify')
    .description(
      'Audit: compute what every account must list straight from the numbers databases (not from the ' +
        'Redis index) and compare it with each account doc. Exit 1 when drift is found, 0 when clean.',
    )
    .option('--account <accountId...>', 'only these accounts (default: every account database)')
    .option('--json', 'print a machine-readable report')
    .option('--fix', 're-index the numbers databases of every drifted number, then request a rebuild of every drifted account (the workers repair them)');
  addCommandFlags(command).action(async (flags: Record<string, unknown> & { account?: string[]; json?: boolean; fix?: boolean }) => {
    const invalid = invalidAccountIds(flags.account ?? []);
    if (invalid.length > 0) command.error(invalidIdsMessage(invalid), { exitCode: 2 });
    await runWithContext(flags, async (ctx) => {
      const progress = process.stderr.isTTY && !flags.json ? createProgress('verify: account docs') : undefined;
      const result = await auditAccounts(ctx.couch, { accountIds: flags.account, maxDocBytes: ctx.config.maxDocBytes, onProgress: progress?.update });
      progress?.stop();
      const drifted = result.findings.map((f) => f.accountId);
      let reindexed: ReindexOutcome[] | undefined;
      if (flags.fix && drifted.length > 0) {
        // The index may be what is wrong (rebuilds read it): re-index the databases involved first.
        const existing = new Set(await followedNumbersDbs(ctx));
        const dbs = driftedDbs(result.findings).filter((db) => existing.has(db));
        reindexed = await reindexFromCommand(ctx, dbs, 3_600_000);
        // The drift is in CouchDB, not in what the daemon last wrote: make the rebuilds read it.
        await ctx.index.forgetDocs(drifted);
        await ctx.queue.request(drifted);
      }
      const report = verifyReport(result, flags.fix ? drifted : undefined);
      if (flags.json) ctx.out(`${JSON.stringify(reindexed ? { ...report, reindexed } : report, null, 2)}\n`);
      else ctx.out(renderVerify(report) + (reindexed ?? []).map((o) => `--fix: re-indexed ${reindexLine(o)}\n`).join(''));
      return report.clean ? 0 : 1;
    });
  });
}

/** The numbers databases holding the numbers that drifted (pure). */
function driftedDbs(findings: readonly AccountFinding[]): string[] {
  const dbs = new Set<string>();
  for (const f of findings) {
    for (const { number } of [...f.missing, ...f.extra, ...f.wrong]) if (isE164(number)) dbs.add(numberDbName(number));
  }
  return [...dbs].sort();
}
