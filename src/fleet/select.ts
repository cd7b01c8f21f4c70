/**
 * The selection a command works on: its databases (--database), reached at
 * once, one connection each, and on each the tenants (listed and discovered,
 * narrowed by --schema). A database that cannot be reached fails the command,
 * or with skipUnreachable is left out and reported.
 */
import type pg from 'pg';
import { connect, connectionLostError, isConnectionLost } from '../db/connect.js';
import type { DatabaseTarget } from '../db/target.js';
import { selectTargets, type Fleet } from './databases.js';
import { filterSchemas, tenantSchemas } from './tenants.js';

export interface FleetSelection {
  /** Only these tenant schemas (all when empty). */
  schemas: string[];
  /** Only these databases by tenants.yaml name (all when empty). */
  databases: string[];
  /** Leave out a database that cannot be reached (reported in `unreachable`) instead of failing. */
  skipUnreachable?: boolean;
}

/** A database left out of a selection, and the tenants tenants.yaml lists there (discovery could not run). */
export interface UnreachableDatabase {
  database: string;
  reason: string;
  tenants: string[];
}

export interface SelectedDatabase {
  target: DatabaseTarget;
  /** Open: the caller ends it. */
  client: pg.Client;
  /** Its selected tenants, listed first, then discovered. */
  schemas: string[];
}

export interface SelectHow {
  /** application_name of the connections: `tm <purpose>`. */
  purpose: string;
  /** What a lost connection interrupted, for its message ("planning"). */
  doing: string;
  /** Runs on each connection before its tenants are listed; what it throws makes the database unreachable. */
  check?: (client: pg.Client, target: DatabaseTarget) => Promise<void>;
  /** Receives the databases skipUnreachable leaves out. */
  unreachable?: UnreachableDatabase[];
}

export async function selectFleet(fleet: Fleet, selection: FleetSelection, how: SelectHow): Promise<SelectedDatabase[]> {
  const targets = selectTargets(fleet, selection.databases);
  const opened = await Promise.allSettled(
    targets.map(async (target) => {
      const client = await connect(target, how.purpose);
      try {
        await how.check?.(client, target);
        return { target, client, schemas: await tenantSchemas(client, target.config, fleet.config.metadataSchema) };
      } catch (error) {
        await client.end().catch(() => {});
        throw isConnectionLost(error) ? connectionLostError(target.config.name, error, how.doing) : error;
      }
    }),
  );
  const selected = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failures = opened.flatMap((o, i) => (o.status === 'rejected' ? [{ target: targets[i], error: o.reason as Error }] : []));
  try {
    if (failures.length && !selection.skipUnreachable) throw failures[0].error;
    how.unreachable?.push(
      ...failures.map(({ target, error }) => ({ database: target.config.name, reason: error.message, tenants: target.config.tenants.map((t) => t.schema) })),
    );
    const perDatabase = selected.map((s) => ({ database: s.target.config.name, schemas: s.schemas }));
    filterSchemas(perDatabase, selection.schemas);
    return selected.map((s, i) => ({ ...s, schemas: perDatabase[i].schemas }));
  } catch (error) {
    await Promise.all(selected.map((s) => s.client.end().catch(() => {})));
    throw error;
  }
}
