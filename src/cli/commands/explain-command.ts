import type { Command } from 'commander';
import { isE164, show } from '../../rules/index.js';
import { explainNumber } from '../../explain/explain-number.js';
import { readExplainFacts } from '../../explain/read-facts.js';
import { renderExplanation } from '../format/explain-format.js';
import { addCommandFlags, runWithContext } from './command-context.js';

export function addExplainCommand(program: Command): void {
  const command = program
    .command('explain')
    .description(
      "Why a number is or is not in an account's phone_numbers doc: its number doc's deciding fields, which accounts " +
        'must list it and by which rule, what the index holds, and whether each account doc agrees. Exit 1 when something disagrees.',
    )
    .argument('<number>', 'an E.164 number (+ then 8 to 15 digits)')
    .option('--json', 'print the explanation as JSON');
  addCommandFlags(command).action(async (number: string, flags: Record<string, unknown> & { json?: boolean }) => {
    if (!isE164(number)) {
      command.error(`not an E.164 number: ${show(number, 40)} (expected + then 8 to 15 digits, e.g. +14155550100)`, {
        exitCode: 2,
        code: 'numbers-sync.invalidNumber',
      });
    }
    await runWithContext(flags, async (ctx) => {
      const explanation = explainNumber(
        await readExplainFacts({ couch: ctx.couch, redis: ctx.redis, index: ctx.index, maxDocBytes: ctx.config.maxDocBytes }, number),
      );
      ctx.out(flags.json ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
      return explanation.consistent ? 0 : 1;
    });
  });
}
