/**
 * How a tenant's run can go wrong, as the applier tells them apart: stale
 * (changed since the plan; skipped), the migration lock lost (the database
 * stops starting tenants), a lock timeout (retried), and the words that
 * explain each.
 */
import type pg from 'pg';
import fastJsonPatch from 'fast-json-patch';
import type { SchemaModel } from '../catalog/model.js';

/** The schema is not in the state the plan was made from (nor the one it leads to): skipped, not failed. */
export class StaleSchemaError extends Error {}

/** The migration lock went with its connection: no tenant may start. */
export class LockLostError extends Error {}

export const LOCK_LOST = 'lost the migration lock (its connection to the server closed); stopped before starting another schema: re-run the same plan to finish';

/** SQLSTATE lock_not_available: lock_timeout expired. */
export const LOCK_NOT_AVAILABLE = '55P03';

/** The first differences between the schema as it is and as the plan expects it, as JSON Patch operations. */
export function describeDifference(actual: SchemaModel, expected: SchemaModel): string {
  const ops = fastJsonPatch.compare(expected, actual);
  const shown = ops.slice(0, 3).map((op) => `${op.op} ${decodeURIComponent(op.path)}`);
  return shown.join('; ') + (ops.length > 3 ? `; and ${ops.length - 3} more` : '');
}

/** `: pid 123 (psql, user app, idle in transaction since …)`: who holds locks on the schema's tables, or '' when that cannot be read. */
export async function lockHolders(client: pg.ClientBase, schema: string): Promise<string> {
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
