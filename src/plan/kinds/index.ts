/**
 * Plans of every kind. Each is an ordinary Plan run by the same applier, so
 * review, locking, stale checks, history and exit codes are shared:
 *
 *   migrate  the Prisma folder, under a new migration name
 *   sync     the Prisma folder (tenants that do not exist yet included), under the latest migration name
 *   reset    every tenant (or those named) to an empty schema; tables are backed up first
 *   rollback one schema to the model recorded before a migration, with its data (rollback.ts)
 */
import { ABSENT } from '../../catalog/fingerprint.js';
import { introspectSnapshot } from '../../catalog/introspect.js';
import { emptySchemaModel, type SchemaModel } from '../../catalog/model.js';
import { MetadataStore } from '../../meta/store.js';
import { connect, databaseTarget, type DatabaseTarget } from '../../db/connect.js';
import type { HazardType } from '../../diff/step.js';
import { buildPlan, planIntegrity, tenantSetHash } from '../build.js';
import { filterSchemas, planFleet, selectDatabases, tenantSchemas, type FleetContext } from '../planner.js';
import type { Plan } from '../types.js';

export const MIGRATION_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Names that say nothing about the change; accepted, with a warning. */
export const VAGUE_MIGRATION_NAME = /^(update|change|changes|migration|migrate|test|tmp|temp|fix|new|wip)\d*$/i;

export interface KindPlanOptions {
  /** Only these tenant schemas (all when empty). */
  schemas: string[];
  /** Only these databases (all when empty). */
  databases: string[];
  lockTimeoutMs: number;
  skipBackup: boolean;
}

export async function schemaSource(context: FleetContext): Promise<Plan['schema']> {
  const schema = await context.schema;
  return { folder: schema.folder, files: schema.files.map((f) => f.path), hash: schema.hash, text: schema.mergedText };
}

/** Records the selection a plan was made with; recomputes its integrity. */
function withSelection(plan: Plan, options: KindPlanOptions): Plan {
  const scope = options.schemas.length || options.databases.length ? { scope: { schemas: options.schemas, databases: options.databases } } : {};
  return reseal({ ...plan, settings: { ...plan.settings, skipBackup: options.skipBackup }, ...scope });
}

/** `migrate` and `sync`: every selected tenant (those not created yet included) to what the Prisma folder describes. */
export async function planFromPrisma(context: FleetContext, kind: 'migrate' | 'sync', name: string, options: KindPlanOptions & { skipUnreachable?: boolean; concurrentIndexes?: boolean }): Promise<Plan> {
  const plan = await planFleet(context, { kind, name, ...options });
  return withSelection(plan, options);
}

/** The name a sync records: the latest migration applied to the selected tenants (any tenant when none of them has one), else `sync`. */
export async function syncName(context: FleetContext, options: Pick<KindPlanOptions, 'schemas' | 'databases'>): Promise<string> {
  const targets = selectDatabases(context.config, options.databases).map((d) => databaseTarget(d, context.env));
  const latest = await Promise.all(
    targets.map(async (target) => {
      const client = await connect(target, 'sync (history)');
      try {
        const history = new MetadataStore(client, context.config.metadataSchema).history;
        return (await history.latestMigrationName(options.schemas)) ?? (await history.latestMigrationName());
      } finally {
        await client.end();
      }
    }),
  );
  const newest = latest.filter((l) => l !== null).sort((a, b) => b!.appliedAt.getTime() - a!.appliedAt.getTime())[0];
  return newest && MIGRATION_NAME.test(newest.name) ? newest.name : 'sync';
}

export interface IntrospectedTenants {
  target: DatabaseTarget;
  schemas: string[];
  models: Map<string, SchemaModel>;
}

/** The selected tenants and their models, without working out a desired state (reset and rollback need none). */
export async function introspectTenants(context: FleetContext, options: Pick<KindPlanOptions, 'schemas' | 'databases'>): Promise<IntrospectedTenants[]> {
  const targets = selectDatabases(context.config, options.databases).map((d) => databaseTarget(d, context.env));
  const clients = await Promise.all(targets.map((target) => connect(target, 'plan')));
  try {
    const selection = await Promise.all(
      targets.map(async (target, i) => ({ database: target.config.name, schemas: await tenantSchemas(clients[i], target.config, context.config.metadataSchema) })),
    );
    filterSchemas(selection, options.schemas);
    return await Promise.all(
      targets.map(async (target, i) => ({ target, schemas: selection[i].schemas, models: await introspectSnapshot(clients[i], selection[i].schemas) })),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** `reset`: every selected tenant that exists to an empty schema (the schema itself stays). */
export async function planReset(context: FleetContext, options: KindPlanOptions): Promise<Plan> {
  const fleet = await introspectTenants(context, options);
  const empty = emptySchemaModel();
  const plan = buildPlan({
    kind: 'reset',
    name: 'reset',
    createdAt: new Date(),
    schema: await schemaSource(context),
    databases: fleet.map((d) => ({
      name: d.target.config.name,
      desired: empty,
      tenants: d.schemas.filter((s) => d.models.has(s)).map((schema) => ({ schema, model: d.models.get(schema) })),
    })),
    lockTimeoutMs: options.lockTimeoutMs,
  });
  // Tenants that do not exist stay so: covered by the plan, unchanged.
  const absent = fleet.flatMap((d) => d.schemas.filter((s) => !d.models.has(s)).map((schema) => ({ database: d.target.config.name, schema, fingerprint: ABSENT })));
  return withSelection({ ...plan, unchanged: [...plan.unchanged, ...absent] }, options);
}

/** Recomputes what is derived from cohorts and unchanged tenants (tenant set, summary, integrity) after a kind changed them. */
export function reseal(plan: Plan): Plan {
  const { integrity: _old, ...content } = plan;
  const all = [...plan.cohorts.flatMap((c) => c.tenants), ...plan.unchanged];
  const hazards = new Set<HazardType>(plan.cohorts.flatMap((c) => c.steps.flatMap((s) => s.hazards.map((h) => h.type))));
  content.tenantSetHash = tenantSetHash(all);
  content.summary = {
    ...plan.summary,
    tenants: all.length,
    toChange: plan.cohorts.reduce((n, c) => n + c.tenants.length, 0),
    toCreate: plan.cohorts.filter((c) => c.createsSchema).reduce((n, c) => n + c.tenants.length, 0),
    unchanged: plan.unchanged.length,
    hazards: [...hazards].sort(),
  };
  return { ...content, integrity: planIntegrity(content) };
}
