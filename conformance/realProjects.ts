/**
 * ../shared/corpus/real/<project>/: real open-source Prisma projects, each
 * with `current/` (the schema today), `older/` (about a year earlier) and
 * `migrations/` (their prisma/migrations history, oldest first by name). The
 * files are unedited originals; SOURCE.txt lists what Prisma 7 needs taken out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchemaText } from './newTenant.js';
import { corpusDir } from './support.js';
import type { LoadedSchema } from '../src/schema/load.js';

export interface RealProject {
  name: string;
  dir: string;
  /** Migration folder names, in the order Prisma applies them. */
  migrations: string[];
}

export function realDir(): string {
  return join(corpusDir(), 'real');
}

export function loadRealProjects(): RealProject[] {
  return readdirSync(realDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(realDir(), name);
      const migrationsDir = join(dir, 'migrations');
      const migrations = readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      return { name, dir, migrations };
    });
}

export function migrationSql(project: RealProject, migration: string): string {
  return readFileSync(join(project.dir, 'migrations', migration, 'migration.sql'), 'utf8');
}

/** A version's schema: the .prisma files of `current/` or `older/`, as Prisma 7 takes them (see adaptForPrisma7). */
export interface ProjectSchema {
  /** What tm's loader made of the adapted files (the files Prisma's engine is given too). */
  loaded: LoadedSchema;
  /** The edits adaptForPrisma7 had to make, per file, for the report. */
  edits: string[];
}

export async function loadVersion(project: RealProject, version: 'current' | 'older'): Promise<ProjectSchema> {
  const dir = join(project.dir, version);
  const files = readdirSync(dir).filter((f) => f.endsWith('.prisma')).sort();
  if (files.length !== 1) throw new Error(`${dir}: expected one schema.prisma, found ${files.length} .prisma files`);
  const { text, edits } = adaptForPrisma7(readFileSync(join(dir, files[0]), 'utf8'));
  return { loaded: await loadSchemaText(text), edits: edits.map((e) => `${version}/${files[0]}: ${e}`) };
}

const PRISMA6_DATASOURCE_KEYS = ['url', 'directUrl', 'shadowDatabaseUrl'];

/**
 * TEMPORARY — delete once tm's loader accepts what SOURCE.txt lists (issue
 * #15, bugs 9 and 11). The corpus files are unedited Prisma 6 era schemas;
 * this makes the edits SOURCE.txt records, and only those, keeping every line
 * number: datasource `url` / `directUrl` / `shadowDatabaseUrl` lines and the
 * `previewFeatures` line (features Prisma 7 no longer knows; none affects
 * DDL) become blank lines, and `/* … *\/` block comments become `//` lines.
 * Returns what it changed, which the runner prints, so that it is visible
 * while it is needed.
 */
export function adaptForPrisma7(text: string): { text: string; edits: string[] } {
  const edits: string[] = [];
  let out = text.replace(/^[ \t]*(\w+)[ \t]*=.*$/gm, (line, key: string) => {
    if (PRISMA6_DATASOURCE_KEYS.includes(key)) edits.push(`removed ${key}`);
    else if (key === 'previewFeatures') edits.push(`removed ${line.trim()}`);
    else return line;
    return '';
  });
  out = out.replace(/\/\*[\s\S]*?\*\//g, (comment) => {
    edits.push('block comment → // comments');
    return comment
      .split('\n')
      .map((line) => '// ' + line.replace(/^\s*(\/\*+|\*\/|\*)?/, '').replace(/\*\/\s*$/, ''))
      .join('\n');
  });
  return { text: out, edits: [...new Set(edits)] };
}
