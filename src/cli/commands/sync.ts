import { Command } from 'clipanion';
import { KindCommand, kindOptions, selectionArgs } from '../kindRun.js';
import { schemasOption } from '../options.js';

export class SyncCommand extends KindCommand {
  static override paths = [['sync']];
  static override usage = Command.Usage({
    description: 'Bring tenants (new ones included) to the current Prisma folder without a new migration name',
    details: `
      Plans every tenant listed in or discovered through tenants.yaml (or those named with --schema) against the Prisma folder, creating tenants that do not exist yet and repairing tenants changed by hand, and applies it. History records it as a sync of the latest migration name. This is how a new tenant is onboarded.

      A sync that only creates and adds runs without asking; one that would remove data (a column added by hand, say) asks for confirmation like \`tm migrate\` (--force to skip; refused without a terminal).
    `,
    examples: [
      ['Onboard tenants added to tenants.yaml and repair drifted ones', 'tm sync'],
      ['One tenant', 'tm sync --schema tenant_acme'],
    ],
  });

  schemas = schemasOption();
  parallelism = kindOptions.parallelism();

  protected async run() {
    const lockTimeoutMs = this.lockTimeoutMs;
    const { openProject } = await import('../context.js');
    const { planFromPrisma, syncName } = await import('../../plan/kinds/index.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const selection = { schemas: this.schemas, databases: this.databases };
    const name = await syncName(project, selection);
    const plan = await planFromPrisma(project, 'sync', name, { ...selection, lockTimeoutMs, skipBackup: this.skipBackup });
    return this.runPlan(plan, project, {
      command: 'tm sync',
      ask: plan.summary.hazards.includes('DATA_LOSS'),
      planArgs: ['--kind', 'sync', ...selectionArgs(this.schemas, this.databases)],
      parallelism: this.parallelism,
    });
  }
}
