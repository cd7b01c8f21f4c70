/**
 * Commands whose issues have not landed yet. Each parses its real options
 * (so `--help` documents the interface) and exits 1 saying it is not
 * implemented: no fake output.
 */
import { Command, Option } from 'clipanion';
import { notYetImplemented, TmCommand } from '../base.js';

export class InitCommand extends TmCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({ description: 'Create tenants.yaml, plans/ and state/ in an existing Prisma project' });
  force = Option.Boolean('--force', false, { description: 'Overwrite existing files' });
  protected async run() {
    notYetImplemented('init');
  }
}
