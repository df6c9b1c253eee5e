import { Command } from 'commander';
import { addDaemonCommands } from './commands/daemon-commands.js';
import { addCouchCommand } from './commands/couch-command.js';

export function buildProgram(): Command {
  const program = new Command('numbers-sync')
    .description("Keeps every KAZOO account's phone_numbers document in sync with the numbers/* databases.")
    .showHelpAfterError()
    .enablePositionalOptions();
  addDaemonCommands(program);
  addCouchCommand(program);
  return program;
}
