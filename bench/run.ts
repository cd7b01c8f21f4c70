/**
 * npm run bench: figures for the planner and the applier on a local fleet.
 *
 *   BENCH_TENANTS (default 1000) tenant schemas of 10 tables each, on
 *   BENCH_DATABASE_URL or, when unset, a throwaway server (as the tests do);
 *   then the fleet grown to BENCH_LARGE_TENANTS (default 10000; 0 skips it).
 *
 * Prints: plan wall time, peak memory and queries for an up-to-date fleet;
 * the same for a fleet with one additive change; `tm apply` wall time for that
 * change; the same SQL run as one psql script (one transaction per tenant),
 * the floor to compare with; both again with the server across a network
 * (bench/latency.ts adds NETWORK_DELAY_MS each way); Prisma's own engine
 * computing the same plan one tenant at a time (what users do today) on
 * BENCH_PRISMA_TENANTS (default 50), extrapolated; and plan time and memory
 * for the large fleet.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchSchema, createFleet, tenantName, writeProject } from './fleet.js';
import { startDelayProxy } from './latency.js';
import { planWithPrismaPerTenant } from './prismaPerTenant.js';
import { startThrowawayServer, type TestServer } from '../test/harness/postgres.js';
import { quoteIdent } from '../src/sql/quote.js';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 1000);
const LARGE_TENANTS = Number(process.env.BENCH_LARGE_TENANTS ?? 10_000);
const PRISMA_TENANTS = Number(process.env.BENCH_PRISMA_TENANTS ?? 50);
const MODELS = 10;
/** One way, through bench/latency.ts: round trips of about twice this. */
const NETWORK_DELAY_MS = 1;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));

function planOnce(projectDir: string, url: string) {
  const out = execFileSync(process.execPath, [here('./planOnce.js'), projectDir], { env: { ...process.env, BENCH_DATABASE_URL: url }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function seconds(ms: number): string {
  return ms >= 120_000 ? (ms / 60_000).toFixed(1) + ' min' : (ms / 1000).toFixed(2) + ' s';
}

const PSQL = ['-X', '-q', '-v', 'ON_ERROR_STOP=1'];
const run = promisify(execFile);

/**
 * `tm apply` of the plan, then, after undoing it, the same statements as one
 * psql script, both talking to the server at `url`; undone with `directUrl`.
 * Child processes run asynchronously: the delaying proxy lives in this one.
 */
async function compareApply(projectDir: string, planPath: string, sql: { undo: string; forward: string }, url: string, directUrl: string) {
  let t = performance.now();
  await run(process.execPath, [TM, 'apply', planPath, '--parallelism', '4'], { cwd: projectDir, env: { ...process.env, BENCH_DATABASE_URL: url }, maxBuffer: 64 * 1024 * 1024 });
  const tmMs = performance.now() - t;
  await run('psql', PSQL.concat(['-f', sql.undo, directUrl]));
  t = performance.now();
  await run('psql', PSQL.concat(['-f', sql.forward, url]), { maxBuffer: 64 * 1024 * 1024 });
  return { tmMs, psqlMs: performance.now() - t };
}

/** A round trip's time (SELECT 1), median of 50. */
async function roundTripMs(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await client.query('SELECT 1');
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[25];
  } finally {
    await client.end();
  }
}

/**
 * A database whose tenants were all just created has catalogs autovacuum has
 * not visited yet (no statistics, no visibility map) and would busy the
 * server during the measures: done now, as setup, as on a database in use.
 */
async function settleCatalogs(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const catalog of ['pg_namespace', 'pg_class', 'pg_attribute', 'pg_attrdef', 'pg_constraint', 'pg_index', 'pg_depend', 'pg_type', 'pg_sequence']) {
      await client.query(`VACUUM (ANALYZE) pg_catalog.${catalog}`);
    }
  } finally {
    await client.end();
  }
}

async function main() {
  let server: TestServer | null = null;
  let baseUrl = process.env.BENCH_DATABASE_URL;
  if (!baseUrl) {
    server = await startThrowawayServer();
    baseUrl = server.adminUrl;
  }
  const dbName = `tm_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${quoteIdent(dbName)}`);
  const url = new URL(baseUrl);
  url.pathname = '/' + dbName;
  const dbUrl = url.toString();
  try {
    console.log(`tm bench: ${TENANTS} tenants × ${MODELS} tables, PostgreSQL at ${url.host}`);
    let t = performance.now();
    await createFleet(dbUrl, benchSchema(MODELS), TENANTS);
    await settleCatalogs(dbUrl);
    console.log(`  build fleet (setup, and vacuum):     ${seconds(performance.now() - t)}`);

    const upToDate = planOnce(writeProject(benchSchema(MODELS)), dbUrl);
    console.log(`  plan, fleet up to date:              ${seconds(upToDate.ms)}, peak RSS ${upToDate.peakRssMb} MB, ${upToDate.queries} queries, ${upToDate.toChange} to change`);

    const changedProject = writeProject(benchSchema(MODELS, true));
    const changed = planOnce(changedProject, dbUrl);
    console.log(`  plan, one additive change:           ${seconds(changed.ms)}, peak RSS ${changed.peakRssMb} MB, ${changed.queries} queries, ${changed.toChange} to change in ${changed.cohorts} cohort(s)`);

    const planPath = join(changedProject, 'plan.json');
    const planRun = spawnSync(process.execPath, [TM, 'plan', '--no-sql', '-o', planPath], { cwd: changedProject, env: { ...process.env, BENCH_DATABASE_URL: dbUrl }, encoding: 'utf8' });
    if (planRun.status !== 0) throw new Error(planRun.stderr);
    // The very same statements as one psql script, one transaction per tenant; and how to undo them.
    const plan = JSON.parse(readFileSync(planPath, 'utf8'));
    const steps: string[] = plan.cohorts[0].steps.map((s: { sql: string }) => s.sql + ';');
    const undo: string[] = [];
    const forward: string[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const schema = quoteIdent(tenantName(i));
      undo.push(`SET search_path TO ${schema}; DROP INDEX "Model0_note_idx"; ALTER TABLE "Model0" DROP COLUMN "note";`);
      forward.push(`BEGIN;\nSET LOCAL search_path TO ${schema};\n${steps.join('\n')}\nCOMMIT;`);
    }
    // The plan is applied twice: the first run's history would say it is applied already (and the SQL files name no secret).
    undo.push('DROP SCHEMA IF EXISTS tm CASCADE;');
    await admin.end();
    const dir = mkdtempSync(join(tmpdir(), 'tm-bench-sql-'));
    const sql = { undo: join(dir, 'undo.sql'), forward: join(dir, 'forward.sql') };
    writeFileSync(sql.undo, undo.join('\n'));
    writeFileSync(sql.forward, forward.join('\n'));

    const local = await compareApply(changedProject, planPath, sql, dbUrl, dbUrl);
    console.log(`  tm apply, additive change:           ${seconds(local.tmMs)} (parallelism 4, with stale check, after-check and history)`);
    console.log(`  same SQL as one psql script:         ${seconds(local.psqlMs)} (one transaction per tenant, no checks)`);
    const proxy = await startDelayProxy(dbUrl, NETWORK_DELAY_MS);
    try {
      await run('psql', PSQL.concat(['-f', sql.undo, dbUrl]));
      const far = await compareApply(changedProject, planPath, sql, proxy.url, dbUrl);
      const rtt = await roundTripMs(proxy.url);
      console.log(`  the same over a network (${NETWORK_DELAY_MS} ms added each way; round trips ${rtt.toFixed(1)} ms, as across availability zones):`);
      console.log(`    tm apply:                          ${seconds(far.tmMs)}`);
      console.log(`    psql script:                       ${seconds(far.psqlMs)}`);
    } finally {
      proxy.close();
    }

    // What users do today: Prisma's engine diffing each live tenant schema, one after another.
    const files = [{ path: 'schema.prisma', content: 'datasource db {\n  provider = "postgresql"\n}\n' + benchSchema(MODELS, true) }];
    const sample = Array.from({ length: Math.min(PRISMA_TENANTS, TENANTS) }, (_, i) => tenantName(i));
    const prisma = await planWithPrismaPerTenant(dbUrl, files, sample);
    const extrapolated = [TENANTS, LARGE_TENANTS].filter((n) => n > 0).map((n) => `${n} tenants ≈ ${seconds(prisma.perTenantMs * n)}`);
    console.log(
      `  Prisma's engine, tenant by tenant:   ${seconds(prisma.ms)} for ${sample.length} (${Math.round(prisma.perTenantMs)} ms each, ${prisma.changed} to change); ${extrapolated.join(', ')}`,
    );

    if (LARGE_TENANTS > TENANTS) {
      t = performance.now();
      await createFleet(dbUrl, benchSchema(MODELS, true), LARGE_TENANTS, TENANTS);
      await settleCatalogs(dbUrl);
      console.log(`  grow the fleet to ${LARGE_TENANTS} (setup):     ${seconds(performance.now() - t)}`);
      const large = planOnce(changedProject, dbUrl);
      console.log(`  plan ${LARGE_TENANTS} tenants, up to date:      ${seconds(large.ms)}, peak RSS ${large.peakRssMb} MB, ${large.queries} queries, ${large.toChange} to change`);
    }
  } finally {
    const cleanup = new pg.Client({ connectionString: baseUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${quoteIdent(dbName)} WITH (FORCE)`);
    await cleanup.end();
    server?.stop();
  }
}

await main();
