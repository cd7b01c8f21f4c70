/**
 * The edge of tm: parses the command line and hands over to a command. Heavy
 * modules (pg, the Prisma wasm engines) are imported inside the commands that
 * need them so that `tm --help` starts fast.
 */
import { Builtins, Cli } from 'clipanion';
import { TM_VERSION } from '../version.js';
import { ApplyCommand } from './commands/apply.js';
import { BackupsListCommand, BackupsPruneCommand } from './commands/backups.js';
import { DriftCommand } from './commands/drift.js';
import { HelpCommand } from './commands/help.js';
import { InitCommand } from './commands/init.js';
import { MigrateCommand } from './commands/migrate.js';
import { PlanCommand } from './commands/plan.js';
import { ResetCommand } from './commands/reset.js';
import { RollbackCommand } from './commands/rollback.js';
import { ShowCommand } from './commands/show.js';
import { StatusCommand } from './commands/status.js';
import { SyncCommand } from './commands/sync.js';
import { ValidateCommand } from './commands/validate.js';

export async function main(argv: string[]): Promise<number> {
  const cli = new Cli({ binaryLabel: 'tm', binaryName: 'tm', binaryVersion: TM_VERSION,
    enableColors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(HelpCommand);
  cli.register(PlanCommand);
  cli.register(ApplyCommand);
  cli.register(StatusCommand);
  cli.register(ValidateCommand);
  cli.register(ShowCommand);
  cli.register(DriftCommand);
  cli.register(InitCommand);
  for (const command of [MigrateCommand, SyncCommand, RollbackCommand, ResetCommand, BackupsListCommand, BackupsPruneCommand]) cli.register(command);
  return cli.run(argv);
}
