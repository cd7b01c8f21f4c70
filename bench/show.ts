/**
 * `tm show` speed: builds a 10,000-tenant plan in memory with buildPlan
 * (BENCH_SHOW_TENANTS to change the count; no database needed), writes it,
 * and times the real `tm show` in each format, as a user runs it (process
 * start, reading and checking the plan file, rendering, writing stdout).
 * The target is under 1 s per format.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { identicalFleetPlan, writeTempPlan } from '../test/support/synthetic-plan.js';

const TENANTS = Number(process.env.BENCH_SHOW_TENANTS ?? 10_000);
const RUNS = 5;
const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));

const plan = identicalFleetPlan(TENANTS);
const file = writeTempPlan(plan, 'tm-bench-show-');
console.log(`tm show bench: ${TENANTS} tenants in ${plan.cohorts.length} cohort(s), plan file ${(statSync(file).size / 1e6).toFixed(1)} MB`);
{
  const started = performance.now();
  spawnSync(process.execPath, [TM, '--version']);
  console.log(`  ${'tm --version (process start, floor)'.padEnd(36)} ${((performance.now() - started) / 1000).toFixed(2)} s`);
}
for (const format of ['text', 'markdown', 'json']) {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const run = spawnSync(process.execPath, [TM, 'show', file, '--format', format], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    times.push(performance.now() - started);
    if (run.status !== 0) throw new Error(`tm show --format ${format} exited ${run.status}: ${run.stderr}`);
    bytes = Buffer.byteLength(run.stdout);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(
    `  ${`tm show --format ${format}`.padEnd(36)} ${(median / 1000).toFixed(2)} s median of ${RUNS} (best ${(times[0] / 1000).toFixed(2)} s), ${(bytes / 1024).toFixed(1)} kB out${median < 1000 ? '' : '  ← over the 1 s target'}`,
  );
}
