import { Command } from 'clipanion';
import { KindCommand, kindOptions, selectionArgs } from '../kindRun.js';
import { schemasOption } from '../options.js';

export class ResetCommand extends KindCommand {
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
  parallelism = kindOptions.parallelism();

  protected async run() {
    const lockTimeoutMs = this.lockTimeoutMs;
    const { openProject } = await import('../context.js');
    const { planReset } = await import('../../plan/kinds/index.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const plan = await planReset(project, { schemas: this.schemas, databases: this.databases, lockTimeoutMs, skipBackup: this.skipBackup });
    return this.runPlan(plan, project, {
      command: 'tm reset',
      ask: true,
      planArgs: ['--kind', 'reset', ...selectionArgs(this.schemas, this.databases)],
      parallelism: this.parallelism,
      nothingToDo: 'Nothing to reset: the selected tenant schemas are empty or do not exist.',
    });
  }
}
