/** One statement of a plan, with what a reviewer must know about it. */
import { objectLabel, type ObjectRef } from '../catalog/objectRef.js';

export const HAZARD_TYPES = [
  'DATA_LOSS',
  'TABLE_REWRITE',
  'ACCESS_EXCLUSIVE_LOCK',
  'INDEX_BUILD',
  'MAY_FAIL_ON_DATA',
  'NON_TRANSACTIONAL',
] as const;

export type HazardType = (typeof HAZARD_TYPES)[number];

export interface Hazard {
  type: HazardType;
  /** Why, in words: "drops column \"User\".\"name\" and its data". */
  message: string;
}

export type StepAction = 'create' | 'alter' | 'drop';

/** A conversion of a column's type (ALTER COLUMN … TYPE … USING …), as data: what rollback needs to convert back from staged values. */
export interface ColumnConversion {
  /** The type converted to, as the catalog model prints it. */
  type: string;
  collation: string | null;
  /** The expression each row's new value is computed by. */
  using: string;
}

export interface Step {
  action: StepAction;
  /** The object the step changes: what every reader of a plan uses (never the label or the SQL). */
  target: ObjectRef;
  /** What the step is about, for people only: `table "User"`, `column "User"."email"` (objectLabel of the target). */
  object: string;
  /** One statement, unqualified: it runs with search_path set to the tenant schema. */
  sql: string;
  /** False for statements PostgreSQL refuses inside a transaction block; they run after the schema's transaction commits. */
  transactional: boolean;
  hazards: Hazard[];
  /** Set on a step that converts its column's type (target a column): the conversion, so readers need not parse the SQL. */
  conversion?: ColumnConversion;
}

/** A step on `target`, labelled for people from it. */
export function makeStep(action: StepAction, target: ObjectRef, sql: string, hazards: Hazard[] = [], transactional = true): Step {
  return { action, target, object: objectLabel(target), sql, transactional, hazards };
}
