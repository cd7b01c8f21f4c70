/**
 * One `tm plan` over a project, in its own process so that its peak memory is
 * its own: prints a JSON line with wall time, peak RSS and catalog round trips.
 */
import pg from 'pg';
import { openProject } from '../src/cli/context.js';
import { planFleet } from '../src/plan/planner.js';

let queries = 0;
const original = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  queries++;
  return (original as any).apply(this, args);
};

const projectDir = process.argv[2];
const started = performance.now();
const project = openProject(projectDir);
const plan = await planFleet(project, { kind: 'migrate', name: 'bench', schemas: [], databases: [], lockTimeoutMs: 5000 });
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ms: Math.round(ms),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    queries,
    tenants: plan.summary.tenants,
    toChange: plan.summary.toChange,
    cohorts: plan.cohorts.length,
  }),
);
