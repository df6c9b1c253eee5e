import type { Command } from 'commander';
import { collectStatus } from '../../status/collect-status.js';
import { renderStatus } from '../format/status-format.js';
import { addCommandFlags, runWithContext } from './command-context.js';
import { parsePositiveInt } from './args.js';

export function addStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .description(
      'Show the sync state: per numbers database its checkpoint and the changes not yet indexed, queue ' +
        'counts, recent failed jobs, the listener lease holder, the index epoch, accounts without a database.',
    )
    .option('--json', 'print the status as JSON')
    .option('--failed <n>', 'show at most this many failed jobs (newest first)', parsePositiveInt, 10);
  addCommandFlags(command).action(async (flags: Record<string, unknown> & { json?: boolean; failed: number }) => {
    await runWithContext(flags, async (ctx) => {
      const report = await collectStatus({ ...ctx, failedLimit: flags.failed });
      ctx.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
      return 0;
    });
  });
}
