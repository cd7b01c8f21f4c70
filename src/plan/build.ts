/**
 * Building a plan from models: pure, no I/O. Tenants with the same
 * before-state get one cohort and one diff, however many they are.
 */
import { ABSENT, canonicalJson, fingerprint, sha256 } from '../catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel } from '../catalog/model.js';
import { diffSchemas, indexesToBuild } from '../diff/diff.js';
import { tenantTarget } from '../diff/equivalence.js';
import type { HazardType, Step } from '../diff/step.js';
import { TM_VERSION } from '../version.js';
import { backupTargets } from './kinds/backupTargets.js';
import { PLAN_FORMAT_VERSION, type Cohort, type Plan, type PlanKind, type PlanTenant, type UnchangedTenant } from './types.js';

export interface DatabaseState {
  name: string;
  /** What the tenants should be (with `prisma`, less what Prisma does not count as drift). */
  desired: SchemaModel;
  /** Statements the database needs once, before its tenants (extensions it lacks); none when absent. */
  steps?: Step[];
  /**
   * The desired model is Prisma's: a tenant keeps what differs from it only in
   * ways Prisma's engine sees no drift in (src/diff/equivalence.ts). Rollback
   * and reset, whose goal is a model tm read, leave it out: they are exact.
   */
  prisma?: boolean;
  /** With `prisma`: the desired model declares the comments (else each tenant keeps its own). */
  ownsComments?: boolean;
  /** Every tenant to plan, with its current model (undefined: the schema does not exist). */
  tenants: { schema: string; model: SchemaModel | undefined }[];
}

export interface PlanInput {
  kind: PlanKind;
  name: string;
  createdAt: Date;
  schema: Plan['schema'];
  databases: DatabaseState[];
  lockTimeoutMs: number;
  /** Databases left out by --skip-unreachable. */
  notPlanned?: Plan['notPlanned'];
  /** --concurrent-indexes: indexes on existing tables are built after the tenant's transaction, concurrently. */
  concurrentIndexes?: boolean;
  /** --skip-backup: recorded in the plan; the applier then takes no backups. */
  skipBackup?: boolean;
  /** The --schema / --database selection the tenants were chosen by. */
  scope?: Plan['scope'];
}

/** `20261125T131853.123Z_add_x`: a UTC timestamp to the millisecond, so two plans made in the same second differ. */
export function planId(createdAt: Date, name: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '');
  return `${stamp}_${name}`;
}

export function tenantSetHash(tenants: PlanTenant[]): string {
  return sha256(tenants.map((t) => `${t.database}/${t.schema}`).sort().join('\n'));
}

export function planIntegrity(plan: Omit<Plan, 'integrity'> & { integrity?: string }): string {
  // The signature (signature.ts) signs the integrity hash, so it is not part of it.
  const { integrity: _ignored, signature: _signature, ...content } = plan;
  return sha256(canonicalJson(content));
}

export function buildPlan(input: PlanInput): Plan {
  const cohorts = new Map<string, Cohort>();
  const afterModels: Record<string, SchemaModel> = {};
  const unchanged: UnchangedTenant[] = [];
  const all: PlanTenant[] = [];

  for (const database of input.databases) {
    const desiredFingerprint = fingerprint(database.desired);
    for (const tenant of database.tenants) {
      const entry = { database: database.name, schema: tenant.schema };
      all.push(entry);
      const before = tenant.model ? fingerprint(tenant.model) : ABSENT;
      // The common case (a tenant exactly as desired) costs one comparison; only the others get their own target.
      const target = before === desiredFingerprint || !tenant.model || !database.prisma ? database.desired : tenantTarget(tenant.model, database.desired, { ownsComments: database.ownsComments === true });
      const after = fingerprint(target);
      if (before === after) {
        unchanged.push({ ...entry, fingerprint: before });
        continue;
      }
      afterModels[after] = target;
      const key = `${before}→${after}`;
      let cohort = cohorts.get(key);
      if (!cohort) {
        cohort = {
          id: '',
          beforeFingerprint: before,
          afterFingerprint: after,
          createsSchema: tenant.model === undefined,
          steps: diffSchemas(tenant.model ?? emptySchemaModel(), target, { concurrentIndexes: input.concurrentIndexes }),
          tenants: [],
        };
        if (cohort.steps.some((s) => !s.transactional)) {
          // The state between the tenant's transaction and its concurrent index builds.
          const mid = withoutIndexes(target, indexesToBuild(tenant.model ?? emptySchemaModel(), target));
          cohort.midFingerprint = fingerprint(mid);
          afterModels[cohort.midFingerprint] = mid;
        }
        const backups = tenant.model ? backupTargets(tenant.model, cohort.steps) : [];
        if (backups.length) cohort.backups = backups;
        cohorts.set(key, cohort);
      }
      cohort.tenants.push(entry);
    }
  }

  const databaseSteps = input.databases.filter((d) => d.steps?.length).map((d) => ({ database: d.name, steps: d.steps! }));
  // Largest cohort first: the common case leads, drifted outliers follow.
  const ordered = [...cohorts.values()].sort((a, b) => b.tenants.length - a.tenants.length || a.beforeFingerprint.localeCompare(b.beforeFingerprint));
  ordered.forEach((c, i) => (c.id = `c${i + 1}`));
  const hazards = new Set<HazardType>(ordered.flatMap((c) => c.steps.flatMap((s) => s.hazards.map((h) => h.type))));
  const toCreate = ordered.filter((c) => c.createsSchema).reduce((n, c) => n + c.tenants.length, 0);
  const toChange = ordered.reduce((n, c) => n + c.tenants.length, 0);

  const content: Omit<Plan, 'integrity'> = {
    formatVersion: PLAN_FORMAT_VERSION,
    tmVersion: TM_VERSION,
    id: planId(input.createdAt, input.name),
    kind: input.kind,
    name: input.name,
    createdAt: input.createdAt.toISOString(),
    schema: input.schema,
    tenantSetHash: tenantSetHash(all),
    databases: input.databases.map((d) => d.name),
    settings: {
      lockTimeoutMs: input.lockTimeoutMs,
      skipBackup: input.skipBackup ?? false,
      ...(input.concurrentIndexes ? { concurrentIndexes: true } : {}),
    },
    ...(input.scope && (input.scope.schemas.length || input.scope.databases.length) ? { scope: input.scope } : {}),
    ...(input.notPlanned?.length ? { notPlanned: input.notPlanned } : {}),
    ...(databaseSteps.length ? { databaseSteps } : {}),
    cohorts: ordered,
    afterModels,
    unchanged,
    summary: { tenants: all.length, toChange, toCreate, unchanged: unchanged.length, hazards: [...hazards].sort() },
  };
  return { ...content, integrity: planIntegrity(content) };
}

/** A copy of the model without the given indexes. */
function withoutIndexes(model: SchemaModel, indexes: { table: string; name: string }[]): SchemaModel {
  const copy: SchemaModel = structuredClone(model);
  for (const { table, name } of indexes) delete copy.tables[table].indexes[name];
  return copy;
}

export function planHasChanges(plan: Plan): boolean {
  return plan.cohorts.length > 0 || (plan.databaseSteps?.length ?? 0) > 0;
}
