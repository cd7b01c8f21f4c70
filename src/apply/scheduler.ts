/**
 * Who runs when: waves one after the other (waves.ts), and within a wave each
 * database's tenants over its own connections (at most perDatabase), every
 * tenant holding one of the run's global slots (--parallelism) while it
 * runs. A database that fails (connection or migration lock lost) stops
 * there; the failure budget (--max-failures) stops new tenants everywhere.
 */
import type pg from 'pg';
import { connect, isConnectionLost } from '../db/connect.js';
import type { DatabaseTarget } from '../db/target.js';
import { MetadataStore } from '../meta/store.js';
import type { Plan } from '../plan/types.js';
import type { ApplyResult, Emit, TenantOutcome } from './events.js';
import type { ApplyOptions } from './options.js';
import { applyTenant, type Job } from './tenant.js';

/**
 * Runs the jobs wave by wave; each database's share of a wave on its
 * connections. Counts every outcome in `result`, and what was not attempted.
 */
export async function runWaves(
  plan: Plan,
  metadataSchema: string,
  targets: DatabaseTarget[],
  allJobs: Job[],
  options: ApplyOptions,
  emit: Emit,
  result: ApplyResult,
  /** Set once a database's migration lock is gone (its connection closed). */
  lockLost: (database: string) => Error | undefined,
): Promise<void> {
  const waves = options.waves ?? [{ name: 'all', includes: () => true }];
  const lostDatabases = new Set<string>();
  const slots = new Slots(options.parallelism);
  const budget = options.maxFailures ?? 0;
  let remaining = allJobs;
  for (const wave of waves) {
    const jobs = remaining.filter((j) => wave.includes(j.database, j.schema));
    remaining = remaining.filter((j) => !wave.includes(j.database, j.schema));
    if (jobs.length === 0) continue;
    if (result.failed > budget || lostDatabases.size > 0) {
      result.notAttempted += jobs.length;
      continue;
    }
    if (waves.length > 1) emit({ type: 'wave-started', wave: wave.name, message: `wave ${wave.name}: ${jobs.length} schema(s)` });
    const runs = await Promise.allSettled(
      targets.map((target) =>
        runJobs(plan, metadataSchema, target, jobs.filter((j) => j.database === target.config.name), slots, options, emit, result, () => lockLost(target.config.name)),
      ),
    );
    runs.forEach((run, i) => {
      if (run.status === 'rejected') {
        const database = targets[i].config.name;
        lostDatabases.add(database);
        result.databaseErrors++;
        const reason = (run.reason as Error)?.message ?? String(run.reason);
        // A lost connection is the server's doing, not the plan's: say so, and how to finish.
        const message = isConnectionLost(run.reason) ? `lost the connection to the server (${reason}): re-run the same plan to finish` : reason;
        emit({ type: 'database-failed', database, message });
      }
    });
  }
  // Tenants outside every wave (e.g. `--wave canary` selects one) are left for a later run.
  result.notAttempted += remaining.length;
  if (result.failed > budget) {
    emit({ type: 'stopped', message: `stopped after ${result.failed} failure(s) (--max-failures ${budget}): ${result.notAttempted} schema(s) not attempted; re-run the same plan to continue` });
  }
}

/** A counting semaphore: the global --parallelism shared by every database's workers. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** One database's share of a wave: its own connections (at most perDatabase), each tenant holding a global slot while it runs. */
async function runJobs(
  plan: Plan,
  /** tenants.yaml's metadataSchema: each connection gets its own handle on the store. */
  metadataSchema: string,
  target: DatabaseTarget,
  jobs: Job[],
  slots: Slots,
  options: ApplyOptions,
  emit: Emit,
  result: ApplyResult,
  lockLost: () => Error | undefined = () => undefined,
): Promise<void> {
  if (jobs.length === 0) return;
  const database = target.config.name;
  const budget = options.maxFailures ?? 0;
  // One session (the embedded database) takes one worker: session settings would be shared.
  const workers = target.capabilities.concurrentSessions ? Math.max(1, Math.min(options.perDatabase ?? options.parallelism, options.parallelism, jobs.length)) : 1;
  let next = 0;
  let lost: unknown = null;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      let client: pg.Client | null = null;
      try {
        client = await connect(target, `apply ${plan.id}`);
        // This connection introspects one schema after another with the same
        // named catalog queries: plan them once, not once per tenant.
        await client.query('SET plan_cache_mode = force_generic_plan');
        const meta = new MetadataStore(client, metadataSchema);
        while (next < jobs.length && lost === null) {
          await slots.acquire();
          try {
            if (next >= jobs.length || lost !== null) break;
            const noLock = lockLost();
            if (noLock) {
              lost ??= noLock;
              break;
            }
            if (result.failed > budget) {
              // Failure budget spent: running tenants finish, no new one starts.
              result.notAttempted += jobs.length - next;
              next = jobs.length;
              break;
            }
            const job = jobs[next++];
            let outcome: TenantOutcome;
            try {
              outcome = await applyTenant(client, plan, meta, database, job, options, emit);
            } catch (error) {
              // Interrupted (connection or lock lost): rolled back, so not attempted, as those never started.
              result.notAttempted++;
              throw error;
            }
            if (outcome === 'applied') result.applied++;
            else if (outcome === 'already-applied') result.alreadyApplied++;
            else if (outcome === 'stale') result.stale++;
            else result.failed++;
          } finally {
            slots.release();
          }
        }
      } catch (error) {
        lost ??= error;
      } finally {
        await client?.end().catch(() => {});
      }
    }),
  );
  if (lost !== null) {
    result.notAttempted += jobs.length - next;
    throw lost;
  }
}
