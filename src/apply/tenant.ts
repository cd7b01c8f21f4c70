/**
 * One tenant, the careful way: one transaction that checks the schema is in
 * the plan's before-state (by introspection, or by signature when the state
 * was seen before: KnownStates), backs up what the steps lose, runs the
 * steps, checks the schema is now in the plan's after-state, and writes the
 * history row; then its deferred steps (deferred.ts), if any.
 *
 *   BEGIN; SET LOCAL lock_timeout
 *   introspect the schema → fingerprint   (already at the after-state: skip;
 *                                           not the plan's before-state: stale, skip)
 *   [CREATE SCHEMA]; SET LOCAL search_path; the steps
 *   introspect again → must equal the plan's after-fingerprint, else ROLLBACK
 *   history row; COMMIT
 *
 * A tenant whose cohort's states this run has seen tries the quick way first
 * (quick.ts); whatever fails there comes here. A lock timeout retries the
 * tenant a few times.
 */
import { hostname, userInfo } from 'node:os';
import type pg from 'pg';
import { ABSENT, fingerprint, shortFingerprint } from '../catalog/fingerprint.js';
import { CATALOG_SEARCH_PATH, type KnownStates } from '../catalog/introspect.js';
import { isConnectionLost } from '../db/connect.js';
import type { HistoryRow } from '../meta/history.js';
import { migrationLockHeldQuery } from '../meta/lock.js';
import type { MetadataStore } from '../meta/store.js';
import type { Cohort, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { TM_VERSION } from '../version.js';
import { isBetweenTransactionAndDeferred, runDeferred } from './deferred.js';
import { describeDifference, LOCK_LOST, LOCK_NOT_AVAILABLE, lockHolders, LockLostError, StaleSchemaError } from './errors.js';
import type { Emit, TenantOutcome } from './events.js';
import type { ApplyOptions } from './options.js';
import { applyQuickly, canGoQuickly } from './quick.js';

/** One tenant of the plan, as the scheduler hands it to a connection. */
export interface Job {
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

/** Applies one tenant: the quick way when it can, else (or when that fails) the careful way; says how it ended. */
export async function applyTenant(
  client: pg.ClientBase,
  plan: Plan,
  /** The metadata store over `client`: the history row goes in the tenant's own transaction. */
  meta: MetadataStore,
  database: string,
  job: Job,
  options: ApplyOptions,
  emit: Emit,
): Promise<TenantOutcome> {
  const { cohort, schema } = job;
  const base = { database, schema, cohort: cohort.id };
  emit({ type: 'started', ...base });
  if (job.quick && canGoQuickly(plan, cohort, job.states)) {
    const started = Date.now();
    const quick = { client, plan, meta, cohort, schema, states: job.states, lockPid: job.lockPid, history: historyOf(plan, job, options) };
    if (await applyQuickly(quick)) {
      job.storedModels.add(cohort.beforeFingerprint);
      emit({ type: 'applied', ...base, durationMs: Date.now() - started });
      return 'applied';
    }
  }
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    try {
      const outcome = await applyTenantOnce(client, plan, meta, job, options);
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

/** One attempt the careful way (a lock timeout is retried by applyTenant). */
async function applyTenantOnce(client: pg.ClientBase, plan: Plan, meta: MetadataStore, job: Job, options: ApplyOptions): Promise<TenantOutcome> {
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
    if (cohort.steps.some((s) => !s.transactional)) await meta.history.markDeferredDone(schema, plan.id, true);
    return 'already-applied';
  }
  const deferred = cohort.steps.filter((s) => !s.transactional);
  if (cohort.midFingerprint && before && isBetweenTransactionAndDeferred(before, cohort) && (await meta.history.whenApplied(schema, plan.id))) {
    // A run stopped after this tenant's transaction committed (its history row says so): finish its deferred steps.
    await client.query('COMMIT');
    await runDeferred(client, plan, meta, schema, cohort, before);
    return 'applied';
  }
  if (current !== cohort.beforeFingerprint) {
    throw new StaleSchemaError(
      `${schema} changed since the plan was made (expected ${shortFingerprint(cohort.beforeFingerprint)}, found ${shortFingerprint(current)}): run tm plan again`,
    );
  }
  // Back in the state the plan was made from after the plan ran (tm rollback): a plan runs once per schema (its
  // history row and backups are keyed by plan), so this is a change since the plan like any other.
  const applied = await meta.history.whenApplied(schema, plan.id);
  if (applied) {
    throw new StaleSchemaError(
      `${schema} was changed by this plan on ${applied.toISOString().slice(0, 16).replace('T', ' ')} UTC and rolled back since; a plan is applied once: run tm plan again`,
    );
  }

  // What the steps would lose, copied first in this same transaction (meta/backups.ts).
  if (!plan.settings.skipBackup && cohort.backups?.length) await meta.backups.take(plan.id, schema, cohort.backups);

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

  await meta.history.insert({ ...historyOf(plan, job, options), statements, beforeModel: before ?? null });
  await client.query('COMMIT');
  if (before) job.storedModels.add(cohort.beforeFingerprint);

  if (deferred.length) await runDeferred(client, plan, meta, schema, cohort, after);
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
