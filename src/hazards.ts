/**
 * The hazards a plan step can carry: the words shared by the diff (which
 * finds them), the plan policy and tenants.yaml's `policy.allowHazards`.
 */

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
