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
import { connect } from '../../db/connect.js';
import type { DatabaseTarget } from '../../db/target.js';
import { selectTargets } from '../../fleet/databases.js';
import { selectFleet } from '../../fleet/select.js';
import { TmError } from '../../errors.js';
import { buildPlan } from '../build.js';
import { planFleet, type FleetContext } from '../planner.js';
import type { Plan, PlanKind } from '../types.js';
import { planRollback } from './rollback.js';
import { schemaSource, withSelection } from './seal.js';

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

/** `migrate` and `sync`: every selected tenant (those not created yet included) to what the Prisma folder describes. */
export async function planFromPrisma(context: FleetContext, kind: 'migrate' | 'sync', name: string, options: KindPlanOptions & { skipUnreachable?: boolean; concurrentIndexes?: boolean }): Promise<Plan> {
  const plan = await planFleet(context, { kind, name, ...options });
  return withSelection(plan, options);
}

/** The name a sync records: the latest migration applied to the selected tenants (any tenant when none of them has one), else `sync`. */
export async function syncName(context: FleetContext, options: Pick<KindPlanOptions, 'schemas' | 'databases'>): Promise<string> {
  const targets = selectTargets(context, options.databases);
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
  const selected = await selectFleet(context, options, { purpose: 'plan', doing: 'planning' });
  try {
    return await Promise.all(selected.map(async (d) => ({ target: d.target, schemas: d.schemas, models: await introspectSnapshot(d.client, d.schemas) })));
  } finally {
    await Promise.all(selected.map((d) => d.client.end().catch(() => {})));
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

/** What `tm plan --kind <kind>` is asked for. */
export interface PlanRequest extends KindPlanOptions {
  /** --name: the plan's name (a default per kind when not given); with rollback, the migration to roll back. */
  name?: string;
  skipUnreachable: boolean;
  concurrentIndexes: boolean;
  /** Rollback only: put no data back. */
  schemaOnly: boolean;
}

/** How a plan of each kind is made (every kind of plan/types.ts PLAN_KINDS has one): `tm plan --kind` dispatches here. */
export const KIND_PLANNERS: Record<PlanKind, (context: FleetContext, request: PlanRequest) => Promise<Plan>> = {
  migrate: (context, request) => planFromPrisma(context, 'migrate', request.name ?? 'changes', prismaOptions(request)),
  sync: async (context, request) => planFromPrisma(context, 'sync', request.name ?? (await syncName(context, request)), prismaOptions(request)),
  rollback: (context, request) => {
    if (request.name === undefined || request.schemas.length !== 1) {
      throw new TmError(
        '--kind rollback takes the migration as --name and exactly one --schema.',
        '`tm status` shows the last migration of each schema; for example: tm plan --kind rollback --name add_orders --schema tenant_acme.',
      );
    }
    return planRollback(context, { ...request, name: request.name, schema: request.schemas[0] });
  },
  reset: (context, request) => planReset(context, request),
};

function prismaOptions(request: PlanRequest): Parameters<typeof planFromPrisma>[3] {
  const { schemas, databases, lockTimeoutMs, skipBackup, skipUnreachable, concurrentIndexes } = request;
  return { schemas, databases, lockTimeoutMs, skipBackup, skipUnreachable, concurrentIndexes };
}
