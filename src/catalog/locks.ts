/**
 * Catalog reads that wait on another session's lock. Most of the catalog is
 * read without locking a tenant's tables, but PostgreSQL opens a relation to
 * print some of it (pg_get_indexdef, pg_get_expr with a relation,
 * pg_get_viewdef), taking ACCESS SHARE on the table or index: a migration
 * or a pg_dump holding ACCESS EXCLUSIVE on one tenant table would keep tm
 * plan, status and drift waiting as long as it lasts. The reads run with a
 * lock_timeout instead, and a timeout names who holds the lock and on which
 * tenants, so the planner can report or skip them.
 */
import type { Queryable } from '../db/queryable.js';
import { TmError } from '../errors.js';

/** How long a catalog read waits for a lock by default (tm plan's --lock-timeout overrides it). */
export const CATALOG_LOCK_TIMEOUT_MS = 5_000;

/** SQLSTATE lock_not_available: lock_timeout expired. */
export const LOCK_NOT_AVAILABLE = '55P03';

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === LOCK_NOT_AVAILABLE;
}

/** The tenants a lock kept tm from reading, and why (the sessions holding or queuing for it). */
export class CatalogLockedError extends TmError {
  constructor(
    message: string,
    hint: string,
    /** Tenant schemas with a locked relation; empty when the lock was gone by the time tm looked. */
    readonly tenants: string[],
    /** One line, for a plan's "not planned" reason. */
    readonly reason: string,
  ) {
    super(message, hint);
  }
}

interface Blocker {
  pid: number;
  application: string;
  schema: string;
  relation: string;
  mode: string;
  granted: boolean;
  query: string | null;
}

/**
 * After a lock timeout (the transaction rolled back): the other sessions that
 * hold, or queue for, ACCESS EXCLUSIVE on a relation of these schemas, the
 * only mode an ACCESS SHARE waits for.
 */
export async function catalogLockedError(db: Queryable, schemas: string[], timeoutMs: number): Promise<CatalogLockedError> {
  const { rows } = await db.query<Blocker>(
    `select l.pid, coalesce(a.application_name, '') as application, n.nspname::text as schema, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as relation,
            l.mode, l.granted, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120) as query
     from pg_locks l
     join pg_class c on c.oid = l.relation
     join pg_namespace n on n.oid = c.relnamespace
     left join pg_stat_activity a on a.pid = l.pid
     where l.locktype = 'relation' and l.database = (select oid from pg_database where datname = current_database())
       and l.mode = 'AccessExclusiveLock' and l.pid <> pg_backend_pid() and n.nspname = any($1::text[])
     order by l.granted desc, n.nspname, c.relname, l.pid`,
    [schemas],
  );
  const tenants = [...new Set(rows.map((r) => r.schema))].sort();
  const waited = timeoutMs >= 1000 ? `${timeoutMs / 1000}s` : `${timeoutMs}ms`;
  const sessions = [...new Map(rows.map((r) => [r.pid, r])).values()].map(
    (r) =>
      `pid ${r.pid} (application "${r.application}", ${r.granted ? 'holding' : 'waiting for'} ${r.mode} on ${r.relation}${r.query ? `, running: ${r.query}` : ''})`,
  );
  const what = tenants.length ? `tenant${tenants.length > 1 ? 's' : ''} ${tenants.join(', ')}` : 'the tenants';
  const reason = `a lock on ${what} held by another session: ${sessions.join('; ') || 'released since'}`;
  return new CatalogLockedError(
    `Could not read the catalog of ${what} within the lock timeout (${waited}): ${sessions.length ? `locked by ${sessions.join('; ')}` : 'another session held a lock, released since'}.`,
    `Wait for ${sessions.length > 1 ? 'those sessions' : 'that session'} to finish${rows[0] ? ` (or end it: SELECT pg_terminate_backend(${rows[0].pid}))` : ''} and run the command again; tm plan can also wait longer (--lock-timeout) or plan the other tenants (--skip-unreachable).`,
    tenants,
    reason,
  );
}

/**
 * An error PostgreSQL raises when an object it was printing went away under
 * the read: the catalog functions (pg_get_indexdef, pg_get_expr, …) look
 * objects up by OID outside the read's snapshot, so a table or index another
 * session drops meanwhile (a concurrent tm apply or reset, a migration)
 * fails the read with "cache lookup failed" or "could not open relation".
 * Not a bug, and nothing was changed: the read can just run again.
 */
export function isConcurrentCatalogChange(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code === '42P01' || code === '42704') return true; // undefined_table, undefined_object
  return code === 'XX000' && /cache lookup failed|could not open relation with OID/.test(message ?? '');
}

export function concurrentCatalogChangeError(error: Error): TmError {
  return new TmError(
    `The catalog changed while tm read it: another session dropped or replaced a tenant object at that moment (${error.message}). Nothing was changed.`,
    'Another tm apply, reset or migration is probably running: run the command again once it has finished.',
  );
}

