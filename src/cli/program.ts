import { Command } from 'commander';
import { addDaemonCommands } from './commands/daemon-commands.js';
import { addCouchCommand } from './commands/couch-command.js';
import { addRebuildCommand } from './commands/rebuild-command.js';
import { addReconcileCommand } from './commands/reconcile-command.js';
import { addReindexCommand } from './commands/reindex-command.js';
import { addVerifyCommand } from './commands/verify-command.js';
import { addStatusCommand } from './commands/status-command.js';
import { addDemoCommand } from './commands/demo-command.js';
import { addDoctorCommand } from './commands/doctor-command.js';
import { addExplainCommand } from './commands/explain-command.js';

export function buildProgram(): Command {
  const program = new Command('numbers-sync')
    .description("Keeps every KAZOO account's phone_numbers document in sync with the numbers/* databases.")
    .showHelpAfterError()
    .enablePositionalOptions();
  addDaemonCommands(program);
  addCouchCommand(program);
  addRebuildCommand(program);
  addReconcileCommand(program);
  addReindexCommand(program);
  addVerifyCommand(program);
  addStatusCommand(program);
  addDemoCommand(program);
  addDoctorCommand(program);
  addExplainCommand(program);
  return program;
}
