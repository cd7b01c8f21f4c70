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

/** A version's schema: the unedited .prisma file of `current/` or `older/`, as tm's loader takes it. */
export interface ProjectSchema {
  /** What tm's loader made of the file (Prisma 6 keys ignored: the files Prisma's engine is given too). */
  loaded: LoadedSchema;
  /** The loader's warnings (Prisma 6 datasource keys, removed preview features), for the report. */
  edits: string[];
}

export async function loadVersion(project: RealProject, version: 'current' | 'older'): Promise<ProjectSchema> {
  const dir = join(project.dir, version);
  const files = readdirSync(dir).filter((f) => f.endsWith('.prisma')).sort();
  if (files.length !== 1) throw new Error(`${dir}: expected one schema.prisma, found ${files.length} .prisma files`);
  const loaded = await loadSchemaText(readFileSync(join(dir, files[0]), 'utf8'));
  return { loaded, edits: loaded.warnings.map((w) => `${version}/${files[0]}: ${w.replace(/\s+/g, ' ').slice(0, 120)}`) };
}
