/**
 * The `real` corpus: real open-source Prisma projects (../shared/corpus/real,
 * see realProjects.ts), with Prisma's own schema engine as the judge
 * (prismaJudge.ts). Three oracles per project, each a case, all in one
 * database of the project's own:
 *
 *  new      3 new tenants planned from `current/` converge, re-plan empty,
 *           and Prisma sees no drift in any of them.
 *  older    3 tenants made by Prisma's own SQL for `older/`, filled with rows
 *           (rows.ts), planned to `current/` and applied (DATA_LOSS accepted,
 *           as a user who reviewed the plan would): converged, re-plan empty,
 *           Prisma sees no drift, tm's plan touches no object Prisma's own
 *           older → current migration does not, and every table that
 *           migration does not touch has the same rows (checksum) as before.
 *  history  see realHistory.ts.
 *
 * tm's planning runs as in the other corpora (desiredState, diffSchemas,
 * applySteps: what `tm plan` and `tm apply` do per tenant).
 */
import type pg from 'pg';
import { fingerprint } from '../src/catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel } from '../src/catalog/model.js';
import { desiredState } from '../src/desired/index.js';
import { renderCreateSql } from '../src/desired/prismaEngine.js';
import { diffSchemas } from '../src/diff/diff.js';
import type { Step } from '../src/diff/step.js';
import { quoteIdent } from '../src/sql/quote.js';
import { splitStatements } from '../src/sql/split.js';
import type { Expectations } from './expectations.js';
import { prismaDrift, prismaMigration } from './prismaJudge.js';
import { loadVersion, type ProjectSchema, type RealProject } from './realProjects.js';
import { runHistoryOracle } from './realHistory.js';
import { fillTables, tableChecksums } from './rows.js';
import { applySteps, createScratchDatabase, introspect, modelDifferences, oneLine, withClient, type CaseResult } from './support.js';
import { objectTable, touchedObjects } from './touched.js';

export const REAL_CORPUS = 'real';
export const ORACLES = ['new', 'older', 'history'] as const;
export type Oracle = (typeof ORACLES)[number];

const TENANTS = 3;

export interface ProjectReport {
  results: CaseResult[];
  /** Lines to print after the cases: edits made to the corpus files, history drift. */
  notes: string[];
}

/** Where one tenant went wrong, shown once for all the tenants it happened to. */
class Problems {
  private readonly byText = new Map<string, string[]>();
  add(tenant: string, text: string): void {
    this.byText.set(text, [...(this.byText.get(text) ?? []), tenant]);
  }
  get size(): number {
    return this.byText.size;
  }
  toString(): string {
    return [...this.byText].map(([text, tenants]) => `${tenants.join(', ')}: ${text}`).join(' | ');
  }
}

function stepList(steps: Step[], max = 4): string {
  const shown = steps.slice(0, max).map((s) => oneLine(s.sql, 120));
  return shown.join(' ; ') + (steps.length > max ? ` ; … ${steps.length - max} more` : '');
}

/**
 * After tm's plan was applied to `tenant`: its model is the desired one,
 * re-planning gives nothing, and Prisma's engine sees no drift.
 */
async function checkConverged(client: pg.Client, url: string, tenant: string, desired: SchemaModel, schema: ProjectSchema, problems: Problems): Promise<void> {
  const actual = (await introspect(client, [tenant])).get(tenant);
  if (!actual || fingerprint(actual) !== fingerprint(desired)) problems.add(tenant, `not converged: ${modelDifferences(desired, actual, 3).join('; ')}`);
  const again = actual ? diffSchemas(actual, desired) : [];
  if (again.length) problems.add(tenant, `re-plan not empty (${again.length} steps): ${stepList(again)}`);
  const drift = await prismaDrift(url, tenant, schema.loaded.files);
  if (drift.length) problems.add(tenant, `Prisma sees drift (${drift.length} statements) in ${touchedObjects(drift).join(', ')}: ${drift.slice(0, 3).map((s) => oneLine(s, 120)).join(' ; ')}`);
}

async function applyTo(client: pg.Client, tenant: string, steps: Step[], create: boolean, problems: Problems): Promise<boolean> {
  try {
    await applySteps(client, [{ schema: tenant, steps, create }]);
    return true;
  } catch (error) {
    problems.add(tenant, `apply of tm's plan (${steps.length} steps) fails: ${oneLine((error as Error).message, 240)}`);
    return false;
  }
}

async function newOracle(client: pg.Client, url: string, current: ProjectSchema, desired: SchemaModel): Promise<string | undefined> {
  const problems = new Problems();
  const steps = diffSchemas(emptySchemaModel(), desired);
  for (let i = 1; i <= TENANTS; i++) {
    const tenant = `new_${i}`;
    if (await applyTo(client, tenant, steps, true, problems)) await checkConverged(client, url, tenant, desired, current, problems);
  }
  return problems.size ? problems.toString() : undefined;
}

async function olderOracle(client: pg.Client, url: string, current: ProjectSchema, desired: SchemaModel, older: ProjectSchema): Promise<{ problem?: string; note: string }> {
  const problems = new Problems();
  // The tenants as Prisma made them a year ago, with rows.
  const createSql = splitStatements(await renderCreateSql(older.loaded.files, url));
  const tenants = Array.from({ length: TENANTS }, (_, i) => `older_${i + 1}`);
  let rows = 0;
  const skipped: string[] = [];
  for (const tenant of tenants) {
    await client.query(`CREATE SCHEMA ${quoteIdent(tenant)}`);
    await client.query(`SET search_path TO ${quoteIdent(tenant)}`);
    for (const statement of createSql) await client.query(statement);
    await client.query('RESET search_path');
    const filled = await fillTables(client, tenant);
    rows += filled.rows;
    skipped.push(...filled.skipped);
  }
  // What Prisma's own migration from older/ to current/ changes: the tables it leaves alone keep their rows.
  const prismaObjects = new Set(touchedObjects(await prismaMigration(url, older.loaded.files, current.loaded.files)));
  const prismaTables = new Set([...prismaObjects].map(objectTable).filter((t) => t !== undefined));
  let stepCount = 0;
  let dataLoss = 0;
  for (const tenant of tenants) {
    const before = await tableChecksums(client, tenant);
    const actual = (await introspect(client, [tenant])).get(tenant)!;
    const steps = diffSchemas(actual, desired);
    stepCount = steps.length;
    dataLoss = steps.filter((s) => s.hazards.some((h) => h.type === 'DATA_LOSS')).length;
    const extra = touchedObjects(steps.map((s) => s.sql)).filter((o) => !prismaObjects.has(o));
    if (extra.length) problems.add(tenant, `tm's plan touches ${extra.length} objects Prisma's older→current migration does not: ${extra.join(', ')}`);
    if (!(await applyTo(client, tenant, steps, false, problems))) continue;
    await checkConverged(client, url, tenant, desired, current, problems);
    const after = await tableChecksums(client, tenant);
    const changed = [...before].filter(([table, sum]) => !prismaTables.has(table) && after.get(table) !== sum).map(([table, sum]) => `"${table}" (${sum} → ${after.get(table) ?? 'gone'})`);
    if (changed.length) problems.add(tenant, `rows changed in ${changed.length} tables the change does not touch: ${changed.join(', ')}`);
  }
  const note = `${rows} rows in ${tenants.length} tenants${skipped.length ? ` (${skipped.length} rows left out by the generator, e.g. ${oneLine(skipped[0], 140)})` : ''}; Prisma's migration touches ${prismaObjects.size} objects in ${prismaTables.size} tables; tm's plan ${stepCount} steps, ${dataLoss} DATA_LOSS`;
  return { problem: problems.size ? problems.toString() : undefined, note };
}

/** Runs the three oracles of one project in a database of its own. */
export async function runProject(project: RealProject, adminUrl: string, expectations: Expectations): Promise<ProjectReport> {
  const report: ProjectReport = { results: [], notes: [] };
  const record = (oracle: Oracle, started: number, problem: string | undefined, note?: string) =>
    report.results.push({
      corpus: REAL_CORPUS,
      id: `${project.name}/${oracle}`,
      outcome: problem ? 'fail' : 'pass',
      reason: problem ?? note,
      ms: Math.round(performance.now() - started),
    });
  const guarded = async (oracle: Oracle, fn: () => Promise<{ problem?: string; note?: string }>) => {
    const started = performance.now();
    try {
      const { problem, note } = await fn();
      record(oracle, started, problem, note);
    } catch (error) {
      record(oracle, started, `error: ${oneLine((error as Error).message, 300)}`);
    }
  };

  let current: ProjectSchema;
  let older: ProjectSchema;
  try {
    [current, older] = [await loadVersion(project, 'current'), await loadVersion(project, 'older')];
  } catch (error) {
    for (const oracle of ORACLES) record(oracle, performance.now(), `cannot load the schema: ${oneLine((error as Error).message, 300)}`);
    return report;
  }
  const edits = [...current.edits, ...older.edits];
  if (edits.length) report.notes.push(`real ${project.name}: adapted for Prisma 7 (adaptForPrisma7, temporary): ${edits.join('; ')}`);

  const db = await createScratchDatabase(adminUrl, `real_${project.name.replace(/\W/g, '')}`);
  try {
    await withClient(db.url, async (client) => {
      let desired: SchemaModel;
      try {
        desired = (await desiredState(current.loaded.files, db.url, client)).model;
      } catch (error) {
        for (const oracle of ['new', 'older'] as const) record(oracle, performance.now(), `desired state of current/: ${oneLine((error as Error).message, 300)}`);
        return;
      }
      await guarded('new', async () => ({ problem: await newOracle(client, db.url, current, desired) }));
      await guarded('older', () => olderOracle(client, db.url, current, desired, older));
    });
    await guarded('history', async () => {
      const history = await runHistoryOracle(project, db.url, current, expectations.realHistory[project.name] ?? {});
      report.notes.push(...history.lines);
      return history;
    });
  } finally {
    await db.drop().catch(() => {});
  }
  return report;
}
