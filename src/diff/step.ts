/** One statement of a plan, with what a reviewer must know about it. */

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

export interface Step {
  action: StepAction;
  /** What the step is about, for people: `table "User"`, `column "User"."email"`. */
  object: string;
  /** One statement, unqualified: it runs with search_path set to the tenant schema. */
  sql: string;
  /** False for statements PostgreSQL refuses inside a transaction block; they run after the schema's transaction commits. */
  transactional: boolean;
  hazards: Hazard[];
}
