import { Command } from 'clipanion';
import { TmCommand } from '../base.js';
import { databasesOption, detailedExitCode, detailedExitCodeOption, jsonOption, schemasOption } from '../options.js';

export class StatusCommand extends TmCommand {
  static override paths = [['status']];
  static override usage = Command.Usage({
    description: 'Where every tenant schema stands',
    details: `
      Per tenant: how many plans were applied, the last one and when, the schema's fingerprint, and whether it has pending changes against the Prisma folder. Tenants listed in tenants.yaml but not created yet, and schemas found by discovery patterns, are shown too.
    `,
  });

  schemas = schemasOption();
  databases = databasesOption();
  json = jsonOption();
  detailed = detailedExitCodeOption();

  protected async run() {
    const { openProject } = await import('../context.js');
    const { fleetStatus } = await import('../../plan/status.js');
    const { renderStatusTable } = await import('../../output/statusText.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const rows = await fleetStatus(project, { schemas: this.schemas, databases: this.databases });
    if (this.json) this.context.stdout.write(JSON.stringify({ tenants: rows }, null, 2) + '\n');
    else this.context.stdout.write(renderStatusTable(rows));
    const { noTenantNotes } = await import('../../output/noTenants.js');
    const { selectDatabases } = await import('../../fleet/databases.js');
    const covered = selectDatabases(project.config, this.databases).map((d) => d.name);
    for (const note of noTenantNotes(project.config, covered, rows.map((r) => r.database), this.schemas.length > 0)) this.context.stderr.write(note + '\n');
    const pending = rows.some((r) => r.state !== 'up to date');
    return this.detailed ? detailedExitCode(pending, false) : 0;
  }
}
