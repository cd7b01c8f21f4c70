/**
 * `tm init`: what an existing Prisma project needs to start using tm —
 * tenants.yaml, plans/ (committed, reviewed), state/ (local, ignored) and a
 * CI workflow — written only where nothing is in the way.
 *
 * The connection string's variable follows the project's Prisma setup: the
 * `env('NAME')` of prisma.config.ts's datasource, else of the schema's
 * datasource `url = env("NAME")`, else DATABASE_URL (Prisma's default).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SCHEMA_NAME } from '../config/tenants.js';
import { backupSchemaName, DEFAULT_METADATA_SCHEMA, DESIRED_SCHEMA_PREFIX } from '../config/tmSchemas.js';
import type { Queryable } from '../db/queryable.js';
import { locateSchema } from '../schema/locate.js';

export const DEFAULT_URL_ENV = 'DATABASE_URL';
export const DEFAULT_DISCOVER = 'tenant_*';

export interface UrlEnv {
  name: string;
  /** What chose it: `prisma.config.ts`, `prisma/schema/schema.prisma` or `default`. */
  from: string;
}

const CONFIG_FILES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.cts', 'prisma.config.js', 'prisma.config.mjs', 'prisma.config.cjs'];

/** The variable Prisma reads the connection string from in this project. */
export function urlEnvName(projectDir: string): UrlEnv {
  const envCall = /\benv\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)|\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)|\bprocess\.env\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]/;
  for (const name of CONFIG_FILES) {
    const file = path.join(projectDir, name);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').replace(/^[ \t]*\/\/.*$/gm, '');
    const datasource = /\bdatasource\s*:\s*\{([^}]*)\}/.exec(text);
    const match = datasource && envCall.exec(datasource[1]);
    if (match) return { name: match[1] ?? match[2] ?? match[3], from: name };
  }
  try {
    const location = locateSchema(projectDir);
    const files =
      location.kind === 'file'
        ? [location.path]
        : listPrismaFiles(path.join(projectDir, location.path)).map((f) => path.posix.join(location.path, f));
    for (const file of files) {
      const text = readFileSync(path.join(projectDir, file), 'utf8').replace(/\/\/.*$/gm, '');
      const block = /\bdatasource\s+\w+\s*\{([^}]*)\}/.exec(text);
      const match = block && /\burl\s*=\s*env\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/.exec(block[1]);
      if (match) return { name: match[1], from: file };
    }
  } catch {
    // no schema: the caller reports it
  }
  return { name: DEFAULT_URL_ENV, from: 'default' };
}

function listPrismaFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.prisma'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/** A schema of the database that is not PostgreSQL's, public, or tm's own. */
export interface FoundSchema {
  schema: string;
  tables: number;
}

/** Schemas that could be tenants: every schema but PostgreSQL's own, public and tm's. */
export async function candidateSchemas(db: Queryable, metadataSchema = DEFAULT_METADATA_SCHEMA): Promise<FoundSchema[]> {
  const { rows } = await db.query<{ schema: string; tables: number }>(
    `select n.nspname::text as schema, count(c.oid)::int as tables
       from pg_catalog.pg_namespace n
       left join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p')
      where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
      group by n.nspname
      order by n.nspname`,
  );
  const own = new Set(['public', metadataSchema, backupSchemaName(metadataSchema)]);
  return rows.filter((r) => !own.has(r.schema) && !r.schema.startsWith(DESIRED_SCHEMA_PREFIX) && SCHEMA_NAME.test(r.schema));
}

/**
 * Discover patterns for the schemas found: `prefix_*` for every prefix (up to
 * the first `_`) that at least two schemas share, most common first;
 * `tenant_*` when there is none.
 */
export function discoverPatterns(schemas: string[]): string[] {
  const counts = new Map<string, number>();
  for (const schema of schemas) {
    const at = schema.indexOf('_');
    if (at <= 0 || at === schema.length - 1) continue;
    const prefix = schema.slice(0, at + 1);
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  const patterns = [...counts].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([p]) => `${p}*`);
  return patterns.length ? patterns : [DEFAULT_DISCOVER];
}

/**
 * Which schemas the user picked from a numbered list: `all`, `none` (or
 * nothing), or numbers and ranges (`1,3-5`). Null when the answer is not one
 * of those.
 */
export function parseSelection(answer: string, count: number): number[] | null {
  const text = answer.trim().toLowerCase();
  if (text === '' || text === 'none' || text === 'n') return [];
  if (text === 'all' || text === 'a') return Array.from({ length: count }, (_, i) => i);
  const picked = new Set<number>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) return null;
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    if (from < 1 || to > count || from > to) return null;
    for (let i = from; i <= to; i++) picked.add(i - 1);
  }
  return [...picked].sort((a, b) => a - b);
}

export interface TenantsYamlOptions {
  urlEnv: string;
  listed: string[];
  discover: string[];
}

/** tenants.yaml for one database, `main`, commented for a first reader. */
export function renderTenantsYaml(options: TenantsYamlOptions): string {
  const line = (code: string, comment?: string) => (comment ? `${code.padEnd(31)} # ${comment}` : code);
  const lines = [
    '# The tenant schemas tm manages, per database. Connection strings never live',
    `# here: \`url: env(${options.urlEnv})\` names the environment variable (or .env`,
    `# entry) that holds one. With ${options.urlEnv} unset, tm uses its embedded`,
    '# PostgreSQL in state/pglite/ (to try tm out); set it to use your server.',
    line(`metadataSchema: ${DEFAULT_METADATA_SCHEMA}`, 'where tm keeps its history in each database'),
    'databases:',
    '  main:',
    line(`    url: env(${options.urlEnv})`),
  ];
  if (options.listed.length) {
    lines.push(line('    tenants:', 'listed tenants: tm apply creates those that do not exist'));
    for (const schema of options.listed) lines.push(`      - ${schema}`);
  } else {
    lines.push(line('    tenants: []', 'listed tenants, e.g. [tenant_acme]: tm apply creates them'));
  }
  lines.push(line('    discover:', 'existing schemas whose names match are tenants too'));
  for (const pattern of options.discover) lines.push(`      - ${pattern}`);
  return `${lines.join('\n')}\n`;
}

/** What state/.gitignore holds: nothing under state/ is committed. */
export const STATE_GITIGNORE = '# Local working files of tm (the embedded database, caches): never committed.\n*\n!.gitignore\n';

/** The example workflow that ships with tm (examples/ci/tm.yml), for a project whose variable is urlEnv. */
export function workflowText(urlEnv: string): string {
  const text = readFileSync(new URL('../../../examples/ci/tm.yml', import.meta.url), 'utf8');
  if (urlEnv === DEFAULT_URL_ENV) return text;
  return text.replace(/^(\s*)DATABASE_URL:(\s*\$\{\{ secrets\.)/m, `$1${urlEnv}:$2`).replace(/`url: env\(DATABASE_URL\)`/g, `\`url: env(${urlEnv})\``);
}

export interface PlannedFile {
  /** Relative to the project, with `/`. */
  path: string;
  content: string;
  /** Shown after the path. */
  note?: string;
}

export type FileOutcome = 'create' | 'overwrite' | 'unchanged' | 'conflict';

/** What writing each file would do: existing files with other content are conflicts unless forced. */
export function outcomes(projectDir: string, files: PlannedFile[], force: boolean): Array<PlannedFile & { outcome: FileOutcome }> {
  return files.map((file) => {
    const absolute = path.join(projectDir, file.path);
    if (!existsSync(absolute)) return { ...file, outcome: 'create' };
    let same = false;
    try {
      same = readFileSync(absolute, 'utf8') === file.content;
    } catch {
      same = false; // a directory in the way
    }
    if (same) return { ...file, outcome: 'unchanged' };
    return { ...file, outcome: force ? 'overwrite' : 'conflict' };
  });
}
