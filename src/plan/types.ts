/**
 * The plan file: the data model every view (text, Markdown, JSON) renders and
 * the only input `tm apply` runs. Its JSON Schema is schemas/plan.schema.json;
 * bump PLAN_FORMAT_VERSION on any incompatible change.
 */
import type { SchemaModel } from '../catalog/model.js';
import type { HazardType, Step } from '../diff/step.js';
import type { BackupTarget } from '../meta/backups.js';

/** What a cohort copies before its destructive steps: the metadata store's type (src/meta/backups.ts), written into plans as is. */
export type { BackupTarget };

export const PLAN_FORMAT_VERSION = 2;

/** The kinds of plan (each made by its planner in kinds/index.ts KIND_PLANNERS). */
export const PLAN_KINDS = ['migrate', 'sync', 'rollback', 'reset'] as const;

export type PlanKind = (typeof PLAN_KINDS)[number];

/** A tenant schema on one of tenants.yaml's databases (by name, never by URL). */
export interface PlanTenant {
  database: string;
  schema: string;
}

/** Tenants that were in the same state and so get the same steps. */
export interface Cohort {
  id: string;
  /** Fingerprint every tenant had when planned (`absent`: the schema does not exist yet). */
  beforeFingerprint: string;
  /** Fingerprint every tenant must have after the steps. */
  afterFingerprint: string;
  /** The applier runs `CREATE SCHEMA "<tenant>"` before the steps. */
  createsSchema: boolean;
  /**
   * With non-transactional steps: the fingerprint after the tenant's
   * transaction and before those steps (a crash in between resumes from here).
   */
  midFingerprint?: string;
  steps: Step[];
  tenants: PlanTenant[];
  /**
   * What the steps would lose (DATA_LOSS, TABLE_REWRITE), copied to the backup
   * schema in each tenant's transaction before its steps run, unless the plan
   * says `settings.skipBackup`. Absent when nothing is at risk.
   */
  backups?: BackupTarget[];
}

/** A history row a plan refers to. */
export interface HistoryRef {
  planId: string;
  kind: string;
  name: string;
  appliedAt: string;
}

/** `tm rollback`: the one schema, the migration it returns to the state before, and the data it puts back. */
export interface RollbackInfo {
  database: string;
  schema: string;
  /** The history row whose before-model is the target. */
  target: HistoryRef;
  /** Every applied plan the rollback undoes, oldest first (the target included). */
  undoes: HistoryRef[];
  /** Data put back from backups, by the steps whose object starts with `data of`. */
  restores: { object: string; fromPlanId: string; backupTable: string; rows: number }[];
  /** What a reviewer should know: objects that come back empty, data not restored (--schema-only). */
  notes: string[];
}

/** One database's statements of Plan.databaseSteps. */
export interface DatabaseSteps {
  database: string;
  steps: Step[];
}

export interface UnchangedTenant extends PlanTenant {
  fingerprint: string;
}

export interface PlanSummary {
  tenants: number;
  toChange: number;
  toCreate: number;
  unchanged: number;
  /** Hazard types present in any step, sorted. */
  hazards: HazardType[];
}

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  tmVersion: string;
  id: string;
  kind: PlanKind;
  name: string;
  createdAt: string;
  schema: {
    folder: string;
    files: string[];
    /** sha256 of the merged text, as `sha256:<hex>`. */
    hash: string;
    text: string;
  };
  /** sha256 over the sorted `database/schema` names the plan covers. */
  tenantSetHash: string;
  databases: string[];
  settings: {
    /** lock_timeout for each statement. */
    lockTimeoutMs: number;
    /** Made with --skip-backup: the cohorts' backups are not taken. */
    skipBackup?: boolean;
    /** Made with --concurrent-indexes. */
    concurrentIndexes?: boolean;
  };
  /** The selection the plan was made with (--schema, --database); tenants outside it are not reported as uncovered. */
  scope?: { schemas: string[]; databases: string[] };
  /** Kind rollback only. */
  rollback?: RollbackInfo;
  /** Databases left out by --skip-unreachable: why, and the tenants tenants.yaml lists there (discovery could not run). */
  notPlanned?: { database: string; reason: string; tenants: string[] }[];
  /**
   * Statements run once per database, under the migration lock, before any of
   * its tenants: the extensions the datasource lists that it lacks
   * (src/desired/extensions.ts). Each can run again (IF NOT EXISTS). Absent
   * when there are none.
   */
  databaseSteps?: DatabaseSteps[];
  cohorts: Cohort[];
  /** The model each after-fingerprint stands for: what apply compares a schema with when it does not match. */
  afterModels: Record<string, SchemaModel>;
  unchanged: UnchangedTenant[];
  summary: PlanSummary;
  /** sha256 over everything above, canonical JSON: an edited plan no longer matches. */
  integrity: string;
  /** With TM_PLAN_KEY set: `hmac-sha256:<hex>` of the integrity hash under that key (src/plan/signature.ts). Outside the integrity hash. */
  signature?: string;
}
