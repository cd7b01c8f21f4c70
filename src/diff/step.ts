/** One statement of a plan, with what a reviewer must know about it. */
import { objectLabel, type ObjectRef } from '../catalog/objectRef.js';

export { HAZARD_TYPES, type Hazard, type HazardType } from '../hazards.js';
import type { Hazard } from '../hazards.js';

export type StepAction = 'create' | 'alter' | 'drop';

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
}

/** A step on `target`, labelled for people from it. */
export function makeStep(action: StepAction, target: ObjectRef, sql: string, hazards: Hazard[] = [], transactional = true): Step {
  return { action, target, object: objectLabel(target), sql, transactional, hazards };
}
