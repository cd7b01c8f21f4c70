import { Command, Option } from 'clipanion';
import { join, relative, resolve } from 'node:path';
import { TmError } from '../../errors.js';
import { TmCommand } from '../base.js';
import { noSqlOption } from '../options.js';

export class ShowCommand extends TmCommand {
  static override paths = [['show']];
  static override usage = Command.Usage({
    description: 'Render a plan file as text, Markdown or JSON',
    details: `
      Reads a plan file written by \`tm plan\` (refusing one whose integrity hash does not match, as \`tm apply\` does) and prints it. Contacts no database.

      - \`text\`: what \`tm plan\` printed.
      - \`markdown\`: a pull-request comment: summary table, hazards as a checklist, outlier cohorts called out, one collapsible section per cohort with its SQL and tenants.
      - \`json\`: a documented, versioned shape for other tools (\`format_version\` "1.0", JSON Schema in schemas/plan-json-output.schema.json). Lists every tenant; text and Markdown shorten long tenant lists.
    `,
    examples: [
      ['Render a plan for a pull request', 'tm show plans/x.plan.json --format markdown'],
      ['Hazard types of a plan, with jq', 'tm show plans/x.plan.json --format json | jq .summary.hazards'],
    ],
  });

  plan = Option.String({ required: true, name: 'plan file' });
  format = Option.String('--format', 'text', { description: 'text | markdown | json' });
  noSql = noSqlOption('One line per step instead of its SQL (text and markdown)');

  protected async run() {
    const format = this.format.toLowerCase() === 'md' ? 'markdown' : this.format.toLowerCase();
    const { PLAN_FORMATS, isPlanFormat } = await import('../../output/planFormats.js');
    if (!isPlanFormat(format)) {
      throw new TmError(`--format takes ${Object.keys(PLAN_FORMATS).join(', ')}, not "${this.format}".`);
    }
    const { readPlan } = await import('../../plan/file.js');
    const { styleFor } = await import('../../output/style.js');
    const { existsSync } = await import('node:fs');
    const { loadTenantsConfig } = await import('../../config/tenants.js');
    const { DEFAULT_METADATA_SCHEMA } = await import('../../config/tmSchemas.js');
    const path = resolve(this.projectDir, this.plan);
    const plan = readPlan(path);
    const text = PLAN_FORMATS[format](plan, {
      sql: !this.noSql,
      planPath: relative(this.projectDir, path) || path,
      style: styleFor(this.context.stdout as { isTTY?: boolean }),
      // tenants.yaml's metadataSchema, or the default when there is no tenants.yaml here.
      metadataSchema: () => (existsSync(join(this.projectDir, 'tenants.yaml')) ? loadTenantsConfig(this.projectDir).metadataSchema : DEFAULT_METADATA_SCHEMA),
    });
    await new Promise<void>((done, fail) => this.context.stdout.write(text, (error) => (error ? fail(error) : done())));
    return 0;
  }
}
