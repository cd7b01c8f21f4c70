/**
 * What every corpus runner shares: where the corpora are, throwaway
 * databases on the conformance server, running tm's steps the way the
 * applier does, and comparing catalogs (tm's model, and pg_dump).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastJsonPatch from 'fast-json-patch';
import pg from 'pg';
import { introspectSnapshot } from '../src/catalog/introspect.js';
import type { SchemaModel } from '../src/catalog/model.js';
import { canonicalJson } from '../src/catalog/fingerprint.js';
import type { Step } from '../src/diff/step.js';
import { quoteIdent } from '../src/sql/quote.js';
import { checkTenantStep, stepContext } from '../src/plan/stepCheck.js';

/** The repository root (this file runs from dist/conformance/). */
export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The corpora: CONFORMANCE_CORPUS, else ../shared/corpus beside the repository (as CI lays it out). */
export function corpusDir(): string {
  return process.env.CONFORMANCE_CORPUS ?? join(REPO_DIR, '..', 'shared', 'corpus');
}

export type Outcome = 'pass' | 'fail' | 'out-of-scope';

export interface CaseResult {
  corpus: string;
  /** Stable id, e.g. `column/032_Delete_one_column`. */
  id: string;
  outcome: Outcome;
  /** Why a case failed or is out of scope; notes on a pass (documented divergences, extra hazards). */
  reason?: string;
  /** Documented divergences (expectations.json) this case relied on. */
  divergences?: string[];
  /** Hazards tm reported beyond the mapped expected set. */
  extraHazards?: string[];
  ms?: number;
}

export function urlForDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'tm conformance' });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A database of its own for one side of one case; dropped by drop(). */
export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `tmc_${prefix}_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return {
    name,
    url: urlForDatabase(adminUrl, name),
    drop: () => withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`)).then(() => {}),
  };
}

/** Schemas a case created (everything but PostgreSQL's own). */
export async function userSchemas(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query(
    `select nspname::text as name from pg_namespace
      where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`,
  );
  return rows.map((r) => r.name);
}

export async function introspect(client: pg.ClientBase, schemas: string[]): Promise<Map<string, SchemaModel>> {
  return introspectSnapshot(client, schemas);
}

/**
 * Runs a schema's steps as tm's applier does: the transactional ones in one
 * transaction with search_path set to the schema, then the others one by one.
 * Several schemas share the transaction (schema by schema, in order).
 */
export async function applySteps(client: pg.ClientBase, perSchema: { schema: string; steps: Step[]; create?: boolean; after?: SchemaModel }[]): Promise<void> {
  // Each step must pass tm apply's check of what a plan may run (src/plan/stepCheck.ts), given the schema's model after the steps.
  for (const { schema, steps, after } of perSchema) {
    if (!after) continue;
    const context = stepContext(after, perSchema.map((p) => p.schema), schema);
    for (const step of steps) {
      const refused = checkTenantStep(step, context);
      if (refused) throw new Error(`tm apply's step check refuses a step tm wrote (${refused}): ${oneLine(step.sql)}`);
    }
  }
  await client.query('BEGIN');
  try {
    for (const { schema, steps, create } of perSchema) {
      if (create) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      for (const step of steps) {
        if (!step.transactional) continue;
        try {
          await client.query(step.sql);
        } catch (error) {
          throw new Error(`step failed: ${oneLine(step.sql)}: ${(error as Error).message}`);
        }
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  for (const { schema, steps } of perSchema) {
    for (const step of steps.filter((s) => !s.transactional)) {
      await client.query(`SET search_path TO ${quoteIdent(schema)}`);
      try {
        await client.query(step.sql);
      } catch (error) {
        throw new Error(`non-transactional step failed: ${oneLine(step.sql)}: ${(error as Error).message}`);
      }
    }
  }
  await client.query('RESET search_path');
}

export function oneLine(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** The differences between two models as JSON patch operations, one short line each. */
export function modelDifferences(expected: SchemaModel | undefined, actual: SchemaModel | undefined, max = 6): string[] {
  const a = JSON.parse(canonicalJson(expected ?? {}));
  const b = JSON.parse(canonicalJson(actual ?? {}));
  const ops = fastJsonPatch.compare(a, b);
  const lines = ops.map((op) => {
    const value = 'value' in op ? ' ' + oneLine(JSON.stringify(op.value), 120) : '';
    return `${op.op} ${op.path}${value}`;
  });
  return lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more`] : lines;
}

let pgDumpPath: string | null | undefined;

/** pg_dump of the server's own major version (PATH's first, else /usr/lib/postgresql/<newest>/bin). */
export function findPgDump(): string | null {
  if (pgDumpPath !== undefined) return pgDumpPath;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_dump'))).sort((a, b) => Number(b) - Number(a))
    : [];
  pgDumpPath = versions.length ? join(root, versions[0], 'bin', 'pg_dump') : spawnSync('pg_dump', ['--version']).status === 0 ? 'pg_dump' : null;
  return pgDumpPath;
}

/**
 * `pg_dump --schema-only`, normalised for comparison: comments, SET lines and
 * blank lines go, and the lines inside each CREATE TABLE are sorted (tm's
 * model does not keep column order: a column added later comes last, as in
 * any ALTER TABLE … ADD COLUMN).
 */
export function normalisedDump(url: string): string {
  const bin = findPgDump();
  if (!bin) throw new Error('pg_dump not found');
  const result = spawnSync(bin, ['--schema-only', '--no-owner', '--no-privileges', '--no-comments', url], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  const out: string[] = [];
  let table: string[] | null = null;
  for (const raw of result.stdout.split('\n')) {
    const line = raw.trimEnd();
    // \restrict / \unrestrict carry a random key per dump (pg_dump since 2025's security releases).
    if (line === '' || line.startsWith('--') || line.startsWith('\\') || /^SET |^SELECT pg_catalog\.set_config/.test(line)) continue;
    if (table) {
      if (/^\)/.test(line)) {
        out.push(...table.map((l) => l.replace(/,$/, '')).sort(), line);
        table = null;
      } else table.push(line);
      continue;
    }
    out.push(line);
    if (/^CREATE (UNLOGGED )?TABLE .*\($/.test(line)) table = [];
  }
  return out.join('\n');
}

/** The first lines where two normalised dumps differ, for a failure message. */
export function dumpDifference(expected: string, actual: string, max = 4): string {
  const a = new Set(expected.split('\n'));
  const b = new Set(actual.split('\n'));
  const missing = [...a].filter((l) => !b.has(l)).slice(0, max).map((l) => `- ${oneLine(l, 100)}`);
  const extra = [...b].filter((l) => !a.has(l)).slice(0, max).map((l) => `+ ${oneLine(l, 100)}`);
  return [...missing, ...extra].join(' | ') || 'same lines in a different order';
}

/** Runs fn over items with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}
