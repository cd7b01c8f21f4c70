/**
 * What the real corpus's oracles share: tenants made by Prisma's own SQL,
 * running tm's plan for one tenant, and the checks after it (converged,
 * re-plan empty, Prisma sees no drift beyond what it sees in a schema it made
 * itself), with failures gathered per tenant.
 */
import type pg from 'pg';
import { fingerprint } from '../src/catalog/fingerprint.js';
import type { SchemaModel } from '../src/catalog/model.js';
import { renderCreateSql } from '../src/desired/prismaEngine.js';
import { diffSchemas } from '../src/diff/diff.js';
import { tenantTarget } from '../src/diff/equivalence.js';
import type { Step } from '../src/diff/step.js';
import { quoteIdent } from '../src/sql/quote.js';
import { splitStatements } from '../src/sql/split.js';
import { prismaDrift, type PrismaFile } from './prismaJudge.js';
import { applySteps, introspect, modelDifferences, oneLine } from './support.js';
import { touchedObjects } from './touched.js';

/** Where tenants went wrong, each problem shown once with the tenants it happened to. */
export class Problems {
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

export function stepList(steps: Step[], max = 4): string {
  const shown = steps.slice(0, max).map((s) => oneLine(s.sql, 120));
  return shown.join(' ; ') + (steps.length > max ? ` ; … ${steps.length - max} more` : '');
}

/** Creates `tenant` with the SQL Prisma renders for the files (what `prisma migrate deploy` of a fresh history makes). */
export async function createPrismaMadeTenant(client: pg.ClientBase, url: string, files: PrismaFile[], tenant: string): Promise<void> {
  const statements = splitStatements(await renderCreateSql(files, url));
  await client.query(`CREATE SCHEMA ${quoteIdent(tenant)}`);
  await client.query(`SET search_path TO ${quoteIdent(tenant)}`);
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.query('RESET search_path');
  }
}

/**
 * Prisma's engine on a tenant its own SQL made from the files: the drift it
 * sees there (a quirk of the engine, e.g. an index with an operator class it
 * reads back differently) is its baseline, not held against tm.
 */
export async function prismaBaseline(client: pg.ClientBase, url: string, files: PrismaFile[], tenant: string): Promise<string[]> {
  await createPrismaMadeTenant(client, url, files, tenant);
  return prismaDrift(url, tenant, files);
}

/** Prisma's drift statements for the tenant, less those of its baseline. */
export async function driftBeyondBaseline(url: string, tenant: string, files: PrismaFile[], baseline: string[]): Promise<string[]> {
  return (await prismaDrift(url, tenant, files)).filter((s) => !baseline.includes(s));
}

export async function applyTo(client: pg.Client, tenant: string, steps: Step[], create: boolean, problems: Problems): Promise<boolean> {
  try {
    await applySteps(client, [{ schema: tenant, steps, create }]);
    return true;
  } catch (error) {
    problems.add(tenant, `apply of tm's plan (${steps.length} steps) fails: ${oneLine((error as Error).message, 240)}`);
    return false;
  }
}

/** After tm's plan was applied to `tenant`: its model is the desired one, re-planning gives nothing, and Prisma sees no drift beyond its baseline. */
export async function checkConverged(
  client: pg.Client,
  url: string,
  tenant: string,
  desired: SchemaModel,
  files: PrismaFile[],
  baseline: string[],
  problems: Problems,
): Promise<void> {
  const actual = (await introspect(client, [tenant])).get(tenant);
  const target = actual ? tenantTarget(actual, desired) : desired;
  if (!actual || fingerprint(actual) !== fingerprint(target)) problems.add(tenant, `not converged: ${modelDifferences(target, actual, 3).join('; ')}`);
  const again = actual ? diffSchemas(actual, target) : [];
  if (again.length) problems.add(tenant, `re-plan not empty (${again.length} steps): ${stepList(again)}`);
  const drift = await driftBeyondBaseline(url, tenant, files, baseline);
  if (drift.length) problems.add(tenant, `Prisma sees drift (${drift.length} statements) in ${touchedObjects(drift).join(', ')}: ${drift.slice(0, 3).map((s) => oneLine(s, 120)).join(' ; ')}`);
}
