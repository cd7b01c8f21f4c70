import { Command } from 'clipanion';
import { TmCommand } from '../base.js';
import { kindOptions, twoStepHint } from '../kindRun.js';
import { databasesOption, parseDuration, schemasOption } from '../options.js';

export class ResetCommand extends TmCommand {
  static override paths = [['reset']];
  static override usage = Command.Usage({
    description: 'Drop every table, view, type and sequence in tenant schemas (backed up first)',
    details: `
      Empties the tenant schemas named with --schema, or every tenant schema of tenants.yaml: the schemas stay, everything in them goes. The plan shows exactly what goes. Every table is copied to the backup schema first (unless --skip-backup), so \`tm rollback reset --schema <s>\` brings a schema back with its data.

      Asks for confirmation like \`tm migrate\` (--force to skip; refused without a terminal).
    `,
    examples: [
      ['Empty one tenant', 'tm reset --schema tenant_test'],
      ['Undo it', 'tm rollback reset --schema tenant_test'],
    ],
  });

  schemas = schemasOption();
  databases = databasesOption();
  force = kindOptions.force();
  dryRun = kindOptions.dryRun();
  skipBackup = kindOptions.skipBackup();
  parallelism = kindOptions.parallelism();
  lockWait = kindOptions.lockWait();
  lockTimeout = kindOptions.lockTimeout();
  maxBackupSize = kindOptions.maxBackupSize();
  sql = kindOptions.sql();

  protected async run() {
    const lockTimeoutMs = parseDuration(this.lockTimeout, '--lock-timeout');
    const { openProject } = await import('../context.js');
    const { planReset } = await import('../../plan/kinds/index.js');
    const { runKindPlan } = await import('../kindRun.js');
    const project = openProject(this.projectDir);
    const plan = await planReset(project, { schemas: this.schemas, databases: this.databases, lockTimeoutMs, skipBackup: this.skipBackup });
    return runKindPlan({
      command: 'tm reset',
      plan,
      project,
      io: this.context,
      dryRun: this.dryRun,
      force: this.force,
      ask: true,
      twoStep: twoStepHint(plan, ['--kind', 'reset', ...this.schemas.flatMap((s) => ['--schema', s]), ...this.databases.flatMap((d) => ['--database', d])]),
      parallelism: this.parallelism,
      lockWait: this.lockWait,
      maxBackupSize: this.maxBackupSize,
      sql: this.sql,
      nothingToDo: 'Nothing to reset: the selected tenant schemas are empty or do not exist.',
    });
  }
}
