/**
 * Deferred steps: statements PostgreSQL refuses inside a transaction block
 * (CREATE INDEX CONCURRENTLY), run after a tenant's transaction has
 * committed. Its history row is written incomplete and completed here, so a
 * run stopped between the two is finished by the next one: a schema past its
 * transaction but not its deferred steps is told apart by the indexes those
 * steps build (isBetweenTransactionAndDeferred).
 */
import type pg from 'pg';
import { fingerprint } from '../catalog/fingerprint.js';
import { introspectSchemas } from '../catalog/introspect.js';
import type { SchemaModel } from '../catalog/model.js';
import type { Step } from '../diff/step.js';
import type { MetadataStore } from '../meta/store.js';
import type { Cohort, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { describeDifference } from './errors.js';

/** Indexes a deferred step builds, by name: the ones a crash may have left invalid. */
function deferredIndexNames(cohort: Cohort): Set<string> {
  const names = cohort.steps.filter((s) => !s.transactional).map(indexNameOf);
  return new Set(names.filter((name): name is string => name !== null));
}

/** The index a step builds (by its target), or null for a step on another object. */
function indexNameOf(step: Step): string | null {
  return step.target.kind === 'index' ? step.target.name : null;
}

/** The model without the invalid leftovers of interrupted concurrent builds of the cohort's indexes. */
function withoutInvalidLeftovers(model: SchemaModel, cohort: Cohort): { model: SchemaModel; leftovers: string[] } {
  const names = deferredIndexNames(cohort);
  const leftovers: string[] = [];
  const copy: SchemaModel = structuredClone(model);
  for (const table of Object.values(copy.tables)) {
    for (const [name, index] of Object.entries(table.indexes)) {
      if (index.invalid && names.has(name)) {
        leftovers.push(name);
        delete table.indexes[name];
      }
    }
  }
  return { model: copy, leftovers };
}

/**
 * After the tenant's transaction and before (or part-way through) its
 * deferred steps: without the indexes those steps build, finished or left
 * invalid, the schema is at the plan's mid-state. (A run stopped between two
 * concurrent builds leaves the first one valid.)
 */
export function isBetweenTransactionAndDeferred(model: SchemaModel, cohort: Cohort): boolean {
  const names = deferredIndexNames(cohort);
  const copy: SchemaModel = structuredClone(model);
  for (const table of Object.values(copy.tables)) {
    for (const name of Object.keys(table.indexes)) if (names.has(name)) delete table.indexes[name];
  }
  return fingerprint(copy) === cohort.midFingerprint;
}

/**
 * Statements PostgreSQL refuses inside a transaction block (CREATE INDEX
 * CONCURRENTLY) run after the tenant's transaction, one by one. An index an
 * interrupted build left invalid is dropped first, so the step can run again.
 */
export async function runDeferred(client: pg.ClientBase, plan: Plan, meta: MetadataStore, schema: string, cohort: Cohort, model: SchemaModel): Promise<void> {
  // Session settings, as these statements run outside a transaction: the same search_path and lock_timeout as the steps before them.
  await client.query(`SET search_path TO ${quoteIdent(schema)}`);
  await client.query(`SET lock_timeout = ${quoteLiteral(`${plan.settings.lockTimeoutMs}ms`)}`);
  try {
    for (const name of withoutInvalidLeftovers(model, cohort).leftovers) await client.query(`DROP INDEX IF EXISTS ${quoteIdent(name)}`);
    const done = new Set(Object.values(model.tables).flatMap((t) => Object.entries(t.indexes).filter(([, i]) => !i.invalid).map(([n]) => n)));
    for (const step of cohort.steps) {
      if (step.transactional) continue;
      const index = indexNameOf(step);
      if (index !== null && done.has(index)) continue;
      await client.query(step.sql);
    }
  } finally {
    await client.query('RESET search_path');
    await client.query('RESET lock_timeout');
  }
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const final = (await introspectSchemas(client, [schema])).get(schema)!;
  await client.query('COMMIT');
  if (fingerprint(final) !== cohort.afterFingerprint) {
    throw new Error(
      `after its concurrent index builds the schema is not what the plan expects: ${describeDifference(final, plan.afterModels[cohort.afterFingerprint])}; re-run apply to retry them`,
    );
  }
  await meta.history.markDeferredDone(schema, plan.id);
}
