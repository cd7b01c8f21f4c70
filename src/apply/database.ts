/**
 * Each database of the plan, before any of its tenants: its migration lock
 * (held by one connection for the whole run), the plan's statements for the
 * database as a whole, tm's metadata tables, the backups' preflight, and
 * which of its tenants the plan leaves out.
 */
import type pg from 'pg';
import type { TenantsConfig } from '../config/tenants.js';
import { connect } from '../db/connect.js';
import type { DatabaseTarget } from '../db/target.js';
import { refuseReadOnly } from '../db/readOnly.js';
import { TmError } from '../errors.js';
import { DEFAULT_MAX_BACKUP_BYTES } from '../meta/backups.js';
import { MetadataStore } from '../meta/store.js';
import { isConfiguredTenant, tenantSchemas } from '../fleet/tenants.js';
import type { Plan, PlanTenant } from '../plan/types.js';
import { quoteLiteral } from '../sql/quote.js';
import type { ApplyResult, Emit } from './events.js';
import type { ApplyOptions } from './options.js';

/**
 * The plan's tenants that tenants.yaml no longer names, neither listed nor
 * matched by a discover pattern: taken out of the file after the plan was
 * made (a customer offboarded), so not to be changed without being asked.
 */
export function removedTenants(plan: Plan, config: TenantsConfig): PlanTenant[] {
  return plan.cohorts.flatMap((c) =>
    c.tenants.filter((t) => {
      const database = config.databases.find((d) => d.name === t.database);
      if (!database) return false;
      return !isConfiguredTenant(database, t.schema);
    }),
  );
}

/** A connection to the database holding its migration lock, for the whole run (its store: the lock connection's handle on tm's metadata). */
export async function lockDatabase(target: DatabaseTarget, metadataSchema: string, lockWaitMs: number): Promise<MetadataStore<pg.Client>> {
  const client = await connect(target, 'apply (lock)');
  try {
    await refuseReadOnly(client, target.config.name, 'apply the plan');
    const meta = new MetadataStore(client, metadataSchema);
    await meta.lock.acquire(target.config.name, lockWaitMs);
    return meta;
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}

/** Under the lock: the history table, and tenants tenants.yaml names now that the plan does not cover. */
export async function prepareDatabase(plan: Plan, config: TenantsConfig, target: DatabaseTarget, meta: MetadataStore, emit: Emit, result: ApplyResult): Promise<void> {
  const database = target.config.name;
  await meta.history.ensure();
  const covered = new Set([
    ...plan.cohorts.flatMap((c) => c.tenants.filter((t) => t.database === database).map((t) => t.schema)),
    ...plan.unchanged.filter((t) => t.database === database).map((t) => t.schema),
  ]);
  // A plan made for some schemas (--schema) covers only those.
  const inScope = (schema: string) => !plan.scope?.schemas.length || plan.scope.schemas.includes(schema);
  for (const schema of await tenantSchemas(meta.client, target.config, config.metadataSchema)) {
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
export async function runDatabaseSteps(plan: Plan, target: DatabaseTarget, lockClient: pg.ClientBase, emit: Emit): Promise<void> {
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

/** Under the lock, before any tenant: the backups table, and whether this database's backups can be taken (meta/backups.ts). */
export async function prepareDatabaseBackups(plan: Plan, target: DatabaseTarget, meta: MetadataStore, options: ApplyOptions): Promise<void> {
  await meta.backups.ensure();
  if (plan.settings.skipBackup) return;
  const items = plan.cohorts.flatMap((c) =>
    c.tenants.filter((t) => t.database === target.config.name).flatMap((t) => (c.backups ?? []).map((b) => ({ schema: t.schema, table: b.table }))),
  );
  if (items.length) await meta.backups.prepare(items, options.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES);
}
