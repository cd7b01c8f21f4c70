/**
 * The `older` oracle of the real corpus: tenants a year behind, with rows,
 * moved to today's schema by tm's plan.
 *
 * Tenants are made by Prisma's own SQL for `older/` and filled with rows
 * (rows.ts). A reference tenant with the same rows first gets Prisma's own
 * older → current migration: where one of its statements cannot run on those
 * rows (a required column added without a default, a column made NOT NULL
 * over NULLs: Prisma itself warns such a step needs an empty table), the
 * table is emptied (TRUNCATE … CASCADE) in every tenant, as a user would have
 * to, and the reference tried again. Then, per tenant, tm's plan:
 *  - touches no object Prisma's migration does not (touched.ts);
 *  - applies (DATA_LOSS accepted, as a user who reviewed the plan would),
 *    converges, re-plans empty, and Prisma sees no drift beyond its baseline;
 *  - leaves the rows of every table Prisma's migration does not touch as they
 *    were (a checksum per table).
 */
import type pg from 'pg';
import type { SchemaModel } from '../src/catalog/model.js';
import { diffSchemas } from '../src/diff/diff.js';
import { tenantTarget } from '../src/diff/equivalence.js';
import { quoteIdent } from '../src/sql/quote.js';
import { prismaMigration } from './prismaJudge.js';
import { applyTo, checkConverged, createPrismaMadeTenant, Problems } from './realChecks.js';
import type { ProjectSchema } from './realProjects.js';
import { fillTables, tableChecksums } from './rows.js';
import { introspect, oneLine } from './support.js';
import { objectTable, statementObjects, touchedObjects } from './touched.js';

const TENANTS = 3;
const REFERENCE = 'older_prisma';

/**
 * Runs Prisma's migration in the reference tenant, in a transaction rolled
 * back at the end; returns the first statement that fails, or undefined.
 */
async function firstFailing(client: pg.ClientBase, statements: string[]): Promise<{ statement: string; message: string } | undefined> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(REFERENCE)}`);
    for (const statement of statements) {
      try {
        await client.query(statement);
      } catch (error) {
        return { statement, message: (error as Error).message };
      }
    }
    return undefined;
  } finally {
    await client.query('ROLLBACK');
  }
}

async function truncate(client: pg.ClientBase, tenant: string, table: string): Promise<void> {
  await client.query(`TRUNCATE ${quoteIdent(tenant)}.${quoteIdent(table)} CASCADE`);
}

export async function olderOracle(client: pg.Client, url: string, current: ProjectSchema, desired: SchemaModel, older: ProjectSchema, baseline: string[]): Promise<{ problem?: string; note: string }> {
  const problems = new Problems();
  const tenants = Array.from({ length: TENANTS }, (_, i) => `older_${i + 1}`);
  let rows = 0;
  const skipped: string[] = [];
  for (const tenant of [REFERENCE, ...tenants]) {
    await createPrismaMadeTenant(client, url, older.loaded.files, tenant);
    const filled = await fillTables(client, tenant);
    if (tenant !== REFERENCE) rows += filled.rows;
    if (tenant !== REFERENCE) skipped.push(...filled.skipped);
  }

  const migration = await prismaMigration(url, older.loaded.files, current.loaded.files);
  const emptied: string[] = [];
  for (let failing = await firstFailing(client, migration); failing; failing = await firstFailing(client, migration)) {
    const table = statementObjects(failing.statement).map(objectTable).find((t) => t !== undefined);
    if (!table || emptied.includes(table)) {
      return { problem: `Prisma's own older→current migration fails on the reference tenant: ${oneLine(failing.statement, 120)}: ${failing.message}`, note: '' };
    }
    emptied.push(table);
    for (const tenant of [REFERENCE, ...tenants]) await truncate(client, tenant, table);
  }

  // What Prisma's own migration changes: the tables it leaves alone keep their rows.
  const prismaObjects = new Set(touchedObjects(migration));
  const prismaTables = new Set([...prismaObjects].map(objectTable).filter((t) => t !== undefined));
  let stepCount = 0;
  let dataLoss = 0;
  for (const tenant of tenants) {
    const before = await tableChecksums(client, tenant);
    const actual = (await introspect(client, [tenant])).get(tenant)!;
    const steps = diffSchemas(actual, tenantTarget(actual, desired));
    stepCount = steps.length;
    dataLoss = steps.filter((s) => s.hazards.some((h) => h.type === 'DATA_LOSS')).length;
    const extra = touchedObjects(steps.map((s) => s.sql)).filter((o) => !prismaObjects.has(o));
    if (extra.length) problems.add(tenant, `tm's plan touches ${extra.length} objects Prisma's older→current migration does not: ${extra.join(', ')}`);
    if (!(await applyTo(client, tenant, steps, false, problems))) continue;
    await checkConverged(client, url, tenant, desired, current.loaded.files, baseline, problems);
    const after = await tableChecksums(client, tenant);
    const changed = [...before].filter(([table, sum]) => !prismaTables.has(table) && after.get(table) !== sum).map(([table, sum]) => `"${table}" (${sum} → ${after.get(table) ?? 'gone'})`);
    if (changed.length) problems.add(tenant, `rows changed in ${changed.length} tables the change does not touch: ${changed.join(', ')}`);
  }
  const note = [
    `${rows} rows in ${tenants.length} tenants`,
    skipped.length ? `${skipped.length} rows left out by the generator, e.g. ${oneLine(skipped[0], 140)}` : '',
    emptied.length ? `emptied for Prisma's own migration to run: ${emptied.join(', ')}` : '',
    `Prisma's migration touches ${prismaObjects.size} objects in ${prismaTables.size} tables`,
    `tm's plan ${stepCount} steps, ${dataLoss} DATA_LOSS`,
  ].filter(Boolean);
  return { problem: problems.size ? problems.toString() : undefined, note: note.join('; ') };
}
