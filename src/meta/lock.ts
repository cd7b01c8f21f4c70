/**
 * One tm run at a time per database: a session-level advisory lock held on a
 * dedicated connection for the whole run. A crashed run's lock goes with its
 * connection, so there is nothing to clean up (a run ends by closing it).
 */
import type pg from 'pg';
import { TmError } from '../errors.js';

/** Advisory lock key: (classid, objid) = ('tm' as int4, 1). */
const LOCK_CLASS = 0x746d;
const LOCK_OBJECT = 1;

/** The migration lock of one database, taken on one connection and held until it closes (see MetadataStore). */
export class MigrationLock {
  constructor(private readonly client: pg.ClientBase) {}

  /** Waits up to waitMs for the lock; then fails naming who holds it. */
  async acquire(database: string, waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { rows } = await this.client.query('select pg_try_advisory_lock($1::int, $2::int) as locked', [LOCK_CLASS, LOCK_OBJECT]);
      if (rows[0].locked) return;
      if (Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(10, deadline - Date.now()))));
    }
    const holder = await lockHolder(this.client);
    throw new TmError(
      `Could not acquire migration lock. Aborting. Database "${database}" is locked by ${holder}.`,
      'Wait for that run to finish (or raise --lock-wait); a crashed run releases its lock when its connection closes.',
    );
  }
}

async function lockHolder(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query(
    `select a.pid, a.usename, a.application_name, coalesce(host(a.client_addr), 'local socket') as client, a.backend_start
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.classid = $1::int::oid and l.objid = $2::int::oid and l.granted
      limit 1`,
    [LOCK_CLASS, LOCK_OBJECT],
  );
  if (!rows.length) return 'another session (it has just released it; try again)';
  const r = rows[0];
  return `pid ${r.pid} (${r.application_name || 'unnamed client'}, user ${r.usename}, from ${r.client}, connected since ${new Date(r.backend_start).toISOString()})`;
}

/**
 * A query whose one row says (`held`) whether the session with this pid still
 * holds the migration lock, asked from another connection. Without
 * parameters, so that the applier sends it with the statements that open a
 * tenant's transaction, in one round trip.
 */
export function migrationLockHeldQuery(pid: number): string {
  return `select ${migrationLockHeldSql(pidLiteral(pid))} as held`;
}

/** A backend pid written into SQL: checked to be an integer, as it is not sent as a parameter. */
function pidLiteral(pid: number): string {
  if (!Number.isSafeInteger(pid)) throw new Error(`not a backend pid: ${pid}`);
  return String(pid);
}

/** Whether the session whose pid `pid` (an SQL expression) is still holds the migration lock. */
export function migrationLockHeldSql(pid: string): string {
  return `exists (select from pg_catalog.pg_locks where locktype = 'advisory' and classid = ${LOCK_CLASS}::oid and objid = ${LOCK_OBJECT}::oid and objsubid = 2 and granted and pid = ${pid})`;
}
