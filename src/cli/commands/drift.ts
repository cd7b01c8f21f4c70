import { Command, Option } from 'clipanion';
import { TmCommand } from '../base.js';
import { databasesOption, jsonOption, schemasOption } from '../options.js';

export class DriftCommand extends TmCommand {
  static override paths = [['drift']];
  static override usage = Command.Usage({
    description: 'Report objects that differ between the databases and the Prisma folder',
    details: `
      Per tenant schema, by name: objects in the database but not in the Prisma folder (extra), in the Prisma folder but not in the database (missing), and in both but defined differently (changed): tables, columns, constraints, indexes, enums, sequences and views. Also says when a schema changed outside tm since tm last applied a plan to it. Schemas in the same drift are shown once.

      Extras are only reported; \`--prune\` adds, per schema, the statements that would drop them, for review (they are not run: \`tm plan\` plans them with the rest).

      Exit codes: 0 no drift, 2 drift (some schema differs or is not created), 1 error.
    `,
    examples: [
      ['Nightly drift check in CI', 'tm drift'],
      ['One schema, machine-readable, with the statements that would drop its extras', 'tm drift --schema tenant_acme --json --prune'],
    ],
  });

  schemas = schemasOption();
  databases = databasesOption();
  json = jsonOption();
  prune = Option.Boolean('--prune', false, { description: 'Also show the statements that would drop objects not in the Prisma folder (not run)' });

  protected async run() {
    const { openProject } = await import('../context.js');
    const { detectDrift } = await import('../../plan/drift.js');
    const { driftTotals, renderDriftText } = await import('../../output/driftText.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const report = await detectDrift(project, { schemas: this.schemas, databases: this.databases, prune: this.prune });
    if (this.json) {
      const { driftToJson } = await import('../../output/driftJson.js');
      this.context.stdout.write(JSON.stringify(driftToJson(report), null, 2) + '\n');
    } else {
      this.context.stdout.write(renderDriftText(report, { prune: this.prune }));
    }
    const { noTenantNotes } = await import('../../output/noTenants.js');
    for (const note of noTenantNotes(project.config, report.databases, report.schemas.map((s) => s.database), this.schemas.length > 0)) this.context.stderr.write(note + '\n');
    return driftTotals(report).drifted > 0 ? 2 : 0;
  }
}
