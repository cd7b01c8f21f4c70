/**
 * What the applier tells its caller: an event as each tenant (or database, or
 * wave) starts and ends, and the counts at the end. output/applyText.ts and
 * output/applyReporter.ts render them.
 */

export type TenantOutcome = 'applied' | 'already-applied' | 'stale' | 'failed';

export interface ApplyEvent {
  type: 'started' | TenantOutcome | 'not-covered' | 'removed' | 'database-failed' | 'database-step' | 'wave-started' | 'stopped';
  database?: string;
  schema?: string;
  cohort?: string;
  wave?: string;
  message?: string;
  durationMs?: number;
}

/** Where the applier's events go. */
export type Emit = (event: ApplyEvent) => void;

export interface ApplyResult {
  applied: number;
  alreadyApplied: number;
  stale: number;
  failed: number;
  /** Tenants of the plan that were not started: failure budget spent, a database lost, or outside the selected waves. */
  notAttempted: number;
  /** Tenants that tenants.yaml names now but the plan does not cover. */
  notCovered: string[];
  /** Tenants of the plan that tenants.yaml no longer names (listed or matched by discover): skipped unless includeRemoved. */
  removed: string[];
  /** Databases whose run stopped on an error (connection lost…); their remaining tenants were not attempted. */
  databaseErrors: number;
  /** True when every tenant attempted ended at its after-state and nothing stopped the run. */
  ok: boolean;
}
