/**
 * Read-only servers: a hot standby (a replica, in recovery) or a database
 * whose transactions are read-only by default (`default_transaction_read_only
 * = on`, often set for a maintenance window). tm apply cannot change anything
 * there and says so before it starts. Reading works: tm plan, status and
 * drift only write in the scratch transaction of the desired state, which
 * they roll back (src/desired/materialize.ts) and mark READ WRITE on purpose,
 * so a read-only default does not stop them; a standby does.
 */
import { TmError } from '../errors.js';
import type { Queryable } from './queryable.js';

/** SQLSTATE read_only_sql_transaction: a write in a read-only transaction. */
export const READ_ONLY_SQL_TRANSACTION = '25006';

export function isReadOnlyError(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === READ_ONLY_SQL_TRANSACTION;
}

export type ReadOnlyState = 'standby' | 'read-only default' | null;

/** Why transactions on this connection are read-only, or null when they are not. */
export async function readOnlyState(db: Queryable): Promise<ReadOnlyState> {
  const { rows } = await db.query(`select pg_is_in_recovery() as standby, current_setting('transaction_read_only') = 'on' as read_only`);
  return rows[0].standby ? 'standby' : rows[0].read_only ? 'read-only default' : null;
}

/** The error for a database that does not accept writes; `doing` is what tm was about to do ("apply the plan"). */
export function readOnlyError(database: string, state: ReadOnlyState, doing: string): TmError {
  if (state === 'standby') {
    return new TmError(
      `Cannot ${doing} on database "${database}": the server is a read-only standby (a replica in recovery), which accepts no writes.`,
      'Point the database\'s url at the primary server and run the command again.',
    );
  }
  return new TmError(
    `Cannot ${doing} on database "${database}": the database is read-only (default_transaction_read_only = on, as set for a replica or a maintenance window).`,
    'Run it once the database accepts writes again (SHOW default_transaction_read_only says off), or, if read-only was set by mistake: ALTER DATABASE … SET default_transaction_read_only = off, then reconnect.',
  );
}

/** Refuses a database that does not accept writes, before anything is changed there. */
export async function refuseReadOnly(db: Queryable, database: string, doing: string): Promise<void> {
  const state = await readOnlyState(db);
  if (state) throw readOnlyError(database, state, doing);
}
