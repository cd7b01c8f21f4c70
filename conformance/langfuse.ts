/**
 * langfuse's production schema, two ways.
 *
 * schema: a new tenant planned from schema.prisma (a Prisma 6 schema: its
 * datasource `url` and removed preview features are ignored by tm's loader,
 * with warnings) converges to "no changes".
 *
 * history: migrations/<name>/migration.sql replayed in name order into a
 * tenant schema (search_path set to it: their SQL is unqualified, the two
 * mentions of "public" are a column and a comment), then planned against
 * schema.prisma as tm plan does (towards the tenant's target: the desired
 * model less what Prisma's engine sees no drift in, src/diff/equivalence.ts).
 * Every difference between the replayed tenant and its target is listed;
 * each must be documented in expectations.json (a real drift between their
 * history and their schema, with a reason) — anything else fails the corpus,
 * as a tm bug to fix. The plan is then applied and must converge, like any
 * tenant's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { fingerprint } from '../src/catalog/fingerprint.js';
import type { SchemaModel, TableModel } from '../src/catalog/model.js';
import { desiredState } from '../src/desired/index.js';
import { diffSchemas } from '../src/diff/diff.js';
import { tenantTarget } from '../src/diff/equivalence.js';
import { quoteIdent } from '../src/sql/quote.js';
import type { Expectations } from './expectations.js';
import { convergeNewTenant, loadSchemaText } from './newTenant.js';
import { applySteps, corpusDir, createScratchDatabase, introspect, modelDifferences, oneLine, withClient, type CaseResult } from './support.js';

export const SCHEMA_CORPUS = 'langfuse';
export const HISTORY_CORPUS = 'langfuse-history';

function langfuseDir(): string {
  return join(corpusDir(), 'langfuse');
}

/**
 * Their schema is Prisma 6's, used as it is: tm's loader accepts its
 * datasource `url` lines and the `metrics` preview feature Prisma 7 removed,
 * with a warning each.
 */
export function langfuseSchemaText(): string {
  return readFileSync(join(langfuseDir(), 'schema.prisma'), 'utf8');
}

export async function runSchema(adminUrl: string): Promise<CaseResult> {
  const started = performance.now();
  const result = (outcome: CaseResult['outcome'], reason?: string): CaseResult => ({ corpus: SCHEMA_CORPUS, id: 'schema.prisma', outcome, reason, ms: Math.round(performance.now() - started) });
  try {
    const schema = await loadSchemaText(langfuseSchemaText());
    const db = await createScratchDatabase(adminUrl, 'lf');
    try {
      return await withClient(db.url, async (client) => {
        const { desired, steps, problem } = await convergeNewTenant(client, db.url, schema, 'tenant_langfuse');
        if (problem) return result('fail', problem);
        const t = desired.tables;
        return result('pass', `${Object.keys(t).length} tables, ${Object.keys(desired.enums).length} enums, ${steps.length} steps`);
      });
    } finally {
      await db.drop().catch(() => {});
    }
  } catch (error) {
    return result('fail', `error: ${oneLine((error as Error).message, 300)}`);
  }
}

/** Runs one migration file as Prisma migrate does (one script), or statement by statement when it holds CREATE INDEX CONCURRENTLY. */
export async function runMigration(client: pg.Client, sql: string): Promise<void> {
  if (!/\bCONCURRENTLY\b/i.test(sql.replace(/--[^\n]*/g, ''))) {
    await client.query(sql);
    return;
  }
  for (const statement of sql.split(/;\s*(?:\n|$)/)) {
    if (statement.replace(/--[^\n]*/g, '').trim()) await client.query(statement);
  }
}

export interface Difference {
  /** Stable key, e.g. `index "traces"."traces_name_idx"`, used in expectations.json. */
  key: string;
  /** What the replayed history has vs what schema.prisma wants. */
  detail: string;
}

function describe(value: unknown): string {
  return oneLine(JSON.stringify(value), 160);
}

/** Object-level differences between the replayed tenant (actual) and the desired model. */
export function objectDifferences(actual: SchemaModel, desired: SchemaModel): Difference[] {
  const out: Difference[] = [];
  const q = quoteIdent;
  const compare = <T>(kind: string, a: Record<string, T>, b: Record<string, T>, key: (name: string) => string) => {
    for (const name of Object.keys({ ...a, ...b }).sort()) {
      if (!(name in b)) out.push({ key: key(name), detail: `only in the history: ${describe(a[name])}` });
      else if (!(name in a)) out.push({ key: key(name), detail: `only in schema.prisma: ${describe(b[name])}` });
      else if (JSON.stringify(a[name]) !== JSON.stringify(b[name])) out.push({ key: key(name), detail: `history ${describe(a[name])} ≠ schema.prisma ${describe(b[name])}` });
    }
  };
  for (const table of Object.keys({ ...actual.tables, ...desired.tables }).sort()) {
    const a: TableModel | undefined = actual.tables[table];
    const b: TableModel | undefined = desired.tables[table];
    if (!a || !b) {
      out.push({ key: `table ${q(table)}`, detail: a ? 'only in the history' : 'only in schema.prisma' });
      continue;
    }
    compare('column', a.columns, b.columns, (n) => `column ${q(table)}.${q(n)}`);
    compare('constraint', a.constraints, b.constraints, (n) => `constraint ${q(table)}.${q(n)}`);
    compare('index', a.indexes, b.indexes, (n) => `index ${q(table)}.${q(n)}`);
  }
  compare('enum', actual.enums, desired.enums, (n) => `enum ${q(n)}`);
  compare('sequence', actual.sequences, desired.sequences, (n) => `sequence ${q(n)}`);
  compare('view', actual.views, desired.views, (n) => `view ${q(n)}`);
  return out;
}

export interface HistoryReport {
  result: CaseResult;
  differences: (Difference & { documented?: string })[];
  staleExpectations: string[];
  migrations: number;
}

export async function runHistory(adminUrl: string, expectations: Expectations): Promise<HistoryReport> {
  const started = performance.now();
  const report: HistoryReport = { result: { corpus: HISTORY_CORPUS, id: 'migrations', outcome: 'fail' }, differences: [], staleExpectations: [], migrations: 0 };
  const finish = (outcome: CaseResult['outcome'], reason?: string) => {
    report.result = { corpus: HISTORY_CORPUS, id: `${report.migrations} migrations`, outcome, reason, ms: Math.round(performance.now() - started) };
    return report;
  };
  const tenant = 'tenant_langfuse';
  try {
    const schema = await loadSchemaText(langfuseSchemaText());
    const dir = join(langfuseDir(), 'migrations');
    const names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const db = await createScratchDatabase(adminUrl, 'lfh');
    try {
      return await withClient(db.url, async (client) => {
        await client.query(`CREATE SCHEMA ${quoteIdent(tenant)}`);
        await client.query(`SET search_path TO ${quoteIdent(tenant)}`);
        for (const name of names) {
          try {
            await runMigration(client, readFileSync(join(dir, name, 'migration.sql'), 'utf8'));
          } catch (error) {
            return finish('fail', `migration ${name} fails: ${oneLine((error as Error).message)}`);
          }
          report.migrations++;
        }
        await client.query('RESET search_path');
        const desired = (await desiredState(schema.files, db.url, client)).model;
        const actual = (await introspect(client, [tenant])).get(tenant)!;
        const target = tenantTarget(actual, desired);

        report.differences = objectDifferences(actual, target).map((d) => ({ ...d, documented: expectations.langfuseHistory[d.key] }));
        const keys = new Set(report.differences.map((d) => d.key));
        report.staleExpectations = Object.keys(expectations.langfuseHistory).filter((k) => !keys.has(k));

        // The plan for the replayed tenant must converge like any other.
        const steps = diffSchemas(actual, target);
        try {
          await applySteps(client, [{ schema: tenant, steps, after: target }]);
        } catch (error) {
          return finish('fail', `applying tm's plan (${steps.length} steps) to the replayed tenant: ${oneLine((error as Error).message, 240)}`);
        }
        const after = (await introspect(client, [tenant])).get(tenant)!;
        if (fingerprint(after) !== fingerprint(target)) return finish('fail', `not converged after tm's plan: ${modelDifferences(target, after).join('; ')}`);
        if (diffSchemas(after, tenantTarget(after, desired)).length) return finish('fail', 're-plan after tm’s plan is not empty');

        const undocumented = report.differences.filter((d) => !d.documented);
        if (undocumented.length) return finish('fail', `${undocumented.length} of ${report.differences.length} differences undocumented (tm bug or undocumented drift)`);
        return finish('pass', `${report.differences.length} documented differences, ${steps.length} steps, converged after apply`);
      });
    } finally {
      await db.drop().catch(() => {});
    }
  } catch (error) {
    return finish('fail', `error: ${oneLine((error as Error).message, 300)}`);
  }
}
