/**
 * Outliers: cohorts with few tenants next to the biggest one. In a fleet where
 * nearly every tenant is in the same state, a handful in a state of their own
 * were usually changed by hand (or missed an earlier plan) and deserve a look
 * before their steps run. Schemas that do not exist yet are new tenants, not
 * outliers.
 */
import type { Cohort, Plan } from '../plan/types.js';

/** A cohort is an outlier when it has at most this share of the biggest cohort's tenants (and fewer than it). */
export const OUTLIER_RATIO = 0.1;

const cache = new WeakMap<Plan, Set<string>>();

/** Ids of the plan's outlier cohorts, worked out once per plan (plans can have thousands of cohorts). */
function outliers(plan: Plan): Set<string> {
  let ids = cache.get(plan);
  if (!ids) {
    ids = new Set();
    if (plan.cohorts.length >= 2) {
      const biggest = biggestCohort(plan).tenants.length;
      const limit = Math.max(1, Math.floor(biggest * OUTLIER_RATIO));
      for (const c of plan.cohorts) if (!c.createsSchema && c.tenants.length < biggest && c.tenants.length <= limit) ids.add(c.id);
    }
    cache.set(plan, ids);
  }
  return ids;
}

export function isOutlier(cohort: Cohort, plan: Plan): boolean {
  return outliers(plan).has(cohort.id);
}

/** The biggest cohort (buildPlan orders them largest first). */
export function biggestCohort(plan: Plan): Cohort {
  return plan.cohorts.reduce((a, b) => (b.tenants.length > a.tenants.length ? b : a), plan.cohorts[0]);
}

export function outlierIds(plan: Plan): string[] {
  const ids = outliers(plan);
  return plan.cohorts.filter((c) => ids.has(c.id)).map((c) => c.id);
}

/** One sentence for a reviewer: why the cohort is called out. */
export function describeOutlier(cohort: Cohort, plan: Plan): string {
  const biggest = biggestCohort(plan);
  const n = cohort.tenants.length;
  return (
    `only ${n} ${n === 1 ? 'schema starts' : 'schemas start'} from this state, against ${biggest.tenants.length} in cohort ${biggest.id}: ` +
    `check ${n === 1 ? 'it was' : 'they were'} not changed by hand before applying`
  );
}
