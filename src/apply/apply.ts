/**
 * The applier: runs exactly what a plan says, or nothing, tenant by tenant.
 *
 * Per database: take the migration lock (lock.ts), run the plan's statements
 * for the database as a whole (extensions it lacks), make sure the history
 * table exists, then let `parallelism` connections work through the plan's
 * tenants. Each tenant is one transaction:
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
 * That is the careful way. Once a cohort's before- and after-states have been
 * seen, its other tenants first try the quick way (quick.ts): the same checks,
 * made by the server, with the whole transaction sent as one batch of
 * statements; whatever fails there is rolled back and goes the careful way.
 *
 * A lock timeout retries the whole tenant a few times. A crash at any moment
 * leaves each tenant wholly before or wholly after: re-running the same plan
 * skips those already done (they are at their after-fingerprint).
 */
import { hostname, userInfo } from 'node:os';
import type pg from 'pg';
import fastJsonPatch from 'fast-json-patch';
import { ABSENT, fingerprint, shortFingerprint } from '../catalog/fingerprint.js';
import { CATALOG_SEARCH_PATH, introspectSchemas, KnownStates } from '../catalog/introspect.js';
import type { SchemaModel } from '../catalog/model.js';
import type { TenantsConfig } from '../config/tenants.js';
import type { ProjectEnvironment } from '../config/env.js';
import { connect, isConnectionLost } from '../db/connect.js';
import type { DatabaseTarget } from '../db/target.js';
import { refuseReadOnly } from '../db/readOnly.js';
import { TmError } from '../errors.js';
import { targetsOf } from '../fleet/databases.js';
import { isConfiguredTenant, tenantSchemas } from '../fleet/tenants.js';
import type { HazardAcceptance } from '../plan/policy.js';
import type { Cohort, Plan, PlanTenant } from '../plan/types.js';
import type { Step } from '../diff/step.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { TM_VERSION } from '../version.js';
import { DEFAULT_MAX_BACKUP_BYTES, ensureBackupCatalog, prepareBackups, takeBackups } from './backup.js';
import { ensureHistory, insertHistory, markDeferredDone, whenApplied, type HistoryRow } from './history.js';
import { applyQuickly, canGoQuickly, installStateCheck } from './quick.js';
import { acquireMigrationLock, migrationLockHeldQuery } from './lock.js';
import { checkApplyPrivileges } from './privileges.js';
import { checkPlannedDatabase } from './target.js';
import { assertPlanSteps } from '../plan/stepCheck.js';

export type TenantOutcome = 'applied' | 'already-applied' | 'stale' | 'failed';

export interface ApplyEvent {
  type: 'started' | TenantOutcome | 'not-covered' | 'removed' | 'database-failed' | 'database-step' | 'wave-started' | 'stopped';
  database?: string;
  schema?: string;
  cohort?: string;
  wave?: string;
  message?: string;
  durationMs?: number;
}

/** A group of tenants applied together; waves run one after the other. */
export interface Wave {
  name: string;
  includes(database: string, schema: string): boolean;
}

export interface ApplyOptions {
  /** Tenants applied at once, over all databases. */
  parallelism: number;
  /** Connections per database at most (its connection budget); default: parallelism. */
  perDatabase?: number;
  lockWaitMs: number;
  /** How many times a tenant is retried after a lock timeout. */
  lockRetries: number;
  /** Backups before destructive steps copy at most this many bytes per database (default 10 GiB). */
  maxBackupBytes?: number;
  /** Once more tenants than this have failed, no new tenant starts (running ones finish). */
  maxFailures?: number;
  /** In order; a tenant goes in the first wave that includes it; default: one wave of everything. */
  waves?: Wave[];
  /** Hazards the policy let through and by what (src/plan/policy.ts): recorded with each tenant's history row. */
  acceptedHazards?: HazardAcceptance[];
  /** Apply the plan's tenants that tenants.yaml no longer names too (by default they are skipped, with a warning). */
  includeRemoved?: boolean;
  onEvent?: (event: ApplyEvent) => void;
}

export interface ApplyResult {
  applied: number;
  alreadyApplied: number;
  stale: number;
  failed: number;
  /** Tenants of the plan that were not started: failure budget spent, a database lost, or outside the selected waves. */
  notAttempted: number;
  /** Tenants that tenants.yaml names now but the plan does not cover. */
  notCovered: string[];
  /** Tenants of the plan that tenants.yaml no longer names (listed or matched by discover): skipped unless includeRemoved. */
  removed: string[];
  /** Databases whose run stopped on an error (connection lost…); their remaining tenants were not attempted. */
  databaseErrors: number;
  /** True when every tenant attempted ended at its after-state and nothing stopped the run. */
  ok: boolean;
}

interface Job {
  cohort: Cohort;
  database: string;
  schema: string;
  /** The backend holding this database's migration lock: each tenant's transaction checks it still does before changing anything. */
  lockPid?: number;
  /** The database's states seen so far (shared by its jobs): most tenants are read by signature only. */
  states: KnownStates;
  /** Fingerprints whose models a committed transaction has stored in the metadata schema this run (shared by the database's jobs). */
  storedModels: Set<string>;
  /** Whether the database has tm_expect_state (quick.ts): not the embedded one, which needs no speed, nor one where tm may not create it. */
  quick: boolean;
}

/** The migration lock went with its connection: no tenant may start. */
class LockLostError extends Error {}

const LOCK_LOST = 'lost the migration lock (its connection to the server closed); stopped before starting another schema: re-run the same plan to finish';

const LOCK_NOT_AVAILABLE = '55P03';

function describeDifference(actual: SchemaModel, expected: SchemaModel): string {
  const ops = fastJsonPatch.compare(expected, actual);
  const shown = ops.slice(0, 3).map((op) => `${op.op} ${decodeURIComponent(op.path)}`);
  return shown.join('; ') + (ops.length > 3 ? `; and ${ops.length - 3} more` : '');
}

export class StaleSchemaError extends Error {}

/**
 * The server or the network went away (as opposed to a statement failing):
 * the database's run stops there; it is not a failure of the tenant.
 */
export { isConnectionLost };

/** A counting semaphore: the global --parallelism shared by every database's workers. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

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
  const locks = await Promise.allSettled(targets.map((target) => lockDatabase(target, options.lockWaitMs)));
  const failedLock = locks.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failedLock) {
    await Promise.all(locks.map((l) => (l.status === 'fulfilled' ? l.value.end().catch(() => {}) : undefined)));
    throw failedLock.reason;
  }
  const lockClients = locks.map((l) => (l as PromiseFulfilledResult<pg.Client>).value);
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
    await Promise.all(targets.map((target, i) => prepareDatabase(plan, config, target, lockClients[i], emit, result)));
    const quick = new Set<string>();
    await Promise.all(
      targets.map(async (target, i) => {
        if (target.capabilities.quickPath && (await installStateCheck(lockClients[i], config.metadataSchema, states.get(target.config.name)!))) {
          quick.add(target.config.name);
        }
      }),
    );
    await Promise.all(targets.map((target, i) => prepareDatabaseBackups(plan, config, target, lockClients[i], options)));

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
    const waves = options.waves ?? [{ name: 'all', includes: () => true }];
    const lostDatabases = new Set<string>();
    const slots = new Slots(options.parallelism);
    const budget = options.maxFailures ?? 0;
    let remaining = allJobs;
    for (const wave of waves) {
      const jobs = remaining.filter((j) => wave.includes(j.database, j.schema));
      remaining = remaining.filter((j) => !wave.includes(j.database, j.schema));
      if (jobs.length === 0) continue;
      if (result.failed > budget || lostDatabases.size > 0) {
        result.notAttempted += jobs.length;
        continue;
      }
      if (waves.length > 1) emit({ type: 'wave-started', wave: wave.name, message: `wave ${wave.name}: ${jobs.length} schema(s)` });
      const runs = await Promise.allSettled(
        targets.map((target) =>
          runJobs(plan, config.metadataSchema, target, jobs.filter((j) => j.database === target.config.name), slots, options, emit, result, () =>
            lockLost.get(target.config.name),
          ),
        ),
      );
      runs.forEach((run, i) => {
        if (run.status === 'rejected') {
          const database = targets[i].config.name;
          lostDatabases.add(database);
          result.databaseErrors++;
          const reason = (run.reason as Error)?.message ?? String(run.reason);
          // A lost connection is the server's doing, not the plan's: say so, and how to finish.
          const message = isConnectionLost(run.reason) ? `lost the connection to the server (${reason}): re-run the same plan to finish` : reason;
          emit({ type: 'database-failed', database, message });
        }
      });
    }
    // Tenants outside every wave (e.g. `--wave canary` selects one) are left for a later run.
    result.notAttempted += remaining.length;
    if (result.failed > budget) {
      emit({ type: 'stopped', message: `stopped after ${result.failed} failure(s) (--max-failures ${budget}): ${result.notAttempted} schema(s) not attempted; re-run the same plan to continue` });
    }
  } finally {
    finishing = true;
    await Promise.all(lockClients.map((c) => c.end().catch(() => {})));
  }
  result.ok = result.stale === 0 && result.failed === 0 && result.databaseErrors === 0;
  return result;
}

/**
 * The plan's tenants that tenants.yaml no longer names, neither listed nor
 * matched by a discover pattern: taken out of the file after the plan was
 * made (a customer offboarded), so not to be changed without being asked.
 */
function removedTenants(plan: Plan, config: TenantsConfig): PlanTenant[] {
  return plan.cohorts.flatMap((c) =>
    c.tenants.filter((t) => {
      const database = config.databases.find((d) => d.name === t.database);
      if (!database) return false;
      return !isConfiguredTenant(database, t.schema);
    }),
  );
}

async function lockDatabase(target: DatabaseTarget, lockWaitMs: number): Promise<pg.Client> {
  const client = await connect(target, 'apply (lock)');
  try {
    await refuseReadOnly(client, target.config.name, 'apply the plan');
    await acquireMigrationLock(client, target.config.name, lockWaitMs);
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

/** Under the lock: the history table, and tenants tenants.yaml names now that the plan does not cover. */
async function prepareDatabase(
  plan: Plan,
  config: TenantsConfig,
  target: DatabaseTarget,
  lockClient: pg.Client,
  emit: (e: ApplyEvent) => void,
  result: ApplyResult,
): Promise<void> {
  const database = target.config.name;
  await ensureHistory(lockClient, config.metadataSchema);
  const covered = new Set([
    ...plan.cohorts.flatMap((c) => c.tenants.filter((t) => t.database === database).map((t) => t.schema)),
    ...plan.unchanged.filter((t) => t.database === database).map((t) => t.schema),
  ]);
  // A plan made for some schemas (--schema) covers only those.
  const inScope = (schema: string) => !plan.scope?.schemas.length || plan.scope.schemas.includes(schema);
  for (const schema of await tenantSchemas(lockClient, target.config, config.metadataSchema)) {
    if (!covered.has(schema) && inScope(schema)) {
      result.notCovered.push(`${database}/${schema}`);
      emit({ type: 'not-covered', database, schema, message: `${schema} is not covered by this plan (added after it was made): run tm plan again` });
    }
  }
}

/**
 * Under the lock, before any tenant: the plan's statements for the database
 * as a whole (extensions it lacked), in one transaction. Each can run again
 * (IF NOT EXISTS), so a re-run of the plan after a crash runs them again.
 */
async function runDatabaseSteps(plan: Plan, target: DatabaseTarget, lockClient: pg.Client, emit: (e: ApplyEvent) => void): Promise<void> {
  const database = target.config.name;
  const steps = plan.databaseSteps?.find((d) => d.database === database)?.steps ?? [];
  if (steps.length === 0) return;
  await lockClient.query('BEGIN');
  try {
    await lockClient.query(`SET LOCAL lock_timeout = ${quoteLiteral(`${plan.settings.lockTimeoutMs}ms`)}`);
    for (const step of steps) {
      try {
        await lockClient.query(step.sql);
      } catch (error) {
        throw new TmError(
          `Database "${database}": ${step.sql} failed: ${(error as Error).message}. No tenant was changed.`,
          'The role tm connects as needs the privileges CREATE EXTENSION needs; or create the extension as a superuser, then apply again.',
        );
      }
    }
    await lockClient.query('COMMIT');
  } catch (error) {
    await lockClient.query('ROLLBACK').catch(() => {});
    throw error;
  }
  for (const step of steps) emit({ type: 'database-step', database, message: step.object });
}

/** Under the lock, before any tenant: the backups table, and whether this database's backups can be taken (backup.ts). */
async function prepareDatabaseBackups(plan: Plan, config: TenantsConfig, target: DatabaseTarget, lockClient: pg.Client, options: ApplyOptions): Promise<void> {
  await ensureBackupCatalog(lockClient, config.metadataSchema);
  if (plan.settings.skipBackup) return;
  const items = plan.cohorts.flatMap((c) =>
    c.tenants.filter((t) => t.database === target.config.name).flatMap((t) => (c.backups ?? []).map((b) => ({ schema: t.schema, table: b.table }))),
  );
  if (items.length) await prepareBackups(lockClient, config.metadataSchema, items, options.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES);
}

/** One database's share of a wave: its own connections (at most perDatabase), each tenant holding a global slot while it runs. */
async function runJobs(
  plan: Plan,
  metadataSchema: string,
  target: DatabaseTarget,
  jobs: Job[],
  slots: Slots,
  options: ApplyOptions,
  emit: (e: ApplyEvent) => void,
  result: ApplyResult,
  lockLost: () => Error | undefined = () => undefined,
): Promise<void> {
  if (jobs.length === 0) return;
  const database = target.config.name;
  const budget = options.maxFailures ?? 0;
  // One session (the embedded database) takes one worker: session settings would be shared.
  const workers = target.capabilities.concurrentSessions ? Math.max(1, Math.min(options.perDatabase ?? options.parallelism, options.parallelism, jobs.length)) : 1;
  let next = 0;
  let lost: unknown = null;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      let client: pg.Client | null = null;
      try {
        client = await connect(target, `apply ${plan.id}`);
        // This connection introspects one schema after another with the same
        // named catalog queries: plan them once, not once per tenant.
        await client.query('SET plan_cache_mode = force_generic_plan');
        while (next < jobs.length && lost === null) {
          await slots.acquire();
          try {
            if (next >= jobs.length || lost !== null) break;
            const noLock = lockLost();
            if (noLock) {
              lost ??= noLock;
              break;
            }
            if (result.failed > budget) {
              // Failure budget spent: running tenants finish, no new one starts.
              result.notAttempted += jobs.length - next;
              next = jobs.length;
              break;
            }
            const job = jobs[next++];
            let outcome: TenantOutcome;
            try {
              outcome = await applyTenant(client, plan, metadataSchema, database, job, options, emit);
            } catch (error) {
              // Interrupted (connection or lock lost): rolled back, so not attempted, as those never started.
              result.notAttempted++;
              throw error;
            }
            if (outcome === 'applied') result.applied++;
            else if (outcome === 'already-applied') result.alreadyApplied++;
            else if (outcome === 'stale') result.stale++;
            else result.failed++;
          } finally {
            slots.release();
          }
        }
      } catch (error) {
        lost ??= error;
      } finally {
        await client?.end().catch(() => {});
      }
    }),
  );
  if (lost !== null) {
    result.notAttempted += jobs.length - next;
    throw lost;
  }
}

async function applyTenant(
  client: pg.ClientBase,
  plan: Plan,
  metadataSchema: string,
  database: string,
  job: Job,
  options: ApplyOptions,
  emit: (e: ApplyEvent) => void,
): Promise<TenantOutcome> {
  const { cohort, schema } = job;
  const base = { database, schema, cohort: cohort.id };
  emit({ type: 'started', ...base });
  if (job.quick && canGoQuickly(plan, cohort, job.states)) {
    const started = Date.now();
    const quick = { client, plan, metadataSchema, cohort, schema, states: job.states, lockPid: job.lockPid, history: historyOf(plan, job, options) };
    if (await applyQuickly(quick)) {
      job.storedModels.add(cohort.beforeFingerprint);
      emit({ type: 'applied', ...base, durationMs: Date.now() - started });
      return 'applied';
    }
  }
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    try {
      const outcome = await applyTenantOnce(client, plan, metadataSchema, job, options);
      emit({ type: outcome, ...base, durationMs: Date.now() - started, message: outcome === 'already-applied' ? `${schema} is already at the plan's after-state` : undefined });
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      const code = (error as { code?: string }).code;
      if (code === LOCK_NOT_AVAILABLE && attempt < options.lockRetries) {
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        continue;
      }
      if (isConnectionLost(error) || error instanceof LockLostError) throw error;
      if (error instanceof StaleSchemaError) {
        emit({ type: 'stale', ...base, message: error.message });
        return 'stale';
      }
      const message =
        code === LOCK_NOT_AVAILABLE
          ? `${schema}: gave up after ${attempt + 1} lock timeouts (${plan.settings.lockTimeoutMs} ms each): another session holds a lock on its tables${await lockHolders(client, schema)}`
          : `${schema}: ${(error as Error).message}`;
      emit({ type: 'failed', ...base, message, durationMs: Date.now() - started });
      return 'failed';
    }
  }
}

async function applyTenantOnce(client: pg.ClientBase, plan: Plan, metadataSchema: string, job: Job, options: ApplyOptions): Promise<TenantOutcome> {
  const { cohort, schema } = job;
  // The opening statements in one round trip.
  const opening = await client.query(
    [
      'BEGIN',
      `SET LOCAL lock_timeout = ${quoteLiteral(`${plan.settings.lockTimeoutMs}ms`)}`,
      CATALOG_SEARCH_PATH,
      // The lock's connection may have gone a moment ago (the client has not noticed yet): never start a tenant without it.
      ...(job.lockPid === undefined ? [] : [migrationLockHeldQuery(job.lockPid)]),
    ].join(';\n'),
  );
  if (job.lockPid !== undefined && !(opening as unknown as pg.QueryResult[]).at(-1)!.rows[0].held) throw new LockLostError(LOCK_LOST);

  const before = await job.states.read(client, schema);
  const current = before ? fingerprint(before) : ABSENT;
  if (current === cohort.afterFingerprint) {
    await client.query('COMMIT');
    // A run stopped after the last deferred step but before recording it: record it now.
    if (cohort.steps.some((s) => !s.transactional)) await markDeferredDone(client, metadataSchema, schema, plan.id, true);
    return 'already-applied';
  }
  const deferred = cohort.steps.filter((s) => !s.transactional);
  if (cohort.midFingerprint && before && isBetweenTransactionAndDeferred(before, cohort) && (await whenApplied(client, metadataSchema, schema, plan.id))) {
    // A run stopped after this tenant's transaction committed (its history row says so): finish its deferred steps.
    await client.query('COMMIT');
    await runDeferred(client, plan, metadataSchema, schema, cohort, before);
    return 'applied';
  }
  if (current !== cohort.beforeFingerprint) {
    throw new StaleSchemaError(
      `${schema} changed since the plan was made (expected ${shortFingerprint(cohort.beforeFingerprint)}, found ${shortFingerprint(current)}): run tm plan again`,
    );
  }
  // Back in the state the plan was made from after the plan ran (tm rollback): a plan runs once per schema (its
  // history row and backups are keyed by plan), so this is a change since the plan like any other.
  const applied = await whenApplied(client, metadataSchema, schema, plan.id);
  if (applied) {
    throw new StaleSchemaError(
      `${schema} was changed by this plan on ${applied.toISOString().slice(0, 16).replace('T', ' ')} UTC and rolled back since; a plan is applied once: run tm plan again`,
    );
  }

  // What the steps would lose, copied first in this same transaction (backup.ts).
  if (!plan.settings.skipBackup && cohort.backups?.length) await takeBackups(client, metadataSchema, plan.id, schema, cohort.backups);

  const statements: string[] = [];
  if (cohort.createsSchema) {
    const sql = `CREATE SCHEMA ${quoteIdent(schema)}`;
    await client.query(sql);
    statements.push(sql);
  }
  await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
  for (const step of cohort.steps) {
    if (!step.transactional) continue;
    await client.query(step.sql);
    statements.push(step.sql);
  }

  // After the transactional steps the schema must be exactly as planned (before the deferred steps, if any).
  const expectedNow = cohort.midFingerprint ?? cohort.afterFingerprint;
  await client.query(CATALOG_SEARCH_PATH);
  const after = (await job.states.read(client, schema))!;
  if (fingerprint(after) !== expectedNow) {
    throw new Error(
      `after its steps the schema is not what the plan expects (${shortFingerprint(fingerprint(after))} instead of ` +
        `${shortFingerprint(expectedNow)}: ${describeDifference(after, plan.afterModels[expectedNow])}); rolled back`,
    );
  }

  await insertHistory(client, metadataSchema, { ...historyOf(plan, job, options), statements, beforeModel: before ?? null });
  await client.query('COMMIT');
  if (before) job.storedModels.add(cohort.beforeFingerprint);

  if (deferred.length) await runDeferred(client, plan, metadataSchema, schema, cohort, after);
  return 'applied';
}

/** A tenant's history row, less the statements that ran and its model before them. */
function historyOf(plan: Plan, job: Job, options: ApplyOptions): Omit<HistoryRow, 'statements' | 'beforeModel'> {
  const { cohort } = job;
  return {
    tenantSchema: job.schema,
    planId: plan.id,
    kind: plan.kind,
    name: plan.name,
    beforeFingerprint: cohort.beforeFingerprint,
    afterFingerprint: cohort.afterFingerprint,
    appliedBy: appliedBy(),
    deferredStatements: cohort.steps.filter((s) => !s.transactional).map((s) => s.sql),
    modelStored: job.storedModels.has(cohort.beforeFingerprint),
    tmVersion: TM_VERSION,
    skipBackup: Boolean(plan.settings.skipBackup && cohort.backups?.length),
    acceptedHazards: options.acceptedHazards ?? [],
  };
}

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
function isBetweenTransactionAndDeferred(model: SchemaModel, cohort: Cohort): boolean {
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
async function runDeferred(client: pg.ClientBase, plan: Plan, metadataSchema: string, schema: string, cohort: Cohort, model: SchemaModel): Promise<void> {
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
  await markDeferredDone(client, metadataSchema, schema, plan.id);
}

/** `: pid 123 (psql, user app, idle in transaction since …)`: who holds locks on the schema's tables, or '' when that cannot be read. */
async function lockHolders(client: pg.ClientBase, schema: string): Promise<string> {
  try {
    const { rows } = await client.query(
      `select distinct a.pid, a.application_name, a.usename, a.state, a.xact_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
         join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
        where l.granted and l.locktype = 'relation' and n.nspname = $1 and a.pid <> pg_backend_pid()
        order by a.xact_start nulls last, a.pid limit 3`,
      [schema],
    );
    if (rows.length === 0) return '';
    const who = rows.map(
      (r) => `pid ${r.pid} (${r.application_name || 'unnamed client'}, user ${r.usename}, ${r.state}${r.xact_start ? ` since ${new Date(r.xact_start).toISOString()}` : ''})`,
    );
    return `: ${who.join(', ')}`;
  } catch {
    return '';
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

let appliedByThisProcess: string | undefined;

/** `user@host` of this process, for history rows (asked of the system once, not once per tenant). */
function appliedBy(): string {
  return (appliedByThisProcess ??= `${currentUser()}@${hostname()}`);
}
