/**
 * `tm validate`: checks the Prisma schema folder and tenants.yaml offline and
 * prints a one-screen summary. It connects to no database and needs no
 * secrets, so that CI can run it on every pull request; an unset connection
 * variable is a warning here (plan and apply will refuse it).
 */
import { Command } from 'clipanion';
import { TmCommand } from '../base.js';

/** At most this many names per list, so the summary fits one screen with hundreds of tenants. */
const MAX_NAMES = 8;
/** Where the values of the summary start. */
const LABEL_WIDTH = 18;

export class ValidateCommand extends TmCommand {
  static override paths = [['validate']];
  static override usage = Command.Usage({
    description: 'Check the Prisma schema folder and tenants.yaml',
    details: `
      Loads the Prisma schema (the folder named by prisma.config.ts, else prisma/schema/, else prisma/schema.prisma), checks it with Prisma's own validator, reads tenants.yaml and .env, and prints a summary. Contacts no database.

      Exits 1 with the file and line of the first problem found.
    `,
    examples: [['Check the project in the current directory', 'tm validate']],
  });

  protected async run() {
    // Imported here, not at the top: they load Prisma's wasm validator, the
    // Prisma parser, yaml and ajv, which `tm --help` must not wait for.
    const { loadPrismaSchema } = await import('../../schema/load.js');
    const { loadTenantsConfig, maskUrl } = await import('../../config/tenants.js');
    const { loadEnvironment } = await import('../../config/env.js');
    const { usesEmbedded } = await import('../../db/target.js');
    const { writeSchemaWarnings } = await import('../context.js');

    const schema = await loadPrismaSchema(this.projectDir);
    writeSchemaWarnings(schema, this.context.stderr);
    const tenants = loadTenantsConfig(this.projectDir);
    const env = loadEnvironment(this.projectDir);

    const out: string[] = [];
    const row = (label: string, value: string, indent = 2) => out.push(`${' '.repeat(indent)}${label.padEnd(LABEL_WIDTH - indent - 1)} ${value}`);
    const inFolder = (file: string) => (schema.files.length > 1 && file.startsWith(`${schema.folder}/`) ? file.slice(schema.folder.length + 1) : file);

    out.push(`${'Prisma schema'.padEnd(LABEL_WIDTH)}${schema.folder} (${count(schema.files.length, 'file')}, ${schema.hash.slice(0, 'sha256:'.length + 12)})`);
    row('files', names(schema.files.map((f) => inFolder(f.path))));
    row('datasource', `${schema.datasource.name} (${schema.datasource.provider}${schema.datasource.schemas ? `, schemas ${schema.datasource.schemas.join(', ')}` : ''})`);
    row(`models (${schema.models.length})`, names(schema.models));
    row(`enums (${schema.enums.length})`, names(schema.enums));
    row(`views (${schema.views.length})`, names(schema.views));

    out.push(`${'tenants.yaml'.padEnd(LABEL_WIDTH)}metadata schema ${tenants.metadataSchema}, ${count(tenants.databases.length, 'database')}`);
    const warnings: string[] = [];
    for (const db of tenants.databases) {
      const url = env[db.urlEnv];
      row(db.name, `url env(${db.urlEnv}) ${url ? `= ${maskUrl(url)}` : '(not set)'}`);
      if (!url) {
        warnings.push(
          usesEmbedded(db, env)
            ? `Warning: ${db.urlEnv} is not set (database "${db.name}"); plan and apply will use tm's embedded PostgreSQL in state/pglite/${db.name}/.`
            : `Warning: ${db.urlEnv} is not set (database "${db.name}"); validate does not need it, plan and apply will.`,
        );
      }
      row(`tenants (${db.tenants.length})`, names(db.tenants.map((t) => t.schema)), 4);
      row('discover', db.discover.length > 0 ? db.discover.join(', ') : '-', 4);
      row('labels', labelSummary(db.tenants), 4);
    }
    out.push('Valid (no database was contacted).');

    this.context.stdout.write(`${out.join('\n')}\n`);
    if (warnings.length > 0) this.context.stderr.write(`${warnings.join('\n')}\n`);
    return 0;
  }
}

function names(list: string[]): string {
  if (list.length === 0) return '-';
  const shown = list.slice(0, MAX_NAMES).join(', ');
  return list.length > MAX_NAMES ? `${shown}, … (${list.length - MAX_NAMES} more)` : shown;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `wave=canary (2), tier=gold (1)`: each label value and how many tenants carry it. */
function labelSummary(tenants: Array<{ labels: Record<string, string> }>): string {
  const counts = new Map<string, number>();
  for (const tenant of tenants) {
    for (const [key, value] of Object.entries(tenant.labels)) counts.set(`${key}=${value}`, (counts.get(`${key}=${value}`) ?? 0) + 1);
  }
  return names([...counts].map(([label, n]) => `${label} (${n})`));
}
