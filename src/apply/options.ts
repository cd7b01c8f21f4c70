/** How `tm apply` runs a plan: the applier's options, as the CLI sets them. */
import type { HazardAcceptance } from '../plan/policy.js';
import type { Emit } from './events.js';

/** A group of tenants applied together; waves run one after the other. */
export interface Wave {
  name: string;
  includes(database: string, schema: string): boolean;
}

export interface ApplyOptions {
  /** Tenants applied at once, over all databases. */
  parallelism: number;
  /** Connections per database at most (its connection budget); default: parallelism. */
  perDatabase?: number;
  lockWaitMs: number;
  /** How many times a tenant is retried after a lock timeout. */
  lockRetries: number;
  /** Backups before destructive steps copy at most this many bytes per database (default 10 GiB). */
  maxBackupBytes?: number;
  /** Once more tenants than this have failed, no new tenant starts (running ones finish). */
  maxFailures?: number;
  /** In order; a tenant goes in the first wave that includes it; default: one wave of everything. */
  waves?: Wave[];
  /** Hazards the policy let through and by what (src/plan/policy.ts): recorded with each tenant's history row. */
  acceptedHazards?: HazardAcceptance[];
  /** Apply the plan's tenants that tenants.yaml no longer names too (by default they are skipped, with a warning). */
  includeRemoved?: boolean;
  onEvent?: Emit;
}
