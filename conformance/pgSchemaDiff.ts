/**
 * Stripe's pg-schema-diff acceptance cases, run through tm's planner.
 *
 * Loading. Each side of a case gets a database of its own (old, new, and the
 * expected end state when the case names one), with the DDL run verbatim:
 * the DDL qualifies objects with `public.` or with schemas it creates, so a
 * database per side needs no rewriting of their SQL, and the two sides carry
 * the same schema names, so every expression PostgreSQL prints compares as is.
 *
 * Planning. Every schema of the case is a tenant: tm introspects it in both
 * databases and diffs old → new (a schema only on the new side is created
 * first, as the applier does for a new tenant; one only on the old side is
 * planned towards the empty model and then dropped with DROP SCHEMA RESTRICT,
 * which fails unless tm's steps emptied it). The steps of all schemas run in
 * one transaction, then the non-transactional ones.
 *
 * Checks. After applying: each schema's model equals the new side's
 * (fingerprint), planning again gives no steps, and `pg_dump --schema-only`
 * of the two databases is the same (lines inside CREATE TABLE sorted: tm does
 * not keep column order). tm's hazards must cover the case's expected hazards
 * mapped as in HAZARD_MAP; extra hazards are allowed and counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { fingerprint } from '../src/catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel } from '../src/catalog/model.js';
import { diffSchemas } from '../src/diff/diff.js';
import type { HazardType, Step } from '../src/diff/step.js';
import { quoteIdent } from '../src/sql/quote.js';
import type { Expectations } from './expectations.js';
import { outOfScope } from './scope.js';
import {
  applySteps,
  corpusDir,
  createScratchDatabase,
  dumpDifference,
  findPgDump,
  introspect,
  modelDifferences,
  normalisedDump,
  oneLine,
  userSchemas,
  withClient,
  type CaseResult,
  type ScratchDatabase,
} from './support.js';

export const CORPUS = 'pg-schema-diff';

export interface PgSchemaDiffCase {
  id: string;
  name: string;
  file: string;
  roles: unknown;
  oldSchemaDDL: string[] | null;
  newSchemaDDL: string[] | null;
  expectedDBSchemaDDL: string[] | null;
  expectedHazardTypes: string[] | null;
  expectEmptyPlan: boolean;
  expectedPlanError: boolean;
  planOpts: string | null;
  planFactory: boolean;
  unparsed_ddl: boolean;
}

/**
 * Their hazard names → tm's. A list means "any one of these" (their
 * ImpactsDatabasePerformance marks both a column type change, which tm calls a
 * TABLE_REWRITE, and the index builds of a primary-key switch, tm's
 * INDEX_BUILD). AcquiresShareLock is what their non-concurrent index build
 * takes, tm's INDEX_BUILD ("blocking writes while it runs").
 */
export const HAZARD_MAP: Record<string, HazardType[]> = {
  DeletesData: ['DATA_LOSS'],
  AcquiresAccessExclusiveLock: ['ACCESS_EXCLUSIVE_LOCK'],
  IndexBuild: ['INDEX_BUILD'],
  AcquiresShareLock: ['INDEX_BUILD'],
  ImpactsDatabasePerformance: ['TABLE_REWRITE', 'INDEX_BUILD'],
};

/**
 * Their hazards with no tm counterpart, not compared: IndexDropped (tm does
 * not flag dropping an index), AcquiresShareRowExclusiveLock (adding a foreign
 * key; tm flags MAY_FAIL_ON_DATA instead), and those of objects outside tm's
 * model (AuthzUpdate, HasUntrackableDependencies, Correctness,
 * ExtensionVersionUpgrade).
 */
export const UNMAPPED_HAZARDS = ['IndexDropped', 'AcquiresShareRowExclusiveLock', 'AuthzUpdate', 'HasUntrackableDependencies', 'Correctness', 'ExtensionVersionUpgrade'];

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

function area(file: string): string {
  return file.split('/').pop()!.replace(/_cases_test\.go$/, '');
}

/** The cases in corpus order, each with the id of its folder under cases/ (`<area>/<NNN>_<name>`). */
export function loadCases(dir = join(corpusDir(), CORPUS)): PgSchemaDiffCase[] {
  const folders = new Map<number, string>();
  for (const a of readdirSync(join(dir, 'cases'))) {
    for (const f of readdirSync(join(dir, 'cases', a))) folders.set(Number(f.slice(0, 3)), `${a}/${f}`);
  }
  const lines = readFileSync(join(dir, 'cases.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  return lines.map((line, i) => {
    const c = JSON.parse(line);
    return { ...c, id: folders.get(i) ?? `${area(c.file)}/${String(i).padStart(3, '0')}_${slug(c.name)}` };
  });
}

function allSql(c: PgSchemaDiffCase): string {
  return [...(c.oldSchemaDDL ?? []), ...(c.newSchemaDDL ?? []), ...(c.expectedDBSchemaDDL ?? [])].join('\n;\n');
}

/** Why a case is out of scope before anything runs, or undefined. */
export function staticScope(c: PgSchemaDiffCase): string | undefined {
  if (c.planFactory) return 'plan factory: the case builds its schema source in Go (directory source, fake plans); the extraction has no DDL to load';
  if (c.roles) return 'privileges / roles: the case needs roles, which are cluster-wide and not in tm’s model';
  const rule = outOfScope(allSql(c));
  return rule ? `${rule.category}: ${rule.reason}` : undefined;
}

async function load(db: ScratchDatabase, ddl: string[] | null): Promise<void> {
  await withClient(db.url, async (client) => {
    for (const sql of ddl ?? []) await client.query(sql);
  });
}

/** `schema.` as PostgreSQL prints a qualifier, at the start of a name. */
function mentions(text: string, schema: string): boolean {
  const prefix = quoteIdent(schema) === `"${schema}"` && /^[a-z_][a-z0-9_$]*$/.test(schema) ? schema + '.' : quoteIdent(schema) + '.';
  for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) {
    if (at === 0 || !/[A-Za-z0-9_$"]/.test(text[at - 1])) return true;
  }
  return false;
}

/** A schema's model that refers to another schema of the case (tm plans each tenant schema on its own). */
function crossSchema(models: Map<string, SchemaModel>, schemas: string[]): string | undefined {
  for (const [schema, model] of models) {
    const text = JSON.stringify(model);
    const other = schemas.find((s) => s !== schema && mentions(text, s));
    if (other) return `${schema} refers to ${other}`;
  }
  return undefined;
}

interface Hazards {
  ours: Set<string>;
  expected: string[];
}

export interface RunOptions {
  adminUrl: string;
  expectations: Expectations;
  /** Compare pg_dump output too (default: when pg_dump is found). */
  pgDump?: boolean;
}

export async function runCase(c: PgSchemaDiffCase, options: RunOptions): Promise<CaseResult> {
  const started = performance.now();
  const result = (outcome: CaseResult['outcome'], reason?: string, extra: Partial<CaseResult> = {}): CaseResult => ({
    corpus: CORPUS,
    id: c.id,
    outcome,
    reason,
    ...extra,
    ms: Math.round(performance.now() - started),
  });
  const scope = staticScope(c);
  if (scope) return result('out-of-scope', scope);

  const dbs: ScratchDatabase[] = [];
  try {
    const old = await createScratchDatabase(options.adminUrl, 'old');
    dbs.push(old);
    const neu = await createScratchDatabase(options.adminUrl, 'new');
    dbs.push(neu);
    try {
      await load(old, c.oldSchemaDDL);
      await load(neu, c.newSchemaDDL);
    } catch (error) {
      return result('out-of-scope', `does not load: the case's DDL fails on this server: ${oneLine((error as Error).message, 120)}`);
    }
    return await withClient(old.url, (oldClient) =>
      withClient(neu.url, (newClient) => check(c, options, old, neu, oldClient, newClient, dbs, result)),
    );
  } catch (error) {
    return result('fail', `error: ${oneLine((error as Error).message, 300)}`);
  } finally {
    for (const db of dbs) await db.drop().catch(() => {});
  }
}

async function check(
  c: PgSchemaDiffCase,
  options: RunOptions,
  old: ScratchDatabase,
  neu: ScratchDatabase,
  oldClient: pg.Client,
  newClient: pg.Client,
  dbs: ScratchDatabase[],
  result: (outcome: CaseResult['outcome'], reason?: string, extra?: Partial<CaseResult>) => CaseResult,
): Promise<CaseResult> {
  const oldSchemas = await userSchemas(oldClient);
  const newSchemas = await userSchemas(newClient);
  const schemas = [...new Set([...oldSchemas, ...newSchemas])].sort();
  const actual = await introspect(oldClient, oldSchemas);
  const desired = await introspect(newClient, newSchemas);
  const cross = crossSchema(actual, schemas) ?? crossSchema(desired, schemas);
  if (cross) return result('out-of-scope', `cross-schema references: ${cross}; tm plans each tenant schema on its own`);

  const plans = schemas.map((schema) => {
    const from = actual.get(schema) ?? emptySchemaModel();
    const to = desired.get(schema) ?? emptySchemaModel();
    return { schema, steps: diffSchemas(from, to), create: !actual.has(schema), drop: !desired.has(schema), after: to };
  });
  const steps: Step[] = plans.flatMap((p) => p.steps);
  const hazards: Hazards = {
    ours: new Set(steps.flatMap((s) => s.hazards.map((h) => h.type))),
    expected: c.expectedHazardTypes ?? [],
  };

  // Apply.
  try {
    await applySteps(oldClient, plans);
    for (const p of plans.filter((p) => p.drop)) await oldClient.query(`DROP SCHEMA ${quoteIdent(p.schema)} RESTRICT`);
  } catch (error) {
    const message = oneLine((error as Error).message, 220);
    if (c.expectedPlanError) {
      // They refuse to plan (their plan fails validation on a copy); tm's apply failed and rolled back.
      const after = await introspect(oldClient, oldSchemas);
      const unchanged = oldSchemas.every((s) => fingerprint(after.get(s)!) === fingerprint(actual.get(s)!));
      if (unchanged) return result('pass', `they refuse to plan; tm's apply refused and rolled back (${message})`);
    }
    return result('fail', `apply: ${message}`);
  }

  // Converged?
  const after = await introspect(oldClient, newSchemas);
  for (const schema of newSchemas) {
    const got = after.get(schema);
    const want = desired.get(schema)!;
    if (!got || fingerprint(got) !== fingerprint(want)) {
      return result('fail', `not converged in ${schema}: ${modelDifferences(want, got, 3).join('; ')} (steps: ${steps.map((s) => oneLine(s.sql, 80)).join(' ; ')})`);
    }
    const again = diffSchemas(got, want);
    if (again.length) return result('fail', `re-plan not empty in ${schema}: ${again.map((s) => oneLine(s.sql, 80)).join(' ; ')}`);
  }

  // pg_dump of both databases (or of the end state the case names).
  if (options.pgDump ?? findPgDump() !== null) {
    let target = neu;
    if (c.expectedDBSchemaDDL && c.expectedDBSchemaDDL.join('\n') !== (c.newSchemaDDL ?? []).join('\n')) {
      target = await createScratchDatabase(options.adminUrl, 'exp');
      dbs.push(target);
      await load(target, c.expectedDBSchemaDDL);
    }
    const want = normalisedDump(target.url);
    const got = normalisedDump(old.url);
    if (want !== got) return result('fail', `pg_dump differs: ${dumpDifference(want, got)}`);
  }

  // Hazards.
  const divergences: string[] = [];
  const missing = missingHazards(hazards);
  const allowed = options.expectations.pgSchemaDiff[c.id];
  let unexplained = missing;
  if (missing.length && allowed) {
    unexplained = missing.filter((m) => !(allowed.missingHazards ?? []).includes(m));
    if (unexplained.length < missing.length) divergences.push(allowed.reason);
  }
  const mappedExpected = new Set(hazards.expected.flatMap((h) => HAZARD_MAP[h] ?? []));
  const extraHazards = [...hazards.ours].filter((h) => !mappedExpected.has(h as HazardType)).sort();
  if (unexplained.length) {
    return result('fail', `hazards: missing ${unexplained.join(', ')} (expected ${hazards.expected.join(', ') || 'none'}; tm: ${[...hazards.ours].sort().join(', ') || 'none'})`, { extraHazards });
  }
  if (c.expectEmptyPlan && steps.length) return result('fail', `expected an empty plan, tm plans: ${steps.map((s) => oneLine(s.sql, 80)).join(' ; ')}`);
  const notes: string[] = [];
  if (c.expectedPlanError) notes.push('they refuse to plan; tm converges');
  if (allowed && !missing.length) notes.push(`stale expectation: ${c.id} no longer diverges`);
  return result('pass', notes.join('; ') || undefined, { divergences, extraHazards });
}

/**
 * Mapped expected hazards tm does not report: one name per expected hazard
 * (for an "any of" mapping, the first).
 */
export function missingHazards(h: Hazards): string[] {
  const missing = new Set<string>();
  for (const theirs of h.expected) {
    const ours = HAZARD_MAP[theirs];
    if (!ours) continue;
    if (!ours.some((o) => h.ours.has(o))) missing.add(ours.join('|'));
  }
  return [...missing].sort();
}
