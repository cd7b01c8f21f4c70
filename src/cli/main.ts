/**
 * The edge of tm: parses the command line and hands over to a command. Heavy
 * modules (pg, the Prisma wasm engines) are imported inside the commands that
 * need them so that `tm --help` starts fast.
 */
import { Builtins, Cli } from 'clipanion';
import { TM_VERSION } from '../version.js';
import * as pending from './commands/pending.js';
import { ApplyCommand } from './commands/apply.js';
import { DriftCommand } from './commands/drift.js';
import { PlanCommand } from './commands/plan.js';
import { ShowCommand } from './commands/show.js';
import { StatusCommand } from './commands/status.js';
import { ValidateCommand } from './commands/validate.js';

export async function main(argv: string[]): Promise<number> {
  const cli = new Cli({ binaryLabel: 'tm', binaryName: 'tm', binaryVersion: TM_VERSION,
    enableColors: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(PlanCommand);
  cli.register(ApplyCommand);
  cli.register(StatusCommand);
  cli.register(ValidateCommand);
  cli.register(ShowCommand);
  cli.register(DriftCommand);
  for (const command of Object.values(pending)) cli.register(command);
  return cli.run(argv);
}
