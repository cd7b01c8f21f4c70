/**
 * The plan file: the data model every view (text, Markdown, JSON) renders and
 * the only input `tm apply` runs. Its JSON Schema is schemas/plan.schema.json;
 * bump PLAN_FORMAT_VERSION on any incompatible change.
 */
import type { SchemaModel } from '../catalog/model.js';
import type { HazardType, Step } from '../diff/step.js';

export const PLAN_FORMAT_VERSION = 1;

export type PlanKind = 'migrate' | 'sync' | 'rollback' | 'reset';

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
  steps: Step[];
  tenants: PlanTenant[];
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
  };
  cohorts: Cohort[];
  /** The model each after-fingerprint stands for: what apply compares a schema with when it does not match. */
  afterModels: Record<string, SchemaModel>;
  unchanged: UnchangedTenant[];
  summary: PlanSummary;
  /** sha256 over everything above, canonical JSON: an edited plan no longer matches. */
  integrity: string;
}
