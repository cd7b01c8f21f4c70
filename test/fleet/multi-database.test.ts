/**
 * A fleet over several databases (two databases on the test server stand in
 * for two shards), rollout waves, the failure budget and unreachable
 * databases, through the real binary.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { runTm, TM_BIN } from '../harness/cli.js';
import { createDatabase, dropDatabase, useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';
import { spawn } from 'node:child_process';

describe('fleet over several databases (real binary)', function () {
  this.timeout(180_000);
  const one = useFreshDatabase('tm_shard_one');
  let two: { name: string; url: string };
  let twoPool: pg.Pool;
  before(async () => {
    two = await createDatabase('tm_shard_two');
    twoPool = new pg.Pool({ connectionString: two.url, max: 2 });
  });
  after(async () => {
    await twoPool?.end();
    if (two) await dropDatabase(two.name);
    removeFleetProjects();
  });

  function project(yaml: string) {
    const p = fleetProject();
    writeFileSync(path.join(p.dir, 'tenants.yaml'), yaml);
    const env = { TM_DB_ONE: one.url, TM_DB_TWO: two.url };
    return {
      ...p,
      run: (args: string[]) => runTm(args, { cwd: p.dir, env }),
      env,
    };
  }

  const TWO_SHARDS = `databases:
  one:
    url: env(TM_DB_ONE)
    discover: ["shard_*"]
  two:
    url: env(TM_DB_TWO)
    discover: ["shard_*"]
`;

  async function count(pool: { query: (q: string) => Promise<pg.QueryResult> }, sql: string): Promise<number> {
    return Number((await pool.query(sql)).rows[0].n);
  }

  it('plans both databases in one plan, one cohort across them, and applies both', async () => {
    for (const s of ['shard_a', 'shard_b']) await one.query(`create schema ${s}`);
    for (const s of ['shard_c', 'shard_d']) await twoPool.query(`create schema ${s}`);
    const p = project(TWO_SHARDS);
    const planRun = await p.run(['plan', '--no-sql', '--name', 'both', '-o', 'both.plan.json']);
    expect(planRun.code, output(planRun)).to.equal(0);
    const plan = JSON.parse((await import('node:fs')).readFileSync(path.join(p.dir, 'both.plan.json'), 'utf8'));
    expect(plan.databases).to.deep.equal(['one', 'two']);
    expect(plan.cohorts).to.have.length(1);
    expect(plan.cohorts[0].tenants.map((t: any) => `${t.database}/${t.schema}`).sort()).to.deep.equal(['one/shard_a', 'one/shard_b', 'two/shard_c', 'two/shard_d']);
    const apply = await p.run(['apply', 'both.plan.json', '--parallelism', '3', '--per-database', '2']);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout).to.match(/Apply complete: 4 applied/);
    expect(await count(one, `select count(*) n from tm.history`)).to.equal(2);
    expect(await count(twoPool, `select count(*) n from tm.history`)).to.equal(2);
  });

  it('a database whose connections are killed mid-apply stops alone; the other finishes; a re-run completes', async () => {
    for (let i = 0; i < 150; i++) await twoPool.query(`create schema shard_k${String(i).padStart(3, '0')}`);
    await one.query('create schema shard_e');
    const p = project(TWO_SHARDS);
    const planRun = await p.run(['plan', '--no-sql', '--name', 'killed', '-o', 'killed.plan.json']);
    expect(planRun.code, output(planRun)).to.equal(0);

    const child = spawn(process.execPath, [TM_BIN, 'apply', 'killed.plan.json', '--parallelism', '2'], {
      cwd: p.dir,
      env: { ...process.env, ...p.env, NO_COLOR: '1' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Once some of database two's tenants are done, cut all of tm's connections to it.
    const deadline = Date.now() + 60_000;
    while ((await count(twoPool, `select count(*) n from pg_namespace where nspname = 'tm'`)) === 0 ||
           (await count(twoPool, `select count(*) n from tm.history where plan_id like '%killed'`)) < 10) {
      if (Date.now() > deadline) throw new Error('apply made no progress on database two');
      await new Promise((r) => setTimeout(r, 10));
    }
    await twoPool.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name like 'tm %'`);
    const code = await exited;
    expect(code, stdout).to.equal(1);
    expect(stdout).to.contain('✓ one/shard_e: applied');
    expect(stdout).to.match(/✗ two: stopped: /);
    const doneAtKill = await count(twoPool, `select count(*) n from tm.history where plan_id like '%killed'`);
    expect(doneAtKill).to.be.greaterThan(0).and.lessThan(150);

    const rerun = await p.run(['apply', 'killed.plan.json']);
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(await count(twoPool, `select count(*) n from tm.history where plan_id like '%killed'`)).to.equal(150);
    const again = await p.run(['plan', '--no-sql', '--detailed-exitcode']);
    expect(again.code, output(again)).to.equal(0);
  });

  it('a failing canary wave stops the rollout before the next wave starts; --wave applies one wave', async () => {
    const yaml = `waves: [canary]
databases:
  one:
    url: env(TM_DB_ONE)
    tenants:
      - schema: wave_canary
        labels: { wave: canary }
      - wave_b
      - wave_c
`;
    const p = project(yaml);
    const first = await p.run(['plan', '--no-sql', '--name', 'base', '-o', 'base.plan.json']);
    expect(first.code, output(first)).to.equal(0);
    expect((await p.run(['apply', 'base.plan.json'])).code).to.equal(0);

    // Make `name` required; the canary has a user without a name, so its step fails.
    await one.query(`insert into wave_canary."User"(email) values ('no-name@example.com')`);
    p.writePrisma('user.prisma', replaceOnce(p.readPrisma('user.prisma'), 'name      String?', 'name      String'));
    const planRun = await p.run(['plan', '--no-sql', '--name', 'required', '-o', 'required.plan.json']);
    expect(planRun.code, output(planRun)).to.equal(0);

    const apply = await p.run(['apply', 'required.plan.json']);
    expect(apply.code, output(apply)).to.equal(1);
    expect(apply.stdout).to.contain('Wave canary: 1 schema(s)');
    expect(apply.stdout).to.contain('✗ one/wave_canary: failed');
    expect(apply.stdout).to.not.contain('Wave rest');
    expect(apply.stdout).to.match(/0 applied, 0 already applied, 0 stale, 1 failed .* 2 not attempted/);
    expect(await count(one, `select count(*) n from tm.history where plan_id like '%required'`)).to.equal(0);

    // Fix the data, roll out the canary alone, then the rest.
    await one.query(`update wave_canary."User" set name = 'Named'`);
    const canary = await p.run(['apply', 'required.plan.json', '--wave', 'canary']);
    expect(canary.code, output(canary)).to.equal(0);
    expect(canary.stdout).to.match(/1 applied, .* 2 not attempted/);
    const rest = await p.run(['apply', 'required.plan.json']);
    expect(rest.code, output(rest)).to.equal(0);
    expect(rest.stdout).to.match(/2 applied, 1 already applied/);
    const unknown = await p.run(['apply', 'required.plan.json', '--wave', 'nope']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('There is no wave "nope"');
  });

  it('an unreachable database fails the plan by name, never by URL or password; --skip-unreachable plans the rest', async () => {
    await one.query('create schema reach_a');
    const yaml = `databases:
  one:
    url: env(TM_DB_ONE)
    tenants: [reach_a]
  gone:
    url: env(TM_DB_GONE)
    tenants: [lost_a, lost_b]
`;
    const p = fleetProject();
    writeFileSync(path.join(p.dir, 'tenants.yaml'), yaml);
    const env = { TM_DB_ONE: one.url, TM_DB_GONE: 'postgresql://tm:sekret-pw@127.0.0.1:1/nowhere' };
    const failed = await runTm(['plan', '--no-sql'], { cwd: p.dir, env });
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.contain('Cannot connect to database "gone"');
    expect(failed.stdout + failed.stderr).to.not.contain('sekret-pw');

    const skipped = await runTm(['plan', '--no-sql', '--skip-unreachable', '-o', 'skip.plan.json'], { cwd: p.dir, env });
    expect(skipped.code, output(skipped)).to.equal(0);
    expect(skipped.stdout).to.contain('Not planned: database gone could not be reached');
    expect(skipped.stdout).to.contain('lost_a, lost_b');
    const plan = JSON.parse((await import('node:fs')).readFileSync(path.join(p.dir, 'skip.plan.json'), 'utf8'));
    expect(plan.databases).to.deep.equal(['one']);
    expect(plan.notPlanned.map((n: any) => n.database)).to.deep.equal(['gone']);
    expect(JSON.stringify(plan)).to.not.contain('sekret-pw');
  });
});
