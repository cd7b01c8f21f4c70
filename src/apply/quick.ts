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
 * tm_expect_state, a function tm keeps in the metadata schema, raises unless
 * the migration lock is held and the schema's signature (queries.ts) is one
 * this run has seen for the expected state: the same checks as the careful
 * way, made by the server. When anything fails, the transaction is rolled
 * back and the tenant goes the careful way, which tells stale from failed,
 * retries lock timeouts and records what happened.
 */
import type pg from 'pg';
import type { KnownStates } from '../catalog/introspect.js';
import { isConnectionLost } from '../db/connect.js';
import { runBatch, type BatchStatement } from '../db/batch.js';
import type { Cohort, Plan } from '../plan/types.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { historyInserts, type HistoryRow } from './history.js';
import { migrationLockHeldSql } from './lock.js';

const SQLSTATE = 'TM001';

function checkFunction(metadataSchema: string): string {
  return `${quoteIdent(metadataSchema)}.tm_expect_state`;
}

/**
 * Creates or replaces the metadata schema's tm_expect_state for this
 * server's catalogs (under the migration lock). False when the role may not
 * (another role owns the function, say): tenants then all go the careful way.
 */
export async function installStateCheck(db: pg.ClientBase, metadataSchema: string, states: KnownStates): Promise<boolean> {
  await states.prepare(db);
  try {
    await db.query(createCheckFunction(metadataSchema, states));
    return true;
  } catch (error) {
    if (isConnectionLost(error)) throw error;
    return false;
  }
}

function createCheckFunction(metadataSchema: string, states: KnownStates): string {
  // search_path pg_catalog for the function, as for every catalog query: its signatures are those KnownStates reads.
  return `CREATE OR REPLACE FUNCTION ${checkFunction(metadataSchema)}(schema_name text, signatures text[], lock_pid integer)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $tm$
BEGIN
  IF lock_pid IS NOT NULL AND NOT ${migrationLockHeldSql('lock_pid')} THEN
    RAISE EXCEPTION 'the migration lock is no longer held' USING ERRCODE = '${SQLSTATE}';
  END IF;
  IF NOT EXISTS (SELECT FROM (${states.signatureQuery('schema_name')}) s WHERE s.signature = ANY (signatures)) THEN
    RAISE EXCEPTION '% is not in a state seen before', schema_name USING ERRCODE = '${SQLSTATE}';
  END IF;
END $tm$`;
}

export interface QuickTenant {
  client: pg.ClientBase;
  plan: Plan;
  metadataSchema: string;
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
  const expect = (fp: string, lockPid?: number): BatchStatement => ({
    text: `SELECT ${checkFunction(t.metadataSchema)}($1, $2::text[], $3::integer)`,
    values: [schema, states.signaturesOf(fp), lockPid ?? null],
  });
  const statements = cohort.steps.map((s) => s.sql);
  const batch: BatchStatement[] = [
    { text: 'BEGIN' },
    { text: `SET LOCAL lock_timeout = ${quoteLiteral(`${t.plan.settings.lockTimeoutMs}ms`)}` },
    expect(cohort.beforeFingerprint, t.lockPid),
    { text: `SET LOCAL search_path TO ${quoteIdent(schema)}` },
    ...statements.map((text) => ({ text })),
    expect(cohort.afterFingerprint),
    ...historyInserts(t.metadataSchema, { ...t.history, statements, beforeModel: states.modelOf(cohort.beforeFingerprint) ?? null }),
    { text: 'COMMIT' },
  ];
  const result = await runBatch(client, batch);
  if (!result.error && result.commands.at(-1) === 'COMMIT') return true;
  await client.query('ROLLBACK');
  return false;
}
