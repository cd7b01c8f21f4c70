/**
 * The planner's I/O: for each database at once, find its tenants, introspect
 * them all in one snapshot, and work out what Prisma would create there; then
 * hand the models to buildPlan.
 */
import type { SchemaModel } from '../catalog/model.js';
import { discoverSchemas, introspectSnapshot } from '../catalog/introspect.js';
import { CatalogLockedError } from '../catalog/locks.js';
import type { Environment } from '../config/env.js';
import { notTenantSchemas, type DatabaseConfig, type TenantsConfig } from '../config/tenants.js';
import { connect, connectionLostError, databaseTarget, isConnectionLost, type DatabaseTarget } from '../db/connect.js';
import type { Queryable } from '../db/queryable.js';
import { desiredState } from '../desired/index.js';
import type { Step } from '../diff/step.js';
import { TmError } from '../errors.js';
import type { LoadedSchema } from '../schema/load.js';
import { buildPlan, type DatabaseState } from './build.js';
import { hasCitus, refuseWhatCitusRejects } from './citus.js';
import type { Plan, PlanKind } from './types.js';

export interface PlanOptions {
  /** Leave out a database that cannot be reached (listed in the plan as not planned) instead of failing. */
  skipUnreachable?: boolean;
  /** Build indexes on existing tables concurrently, after each tenant's transaction. */
  concurrentIndexes?: boolean;
  kind: PlanKind;
  name: string;
  /** Only these tenant schemas (all when empty). */
  schemas: string[];
  /** Only these databases by tenants.yaml name (all when empty). */
  databases: string[];
  lockTimeoutMs: number;
}

export interface FleetContext {
  config: TenantsConfig;
  env: Environment;
  /** May still be loading: catalogs are read meanwhile (see openProject). */
  schema: LoadedSchema | Promise<LoadedSchema>;
}

export function selectDatabases(config: TenantsConfig, names: string[]): DatabaseConfig[] {
  for (const name of names) {
    if (!config.databases.some((d) => d.name === name)) {
      throw new TmError(`There is no database "${name}" in tenants.yaml.`, `Databases: ${config.databases.map((d) => d.name).join(', ')}.`);
    }
  }
  return config.databases.filter((d) => names.length === 0 || names.includes(d.name));
}

/**
 * Listed tenants plus those discovery patterns find. Discovery leaves out what
 * is never a tenant (tm's own schemas, the extension schema, PostgreSQL's own
 * schemas, the desired-state scratch schemas); tenants.yaml refuses them listed.
 */
export async function tenantSchemas(db: Queryable, database: DatabaseConfig, metadataSchema: string): Promise<string[]> {
  const listed = database.tenants.map((t) => t.schema);
  const found = await discoverSchemas(db, database.discover, [...listed, ...notTenantSchemas(metadataSchema, database)]);
  return [...listed, ...found.filter((s) => !s.startsWith('tm_desired_'))];
}

/** Keeps the wanted schemas; a wanted schema that no database has is an error. */
export function filterSchemas(perDatabase: { database: string; schemas: string[] }[], wanted: string[]): void {
  if (wanted.length === 0) return;
  const known = new Set(perDatabase.flatMap((d) => d.schemas));
  const unknown = wanted.filter((s) => !known.has(s));
  if (unknown.length) {
    throw new TmError(
      `Not a tenant in tenants.yaml (listed or discovered): ${unknown.join(', ')}.`,
      'Add it to tenants.yaml (tenants: or discover:) first.',
    );
  }
  for (const d of perDatabase) d.schemas = d.schemas.filter((s) => wanted.includes(s));
}

export interface IntrospectedDatabase {
  target: DatabaseTarget;
  schemas: string[];
  models: Map<string, SchemaModel>;
  desired: SchemaModel;
  /** What the database needs once, before its tenants (extensions it lacks). */
  databaseSteps: Step[];
}

/** One connection per database, all databases at once: tenants, their models, and the desired model. */
export async function introspectFleet(
  context: FleetContext,
  options: Pick<PlanOptions, 'schemas' | 'databases' | 'skipUnreachable'> & { lockTimeoutMs?: number },
  /** Receives the databases, and the tenants locked by another session, left out by skipUnreachable. */
  unreachable?: NonNullable<Plan['notPlanned']>,
): Promise<IntrospectedDatabase[]> {
  const targets = selectDatabases(context.config, options.databases).map((d) => databaseTarget(d, context.env));
  const opened = await Promise.allSettled(
    targets.map(async (target) => {
      const client = await connect(target, 'plan');
      try {
        await checkScratchPrivilege(client, target.config.name);
        const schemas = await tenantSchemas(client, target.config, context.config.metadataSchema);
        return { target, client, schemas };
      } catch (error) {
        await client.end().catch(() => {});
        throw isConnectionLost(error) ? connectionLostError(target.config.name, error, 'planning') : error;
      }
    }),
  );
  const results = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failures = opened.flatMap((o, i) => (o.status === 'rejected' ? [{ target: targets[i], error: o.reason as Error }] : []));
  if (failures.length && !options.skipUnreachable) {
    await Promise.all(results.map((r) => r.client.end()));
    throw failures[0].error;
  }
  unreachable?.push(
    ...failures.map(({ target, error }) => ({
      database: target.config.name,
      reason: error.message,
      tenants: target.config.tenants.map((t) => t.schema),
    })),
  );
  try {
    const selection = results.map((r) => ({ database: r.target.config.name, schemas: r.schemas }));
    filterSchemas(selection, options.schemas);
    return await Promise.all(
      results.map(async (r, i) => {
        let schemas = selection[i].schemas;
        try {
          // The desired state is worked out on a connection of its own, while the tenants are read.
          const [models, desired] = await Promise.all([
            readTenantsSkippingLocked(r.target, r.client, schemas, options, unreachable).then((read) => {
              schemas = read.schemas;
              return read.models;
            }),
            Promise.resolve(context.schema).then((schema) => desiredState(schema.files, r.target.url, undefined, r.target.config.extensionSchema)),
          ]);
          if (await hasCitus(r.client)) refuseWhatCitusRejects(r.target.config.name, desired.model);
          return { target: r.target, schemas, models, desired: desired.model, databaseSteps: desired.databaseSteps };
        } catch (error) {
          throw isConnectionLost(error) ? connectionLostError(r.target.config.name, error, 'planning') : error;
        }
      }),
    );
  } finally {
    await Promise.all(results.map((r) => r.client.end().catch(() => {})));
  }
}

/**
 * The desired state is worked out in a scratch schema that is rolled back
 * (src/desired): that needs CREATE on the database, even though nothing is kept.
 */
async function checkScratchPrivilege(client: Queryable, database: string): Promise<void> {
  const { rows } = await client.query(`select current_user as role, current_database() as db, has_database_privilege(current_database(), 'CREATE') as can_create`);
  if (rows[0].can_create) return;
  throw new TmError(
    `Cannot plan database "${database}": role "${rows[0].role}" lacks CREATE on database "${rows[0].db}", which tm plan needs to work out what Prisma would create, in a scratch schema it rolls back (nothing is kept).`,
    `GRANT CREATE ON DATABASE "${rows[0].db}" TO "${rows[0].role}", or plan as a role that has it.`,
  );
}

/**
 * readTenants, where a tenant whose catalog another session's lock keeps tm
 * from reading (src/catalog/locks.ts) is an error naming the session, or with
 * skipUnreachable is left out, listed as not planned, and the rest read again.
 */
async function readTenantsSkippingLocked(
  target: DatabaseTarget,
  client: Queryable,
  schemas: string[],
  options: { skipUnreachable?: boolean; lockTimeoutMs?: number },
  unreachable?: NonNullable<Plan['notPlanned']>,
): Promise<{ schemas: string[]; models: Map<string, SchemaModel> }> {
  for (;;) {
    try {
      return { schemas, models: await readTenants(target, client, schemas, options.lockTimeoutMs) };
    } catch (error) {
      if (!(error instanceof CatalogLockedError)) throw error;
      const database = target.config.name;
      if (!options.skipUnreachable || !unreachable || error.tenants.length === 0) {
        throw new TmError(`Database "${database}": ${error.message}`, error.hint);
      }
      unreachable.push({ database, reason: error.reason, tenants: error.tenants });
      schemas = schemas.filter((s) => !error.tenants.includes(s));
    }
  }
}

/** The tenants' models, read on two connections sharing one snapshot when there are enough tenants to gain from it. */
async function readTenants(target: DatabaseTarget, client: Queryable, schemas: string[], lockTimeoutMs?: number): Promise<Map<string, SchemaModel>> {
  // The embedded database is one session: a second connection could not share the snapshot.
  if (schemas.length < 50 || target.embedded) return introspectSnapshot(client, schemas, undefined, lockTimeoutMs);
  const second = await connect(target, 'plan');
  try {
    return await introspectSnapshot(client, schemas, second, lockTimeoutMs);
  } finally {
    await second.end();
  }
}

export async function planFleet(context: FleetContext, options: PlanOptions): Promise<Plan> {
  const notPlanned: NonNullable<Plan['notPlanned']> = [];
  const introspected = await introspectFleet(context, options, notPlanned);
  const schema = await context.schema;
  const databases: DatabaseState[] = introspected.map((d) => ({
    name: d.target.config.name,
    desired: d.desired,
    steps: d.databaseSteps,
    prisma: true,
    tenants: d.schemas.map((schema) => ({ schema, model: d.models.get(schema) })),
  }));
  return buildPlan({
    kind: options.kind,
    name: options.name,
    createdAt: new Date(),
    schema: {
      folder: schema.folder,
      files: schema.files.map((f) => f.path),
      hash: schema.hash,
      text: schema.mergedText,
    },
    databases,
    lockTimeoutMs: options.lockTimeoutMs,
    concurrentIndexes: options.concurrentIndexes,
    notPlanned,
  });
}
