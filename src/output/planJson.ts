/**
 * `tm show --format json`: the plan as other tools consume it, in a shape that
 * is documented (schemas/plan-json-output.schema.json and the README) and
 * versioned on its own, like `terraform show -json`. It is not the plan file:
 * the plan file is tm's input to `tm apply` and may change shape with tm;
 * this output keeps its shape within a major `format_version`.
 *
 * Versioning: `format_version` is "MAJOR.MINOR". New fields raise MINOR
 * (consumers must ignore fields they do not know); removing or changing the
 * meaning of a field raises MAJOR.
 *
 * Unlike the text and Markdown views, every tenant is listed: nothing is
 * truncated. Left out: the merged Prisma schema text and the after-state
 * models (both in the plan file).
 */
import type { ObjectRef } from '../catalog/objectRef.js';
import type { HazardType, StepAction } from '../diff/step.js';
import type { Plan, PlanKind } from '../plan/types.js';
import { isOutlier, outlierIds } from './outliers.js';

export const PLAN_JSON_FORMAT_VERSION = '1.2';

export interface PlanJsonTenant {
  database: string;
  schema: string;
}

/** `constraintKind` → `constraint_kind`. */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}` ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}` : S;

/** Each variant of a union with its keys in snake_case (values as they are). */
type SnakeCaseKeys<T> = T extends unknown ? { [K in keyof T as K extends string ? SnakeCase<K> : K]: T[K] } : never;

/** The object a step changes (the plan's ObjectRef, keys in snake_case); since 1.2. Names unqualified and unquoted. */
export type PlanJsonTarget = SnakeCaseKeys<ObjectRef>;

export interface PlanJsonStep {
  /** 1-based position in the cohort, as the text and Markdown views number steps. */
  index: number;
  action: StepAction;
  target: PlanJsonTarget;
  /** For people: `column "User"."email"`. */
  object: string;
  sql: string;
  transactional: boolean;
  hazards: { type: HazardType; message: string }[];
}

export interface PlanJsonCohort {
  id: string;
  before_fingerprint: string;
  after_fingerprint: string;
  creates_schema: boolean;
  tenant_count: number;
  outlier: boolean;
  /** Hazard types of its steps, sorted. */
  hazards: HazardType[];
  tenants: PlanJsonTenant[];
  steps: PlanJsonStep[];
  /** What tm apply copies to the backup schema before the steps (unless settings.skip_backup). */
  backups: PlanJsonBackup[];
}

export interface PlanJsonBackup {
  object: 'table' | 'column';
  table: string;
  column: string | null;
  key: string[];
  columns: string[];
  as_text: string[];
  data_loss: boolean;
}

export interface PlanJsonHistoryRef {
  plan_id: string;
  kind: string;
  name: string;
  applied_at: string;
}

/** One step's hazard, flattened: what a reviewer ticks off. */
export interface PlanJsonHazard {
  type: HazardType;
  message: string;
  cohort: string;
  step: number;
  object: string;
  tenant_count: number;
}

export interface PlanJson {
  format_version: typeof PLAN_JSON_FORMAT_VERSION;
  tm_version: string;
  plan: {
    id: string;
    kind: PlanKind;
    name: string;
    created_at: string;
    /** The plan file's own format version. */
    file_format_version: number;
    integrity: string;
    tenant_set_hash: string;
  };
  prisma_schema: { folder: string; files: string[]; hash: string };
  databases: string[];
  settings: { lock_timeout_ms: number; skip_backup: boolean };
  /** The --schema / --database selection the plan was made with, or null for the whole fleet. */
  scope: { schemas: string[]; databases: string[] } | null;
  /** Databases --skip-unreachable left out. */
  not_planned: { database: string; reason: string; tenants: string[] }[];
  /** Kind rollback only, else null. */
  rollback: {
    database: string;
    schema: string;
    target: PlanJsonHistoryRef;
    undoes: PlanJsonHistoryRef[];
    restores: { object: string; from_plan_id: string; backup_table: string; rows: number }[];
    notes: string[];
  } | null;
  summary: {
    tenants: number;
    to_change: number;
    to_create: number;
    unchanged: number;
    cohorts: number;
    steps: number;
    hazards: HazardType[];
    outliers: string[];
  };
  /** Statements run once per database before its tenants (extensions it lacks); since 1.1. */
  database_steps: { database: string; steps: Omit<PlanJsonStep, 'hazards'>[] }[];
  cohorts: PlanJsonCohort[];
  hazards: PlanJsonHazard[];
  unchanged: (PlanJsonTenant & { fingerprint: string })[];
}

/** The ObjectRef with its keys in snake_case, in their order (whatever the kind: `constraintKind` → `constraint_kind`). */
function targetToJson(target: ObjectRef): PlanJsonTarget {
  return Object.fromEntries(Object.entries(target).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value])) as PlanJsonTarget;
}

export function planToJson(plan: Plan): PlanJson {
  const cohorts: PlanJsonCohort[] = plan.cohorts.map((c) => ({
    id: c.id,
    before_fingerprint: c.beforeFingerprint,
    after_fingerprint: c.afterFingerprint,
    creates_schema: c.createsSchema,
    tenant_count: c.tenants.length,
    outlier: isOutlier(c, plan),
    hazards: [...new Set(c.steps.flatMap((s) => s.hazards.map((h) => h.type)))].sort(),
    tenants: c.tenants.map((t) => ({ database: t.database, schema: t.schema })),
    steps: c.steps.map((s, i) => ({
      index: i + 1,
      action: s.action,
      target: targetToJson(s.target),
      object: s.object,
      sql: s.sql,
      transactional: s.transactional,
      hazards: s.hazards.map((h) => ({ type: h.type, message: h.message })),
    })),
    backups: (c.backups ?? []).map((b) => ({
      object: b.object,
      table: b.table,
      column: b.column,
      key: [...b.key],
      columns: [...b.columns],
      as_text: [...b.asText],
      data_loss: b.dataLoss,
    })),
  }));
  const ref = (h: { planId: string; kind: string; name: string; appliedAt: string }): PlanJsonHistoryRef => ({ plan_id: h.planId, kind: h.kind, name: h.name, applied_at: h.appliedAt });
  const r = plan.rollback;
  return {
    format_version: PLAN_JSON_FORMAT_VERSION,
    tm_version: plan.tmVersion,
    plan: {
      id: plan.id,
      kind: plan.kind,
      name: plan.name,
      created_at: plan.createdAt,
      file_format_version: plan.formatVersion,
      integrity: plan.integrity,
      tenant_set_hash: plan.tenantSetHash,
    },
    prisma_schema: { folder: plan.schema.folder, files: [...plan.schema.files], hash: plan.schema.hash },
    databases: [...plan.databases],
    settings: { lock_timeout_ms: plan.settings.lockTimeoutMs, skip_backup: plan.settings.skipBackup ?? false },
    scope: plan.scope ? { schemas: [...plan.scope.schemas], databases: [...plan.scope.databases] } : null,
    not_planned: (plan.notPlanned ?? []).map((n) => ({ database: n.database, reason: n.reason, tenants: [...n.tenants] })),
    rollback: r
      ? {
          database: r.database,
          schema: r.schema,
          target: ref(r.target),
          undoes: r.undoes.map(ref),
          restores: r.restores.map((x) => ({ object: x.object, from_plan_id: x.fromPlanId, backup_table: x.backupTable, rows: x.rows })),
          notes: [...r.notes],
        }
      : null,
    summary: {
      tenants: plan.summary.tenants,
      to_change: plan.summary.toChange,
      to_create: plan.summary.toCreate,
      unchanged: plan.summary.unchanged,
      cohorts: plan.cohorts.length,
      steps: plan.cohorts.reduce((n, c) => n + c.steps.length, 0),
      hazards: [...plan.summary.hazards],
      outliers: outlierIds(plan),
    },
    database_steps: (plan.databaseSteps ?? []).map((d) => ({
      database: d.database,
      steps: d.steps.map((s, i) => ({ index: i + 1, action: s.action, target: targetToJson(s.target), object: s.object, sql: s.sql, transactional: s.transactional })),
    })),
    cohorts,
    hazards: cohorts.flatMap((c) =>
      c.steps.flatMap((s) => s.hazards.map((h) => ({ type: h.type, message: h.message, cohort: c.id, step: s.index, object: s.object, tenant_count: c.tenant_count }))),
    ),
    unchanged: plan.unchanged.map((t) => ({ database: t.database, schema: t.schema, fingerprint: t.fingerprint })),
  };
}

export function renderPlanJson(plan: Plan): string {
  return JSON.stringify(planToJson(plan), null, 2) + '\n';
}
