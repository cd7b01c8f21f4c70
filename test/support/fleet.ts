/**
 * Throwaway tm projects pointed at a test database, for tests that drive the
 * real `tm plan` / `tm apply` binary against a fleet of tenant schemas.
 *
 *   const db = useFreshDatabase();
 *   const project = fleetProject({ tenants: ['tenant_a'], discover: ['tenant_*'] });
 *   const plan = await project.plan(db);          // runs `tm plan`, returns the plan file
 *   const result = await project.tm(db, ['apply', plan.path]);
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runTm, type TmResult } from '../harness/cli.js';
import type { FreshDatabase } from '../harness/database.js';

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const DB_ENV = 'TM_TEST_DB_URL';

export interface FleetProjectOptions {
  tenants?: string[];
  discover?: string[];
  /** Prisma files (name → text) instead of a copy of the repository's prisma/schema. */
  prismaFiles?: Record<string, string>;
}

export interface WrittenPlan {
  path: string;
  id: string;
  result: TmResult;
  json: any;
}

export interface FleetProject {
  dir: string;
  /** Runs the real tm in the project with TM_TEST_DB_URL set to the database. */
  tm(db: FreshDatabase, args: string[], options?: { timeoutMs?: number }): Promise<TmResult>;
  /** `tm plan --detailed-exitcode --name <name>`, expecting a plan file; returns its path and id. */
  plan(db: FreshDatabase, name: string, expectedCode?: number): Promise<WrittenPlan>;
  /** Replaces (or with null removes) a file of prisma/schema. */
  writePrisma(file: string, text: string | null): void;
  readPrisma(file: string): string;
  remove(): void;
}

const created: string[] = [];

export const DATASOURCE_BLOCK = 'datasource db {\n  provider = "postgresql"\n}\n';

export function tenantsYaml(tenants: string[], discover: string[]): string {
  const lines = ['databases:', '  main:', `    url: env(${DB_ENV})`];
  if (tenants.length) lines.push('    tenants:', ...tenants.map((t) => `      - ${t}`));
  if (discover.length) lines.push('    discover:', ...discover.map((d) => `      - "${d}"`));
  return lines.join('\n') + '\n';
}

export function fleetProject(options: FleetProjectOptions = {}): FleetProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-fleet-'));
  created.push(dir);
  const schemaDir = path.join(dir, 'prisma', 'schema');
  if (options.prismaFiles) {
    mkdirSync(schemaDir, { recursive: true });
    for (const [file, text] of Object.entries(options.prismaFiles)) writeFileSync(path.join(schemaDir, file), text);
  } else {
    cpSync(path.join(REPO_ROOT, 'prisma', 'schema'), schemaDir, { recursive: true });
  }
  writeFileSync(path.join(dir, 'tenants.yaml'), tenantsYaml(options.tenants ?? [], options.discover ?? []));

  const project: FleetProject = {
    dir,
    tm(db, args, runOptions = {}) {
      return runTm(args, { cwd: dir, env: { [DB_ENV]: db.url }, timeoutMs: runOptions.timeoutMs });
    },
    async plan(db, name, expectedCode = 2) {
      const result = await project.tm(db, ['plan', '--detailed-exitcode', '--no-sql', '--name', name]);
      expect(result.code, `tm plan exit code\n${result.stdout}\n${result.stderr}`).to.equal(expectedCode);
      const saved = /^Saved the plan to (.+)$/m.exec(result.stdout);
      expect(saved, `tm plan names the plan file it wrote\n${result.stdout}`).to.not.equal(null);
      const file = path.resolve(dir, saved![1]);
      const json = JSON.parse(readFileSync(file, 'utf8'));
      return { path: file, id: json.id, result, json };
    },
    writePrisma(file, text) {
      const target = path.join(schemaDir, file);
      if (text === null) rmSync(target, { force: true });
      else writeFileSync(target, text);
    },
    readPrisma(file) {
      return readFileSync(path.join(schemaDir, file), 'utf8');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return project;
}

/** Removes every project fleetProject made; call from an `after` hook. */
export function removeFleetProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Replaces text that must be there (a test bug otherwise). */
export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** History rows tm wrote for a plan, by tenant schema (0 when tm never applied here). */
export async function historyRows(db: FreshDatabase, planId?: string): Promise<{ tenant_schema: string; plan_id: string }[]> {
  const { rows: present } = await db.query(`select to_regclass('tm.history') is not null as present`);
  if (!present[0].present) return [];
  const { rows } = planId
    ? await db.query(`select tenant_schema, plan_id from tm.history where plan_id = $1 order by tenant_schema`, [planId])
    : await db.query(`select tenant_schema, plan_id from tm.history order by tenant_schema, id`);
  return rows;
}

/** Tables of a schema, sorted. */
export async function tablesOf(db: FreshDatabase, schema: string): Promise<string[]> {
  const { rows } = await db.query(`select table_name from information_schema.tables where table_schema = $1 order by table_name`, [schema]);
  return rows.map((r) => r.table_name);
}

export async function columnsOf(db: FreshDatabase, schema: string, table: string): Promise<Record<string, { type: string; nullable: boolean }>> {
  const { rows } = await db.query(
    `select column_name, data_type, is_nullable from information_schema.columns where table_schema = $1 and table_name = $2`,
    [schema, table],
  );
  return Object.fromEntries(rows.map((r) => [r.column_name, { type: r.data_type, nullable: r.is_nullable === 'YES' }]));
}

export async function schemaExists(db: FreshDatabase, schema: string): Promise<boolean> {
  const { rows } = await db.query(`select count(*)::int as n from pg_namespace where nspname = $1`, [schema]);
  return rows[0].n === 1;
}

/** Both output streams, for messages whose stream is not part of the contract. */
/**
 * Waits until no tm session is left on the database: a killed client's
 * backend finishes what it had received before it notices (for tm's quick
 * way, a tenant's whole transaction is one message), so the state is only
 * stable once those are gone.
 */
export async function waitForNoTmSessions(
  query: { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> },
  database: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await query.query(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and application_name like 'tm %' and pid <> pg_backend_pid()`,
      [database],
    );
    if (rows[0].n === 0) return;
    if (Date.now() > deadline) throw new Error(`tm sessions still on ${database} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function output(result: TmResult): string {
  return result.stdout + result.stderr;
}
