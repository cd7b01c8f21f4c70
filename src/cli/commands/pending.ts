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

export class BackupsListCommand extends TmCommand {
  static override paths = [['backups', 'list']];
  static override usage = Command.Usage({ description: 'List the backups tm took before destructive steps' });
  protected async run() {
    notYetImplemented('backups list');
  }
}

export class BackupsPruneCommand extends TmCommand {
  static override paths = [['backups', 'prune']];
  static override usage = Command.Usage({ description: 'Delete backups older than a given age' });
  olderThan = Option.String('--older-than', { required: true, description: 'Age such as 30d' });
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  protected async run() {
    notYetImplemented('backups prune');
  }
}

export class SyncCommand extends TmCommand {
  static override paths = [['sync']];
  static override usage = Command.Usage({ description: 'Bring tenants (new ones included) to the current Prisma folder without a new migration name' });
  schemas = Option.Array('--schema', [], { description: 'Only these tenant schemas (repeatable)' });
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  protected async run() {
    notYetImplemented('sync');
  }
}

export class RollbackCommand extends TmCommand {
  static override paths = [['rollback']];
  static override usage = Command.Usage({ description: 'Return one schema to its state before a named migration' });
  name = Option.String({ required: true });
  schema = Option.String('--schema', { required: true, description: 'The tenant schema to roll back' });
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  protected async run() {
    notYetImplemented('rollback');
  }
}

export class ResetCommand extends TmCommand {
  static override paths = [['reset']];
  static override usage = Command.Usage({ description: 'Drop every table, type and sequence in tenant schemas (backed up first)' });
  schemas = Option.Array('--schema', [], { description: 'Only these tenant schemas (repeatable)' });
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  protected async run() {
    notYetImplemented('reset');
  }
}

export class MigrateCommand extends TmCommand {
  static override paths = [['migrate']];
  static override usage = Command.Usage({ description: 'Plan from the Prisma folder, confirm, apply, and record the migration name' });
  name = Option.String({ required: true });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Show the plan and change nothing' });
  skipBackup = Option.Boolean('--skip-backup', false, { description: 'Do not back up data that destructive steps remove' });
  schemas = Option.Array('--schema', [], { description: 'Only these tenant schemas (repeatable)' });
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  protected async run() {
    notYetImplemented('migrate');
  }
}


