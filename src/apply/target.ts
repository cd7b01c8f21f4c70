/**
 * Is this the database the plan was made for? A plan names its databases by
 * their tenants.yaml name (applyPlan refuses names tenants.yaml does not
 * have), so a plan applied with the variable pointing at another server, or
 * at a copy restored from an older backup, would get as far as the tenants,
 * each skipped as stale, after tm had created its metadata schema there.
 *
 * So before anything is written, a sample of the plan's tenants in each
 * database (at most SAMPLE, spread over the list) is introspected in one
 * catalog round: if not one of them is in a state the plan knows (the state
 * it was made from, the state it leads to, or between the transaction and
 * the concurrent index builds), the database is refused as a whole. A single
 * tenant changed by hand is still only skipped as stale, as before.
 */
import { ABSENT, fingerprint } from '../catalog/fingerprint.js';
import { introspectSnapshot } from '../catalog/introspect.js';
import type { SchemaModel } from '../catalog/model.js';
import type { Queryable } from '../db/queryable.js';
import { TmError } from '../errors.js';
import type { Cohort, Plan } from '../plan/types.js';

const SAMPLE = 8;

/** Fingerprints the plan accepts for a tenant of this cohort before applying it. */
function knownStates(cohort: Cohort): Set<string> {
  return new Set([cohort.beforeFingerprint, cohort.afterFingerprint, ...(cohort.midFingerprint ? [cohort.midFingerprint] : [])]);
}

/** The model without the indexes the cohort's deferred steps build (a run stopped part-way through them). */
function withoutDeferredIndexes(model: SchemaModel, cohort: Cohort): SchemaModel {
  const names = new Set(cohort.steps.flatMap((s) => (!s.transactional && s.target.kind === 'index' ? [s.target.name] : [])));
  if (names.size === 0) return model;
  const copy: SchemaModel = structuredClone(model);
  for (const table of Object.values(copy.tables)) for (const name of Object.keys(table.indexes)) if (names.has(name)) delete table.indexes[name];
  return copy;
}

export async function checkPlannedDatabase(db: Queryable, plan: Plan, database: string, urlEnv: string): Promise<void> {
  const jobs = plan.cohorts.flatMap((cohort) => cohort.tenants.filter((t) => t.database === database).map((t) => ({ cohort, schema: t.schema })));
  if (jobs.length === 0) return;
  const step = jobs.length / Math.min(SAMPLE, jobs.length);
  const sample = Array.from({ length: Math.min(SAMPLE, jobs.length) }, (_, i) => jobs[Math.floor(i * step)]);
  // Read as tm plan reads (its own read-only transaction, search_path pg_catalog): so are the fingerprints it compares.
  const models = await introspectSnapshot(db, sample.map((j) => j.schema));
  const known = sample.some(({ cohort, schema }) => {
    const model = models.get(schema);
    if (!model) return cohort.beforeFingerprint === ABSENT;
    const states = knownStates(cohort);
    return states.has(fingerprint(model)) || (cohort.midFingerprint !== undefined && fingerprint(withoutDeferredIndexes(model, cohort)) === cohort.midFingerprint);
  });
  if (known) return;
  const names = sample.map((j) => j.schema);
  throw new TmError(
    `Database "${database}" is not in a state this plan knows: none of ${sample.length === jobs.length ? `its ${jobs.length} schema(s)` : `${sample.length} of its ${jobs.length} schemas`} ` +
      `(${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}) is as it was when the plan was made, or as the plan leaves it. ` +
      `Either ${urlEnv} points at another database than the one the plan was made for, or they all changed since. Nothing was changed.`,
    `Check ${urlEnv}; if it is right, run tm plan again.`,
  );
}
