/**
 * The applier: runs exactly what a plan says, or nothing, tenant by tenant.
 *
 * Per database (database.ts): take the migration lock (meta/lock.ts), run the
 * plan's statements for the database as a whole (extensions it lacks), make
 * sure tm's metadata tables exist (meta/), then let `parallelism` connections
 * work through the plan's tenants, wave by wave (scheduler.ts). Each tenant is
 * one transaction (tenant.ts):
 *
 *   BEGIN; SET LOCAL lock_timeout
 *   introspect the schema → fingerprint   (by signature when its state was seen
 *                                           before, see KnownStates;
 *                                           already at the after-state: skip;
 *                                           not the plan's before-state: stale, skip)
 *   [CREATE SCHEMA]; SET LOCAL search_path; the steps
 *   introspect again → must equal the plan's after-fingerprint, else ROLLBACK
 *   history row; COMMIT
 *
 * and then its deferred steps, if any (deferred.ts). That is the careful way. Once a cohort's before- and after-states have been
 * seen, its other tenants first try the quick way (quick.ts): the same checks,
 * made by the server, with the whole transaction sent as one batch of
 * statements; whatever fails there is rolled back and goes the careful way.
 *
 * A lock timeout retries the whole tenant a few times. A crash at any moment
 * leaves each tenant wholly before or wholly after: re-running the same plan
 * skips those already done (they are at their after-fingerprint).
 */
import type pg from 'pg';
import { KnownStates } from '../catalog/introspect.js';
import type { TenantsConfig } from '../config/tenants.js';
import type { ProjectEnvironment } from '../config/env.js';
import { targetsOf } from '../fleet/databases.js';
import { TmError } from '../errors.js';
import type { MetadataStore } from '../meta/store.js';
import { assertPlanSteps } from '../plan/stepCheck.js';
import type { Plan } from '../plan/types.js';
import { lockDatabase, prepareDatabase, prepareDatabaseBackups, removedTenants, runDatabaseSteps } from './database.js';
import { LOCK_LOST, LockLostError } from './errors.js';
import type { ApplyResult } from './events.js';
import type { ApplyOptions } from './options.js';
import { checkApplyPrivileges } from './privileges.js';
import { runWaves } from './scheduler.js';
import { checkPlannedDatabase } from './target.js';
import type { Job } from './tenant.js';

export async function applyPlan(plan: Plan, config: TenantsConfig, project: ProjectEnvironment, options: ApplyOptions): Promise<ApplyResult> {
  const emit = options.onEvent ?? (() => {});
  const result: ApplyResult = { applied: 0, alreadyApplied: 0, stale: 0, failed: 0, notAttempted: 0, databaseErrors: 0, notCovered: [], removed: [], ok: true };
  for (const name of plan.databases) {
    if (!config.databases.some((d) => d.name === name)) {
      throw new TmError(`The plan covers database "${name}", which tenants.yaml does not name.`, 'Apply the plan with the tenants.yaml it was made from.');
    }
  }
  // Before any connection: every step is a statement tm writes (an edited plan can recompute its integrity hash).
  assertPlanSteps(plan, config);
  const targets = targetsOf({ config, ...project }, plan.databases);

  // Every database's lock first: a plan over several databases starts only when it can run on all of them.
  const locks = await Promise.allSettled(targets.map((target) => lockDatabase(target, config.metadataSchema, options.lockWaitMs)));
  const failedLock = locks.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failedLock) {
    await Promise.all(locks.map((l) => (l.status === 'fulfilled' ? l.value.client.end().catch(() => {}) : undefined)));
    throw failedLock.reason;
  }
  // Each database's store over its lock connection.
  const metas = locks.map((l) => (l as PromiseFulfilledResult<MetadataStore<pg.Client>>).value);
  const lockClients = metas.map((meta) => meta.client);
  // A lock connection that closes (terminated, server restarted) takes the lock with it: that database stops starting tenants.
  let finishing = false;
  const lockLost = new Map<string, Error>();
  lockClients.forEach((client, i) =>
    client.once('end', () => {
      if (!finishing) lockLost.set(targets[i].config.name, new LockLostError(LOCK_LOST));
    }),
  );
  try {
    // Before anything is written: the right database, and every privilege the plan needs there (one catalog round each).
    await Promise.all(targets.map((target, i) => checkPlannedDatabase(lockClients[i], plan, target.config.name, target.config.urlEnv)));
    await Promise.all(targets.map((target, i) => checkApplyPrivileges(lockClients[i], plan, target.config.name, config.metadataSchema)));
    const states = new Map(targets.map((target) => [target.config.name, new KnownStates()]));
    const storedModels = new Map(targets.map((target) => [target.config.name, new Set<string>()]));
    await Promise.all(targets.map((target, i) => runDatabaseSteps(plan, target, lockClients[i], emit)));
    await Promise.all(targets.map((target, i) => prepareDatabase(plan, config, target, metas[i], emit, result)));
    const quick = new Set<string>();
    await Promise.all(
      targets.map(async (target, i) => {
        if (target.capabilities.quickPath && (await metas[i].stateCheck.install(states.get(target.config.name)!))) {
          quick.add(target.config.name);
        }
      }),
    );
    await Promise.all(targets.map((target, i) => prepareDatabaseBackups(plan, target, metas[i], options)));

    const lockPids = new Map<string, number>();
    await Promise.all(
      targets.map(async (target, i) => lockPids.set(target.config.name, (await lockClients[i].query('select pg_backend_pid() as pid')).rows[0].pid)),
    );
    const removed = removedTenants(plan, config);
    for (const t of removed) {
      result.removed.push(`${t.database}/${t.schema}`);
      const message = options.includeRemoved
        ? `${t.schema} is no longer in tenants.yaml (listed or matched by discover); applied anyway (--include-removed)`
        : `${t.schema} is no longer in tenants.yaml (listed or matched by discover): skipped; to apply it anyway, pass --include-removed`;
      emit({ type: 'removed', database: t.database, schema: t.schema, message });
    }
    const skipped = new Set(options.includeRemoved ? [] : result.removed);
    const allJobs: Job[] = plan.cohorts.flatMap((cohort) =>
      cohort.tenants.filter((t) => !skipped.has(`${t.database}/${t.schema}`)).map((t) => ({
        cohort,
        database: t.database,
        schema: t.schema,
        lockPid: lockPids.get(t.database),
        states: states.get(t.database)!,
        storedModels: storedModels.get(t.database)!,
        quick: quick.has(t.database),
      })),
    );
    await runWaves(plan, config.metadataSchema, targets, allJobs, options, emit, result, (database) => lockLost.get(database));
  } finally {
    finishing = true;
    await Promise.all(lockClients.map((c) => c.end().catch(() => {})));
  }
  result.ok = result.stale === 0 && result.failed === 0 && result.databaseErrors === 0;
  return result;
}
