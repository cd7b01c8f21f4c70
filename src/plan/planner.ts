/**
 * The planner's I/O: for each database at once, find its tenants, introspect
 * them all in one snapshot, and work out what Prisma would create there; then
 * hand the models to buildPlan.
 */
import type { SchemaModel } from '../catalog/model.js';
import { introspectSnapshot } from '../catalog/introspect.js';
import { CatalogLockedError } from '../catalog/locks.js';
import { connect, connectionLostError, isConnectionLost } from '../db/connect.js';
import type { Queryable } from '../db/queryable.js';
import type { DatabaseTarget } from '../db/target.js';
import { desiredState } from '../desired/index.js';
import type { Step } from '../diff/step.js';
import { TmError } from '../errors.js';
import type { Fleet } from '../fleet/databases.js';
import { selectFleet, type FleetSelection } from '../fleet/select.js';
import type { LoadedSchema } from '../schema/load.js';
import { buildPlan, type DatabaseState } from './build.js';
import { hasCitus, refuseWhatCitusRejects } from './citus.js';
import type { Plan, PlanKind } from './types.js';

/** skipUnreachable: a database that cannot be reached is listed in the plan as not planned. */
export interface PlanOptions extends FleetSelection {
  /** Build indexes on existing tables concurrently, after each tenant's transaction. */
  concurrentIndexes?: boolean;
  kind: PlanKind;
  name: string;
  lockTimeoutMs: number;
}

export interface FleetContext extends Fleet {
  /** May still be loading: catalogs are read meanwhile (see openProject). */
  schema: LoadedSchema | Promise<LoadedSchema>;
}

export interface IntrospectedDatabase {
  target: DatabaseTarget;
  schemas: string[];
  models: Map<string, SchemaModel>;
  desired: SchemaModel;
  /** What the database needs once, before its tenants (extensions it lacks). */
  databaseSteps: Step[];
  /** The desired state declares comments (tenants.yaml's documentationComments); else tenants keep theirs. */
  ownsComments: boolean;
}

/** One connection per database, all databases at once: tenants, their models, and the desired model. */
export async function introspectFleet(
  context: FleetContext,
  options: FleetSelection & { lockTimeoutMs?: number },
  /** Receives the databases, and the tenants locked by another session, left out by skipUnreachable. */
  unreachable?: NonNullable<Plan['notPlanned']>,
): Promise<IntrospectedDatabase[]> {
  const selected = await selectFleet(context, options, {
    purpose: 'plan',
    doing: 'planning',
    check: (client, target) => checkScratchPrivilege(client, target.config.name),
    unreachable,
  });
  try {
    return await Promise.all(
      selected.map(async (r) => {
        let schemas = r.schemas;
        try {
          // The desired state is worked out on a connection of its own, while the tenants are read.
          const [models, desired] = await Promise.all([
            readTenantsSkippingLocked(r.target, r.client, schemas, options, unreachable).then((read) => {
              schemas = read.schemas;
              return read.models;
            }),
            Promise.resolve(context.schema).then((schema) => desiredState(schema.files, r.target.url, undefined, r.target.config.extensionSchema, context.config.documentationComments)),
          ]);
          if (await hasCitus(r.client)) refuseWhatCitusRejects(r.target.config.name, desired.model);
          return { target: r.target, schemas, models, desired: desired.model, databaseSteps: desired.databaseSteps, ownsComments: desired.ownsComments };
        } catch (error) {
          throw isConnectionLost(error) ? connectionLostError(r.target.config.name, error, 'planning') : error;
        }
      }),
    );
  } finally {
    await Promise.all(selected.map((r) => r.client.end().catch(() => {})));
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
  if (schemas.length < 50 || !target.capabilities.sharedSnapshotReads) return introspectSnapshot(client, schemas, undefined, lockTimeoutMs);
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
    ownsComments: d.ownsComments,
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
