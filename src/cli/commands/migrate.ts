import { Command, Option } from 'clipanion';
import { TmError } from '../../errors.js';
import { KindCommand, kindOptions, selectionArgs } from '../kindRun.js';
import { schemasOption } from '../options.js';

export class MigrateCommand extends KindCommand {
  static override paths = [['migrate']];
  static override usage = Command.Usage({
    description: 'Plan from the Prisma folder, confirm, apply, and record the migration name',
    details: `
      Plans every tenant (or those named with --schema) against the Prisma folder, as \`tm plan\` does, shows the plan, asks for confirmation, saves it to plans/ and applies it as \`tm apply\` does, recording <name> in each tenant's history. Data that destructive steps remove is backed up first (see \`tm backups\`) unless --skip-backup.

      Without a terminal to ask on, it refuses unless --force is given; or plan and apply in two steps (\`tm plan --kind migrate --name <name> -o <file>\`, then \`tm apply <file>\`). --dry-run shows the plan and changes nothing (no plan file is written).

      A migration name uses letters, digits and _ and should say what changes (add_user_nickname); names such as update1 are accepted with a warning.
    `,
    examples: [
      ['Migrate every tenant, asking first', 'tm migrate add_user_nickname'],
      ['See what it would do', 'tm migrate add_user_nickname --dry-run'],
      ['In CI', 'tm migrate add_user_nickname --force'],
    ],
  });

  name = Option.String({ required: true, name: 'name' });
  schemas = schemasOption();
  parallelism = kindOptions.parallelism();

  protected async run() {
    const { MIGRATION_NAME, VAGUE_MIGRATION_NAME, planFromPrisma } = await import('../../plan/kinds/index.js');
    if (!MIGRATION_NAME.test(this.name)) {
      throw new TmError(`A migration name uses letters, digits and _ only (at most 64 characters): "${this.name}".`, 'Say what changes, e.g. add_user_nickname.');
    }
    if (VAGUE_MIGRATION_NAME.test(this.name)) {
      this.context.stderr.write(`Warning: the name "${this.name}" does not say what the migration changes; history reads better with a name such as add_user_nickname.\n`);
    }
    const lockTimeoutMs = this.lockTimeoutMs;
    const { openProject } = await import('../context.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const plan = await planFromPrisma(project, 'migrate', this.name, {
      schemas: this.schemas,
      databases: this.databases,
      lockTimeoutMs,
      skipBackup: this.skipBackup,
    });
    return this.runPlan(plan, project, {
      command: 'tm migrate',
      ask: true,
      planArgs: ['--kind', 'migrate', '--name', this.name, ...selectionArgs(this.schemas, this.databases), ...(this.skipBackup ? ['--skip-backup'] : [])],
      parallelism: this.parallelism,
    });
  }
}
