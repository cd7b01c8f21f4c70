/**
 * The quick way through a tenant, for the common case: a cohort whose
 * before- and after-states this run has already read in full on another
 * tenant (KnownStates). Its whole transaction is then one round trip
 * (db/batch.ts), where it would take one per statement: with the server
 * across a network, round trips are most of what a tenant costs.
 *
 *   BEGIN; SET LOCAL lock_timeout; SELECT tm_expect_state(before); SET LOCAL search_path
 *   the steps, each a statement of its own (server logs show exactly the plan's statements)
 *   SELECT tm_expect_state(after); INSERT history; COMMIT
 *
 * The server stops at the first statement that fails, so no step runs unless
 * the check before it passed, and COMMIT never runs after a failure.
 * tm_expect_state, a function tm keeps in the metadata schema
 * (meta/stateCheck.ts), raises unless the migration lock is held and the
 * schema's signature (queries.ts) is one this run has seen for the expected
 * state: the same checks as the careful way, made by the server. When anything fails, the transaction is rolled
 * back and the tenant goes the careful way, which tells stale from failed,
 * retries lock timeouts and records what happened.
 */
import type pg from 'pg';
import type { KnownStates } from '../catalog/introspect.js';
import { runBatch, type BatchStatement } from '../db/batch.js';
import type { HistoryRow } from '../meta/history.js';
import type { MetadataStore } from '../meta/store.js';
import type { Cohort, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';

export interface QuickTenant {
  client: pg.ClientBase;
  plan: Plan;
  /** The metadata store over `client`. */
  meta: MetadataStore;
  cohort: Cohort;
  schema: string;
  states: KnownStates;
  lockPid?: number;
  /** The history row, less what this module knows (statements, before-model). */
  history: Omit<HistoryRow, 'statements' | 'beforeModel'>;
}

/** Whether the tenant can go the quick way: both its states seen, nothing outside the transaction, nothing to back up. */
export function canGoQuickly(plan: Plan, cohort: Cohort, states: KnownStates): boolean {
  return (
    !cohort.createsSchema &&
    !cohort.midFingerprint &&
    cohort.steps.every((s) => s.transactional) &&
    !(cohort.backups?.length && !plan.settings.skipBackup) &&
    states.signaturesOf(cohort.beforeFingerprint).length > 0 &&
    states.signaturesOf(cohort.afterFingerprint).length > 0
  );
}

/**
 * Applies the tenant the quick way, in one round trip (db/batch.ts): false
 * when it did not (everything rolled back), and the careful way must. A lost
 * connection is thrown.
 */
export async function applyQuickly(t: QuickTenant): Promise<boolean> {
  const { client, cohort, schema, states } = t;
  const expect = (fp: string, lockPid?: number): BatchStatement => t.meta.stateCheck.expect(schema, states.signaturesOf(fp), lockPid);
  const statements = cohort.steps.map((s) => s.sql);
  const batch: BatchStatement[] = [
    { text: 'BEGIN' },
    { text: `SET LOCAL lock_timeout = ${quoteLiteral(`${t.plan.settings.lockTimeoutMs}ms`)}` },
    expect(cohort.beforeFingerprint, t.lockPid),
    { text: `SET LOCAL search_path TO ${quoteIdent(schema)}` },
    ...statements.map((text) => ({ text })),
    expect(cohort.afterFingerprint),
    ...t.meta.history.inserts({ ...t.history, statements, beforeModel: states.modelOf(cohort.beforeFingerprint) ?? null }),
    { text: 'COMMIT' },
  ];
  const result = await runBatch(client, batch);
  if (!result.error && result.commands.at(-1) === 'COMMIT') return true;
  await client.query('ROLLBACK');
  return false;
}
