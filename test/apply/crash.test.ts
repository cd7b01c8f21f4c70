/**
 * A `tm apply` killed with SIGKILL in the middle of a 200-tenant fleet leaves
 * each tenant wholly before or wholly after; running the same plan again
 * finishes the rest, and no tenant is applied twice.
 */
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { TM_BIN } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, DB_ENV, fleetProject, historyRows, output, removeFleetProjects, waitForNoTmSessions } from '../support/fleet.js';

const TENANTS = 200;
const BASE = `model Note {
  id    Int    @id @default(autoincrement())
  title String
}
`;
const CHANGED = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?

  @@index([title])
}
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tm apply killed mid-fleet (real binary, 200 tenants)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('SIGKILL part-way, then the same plan again: all 200 at the after-state, one history row each', async () => {
    await db.query(`do $$ begin
      for i in 1..${TENANTS} loop execute format('create schema %I', 'tenant_' || lpad(i::text, 4, '0')); end loop;
    end $$`);
    const project = fleetProject({ discover: ['tenant_*'], prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'note.prisma': BASE } });
    const base = await project.plan(db, 'base');
    expect(base.json.summary.toChange).to.equal(TENANTS);
    const baseApply = await project.tm(db, ['apply', base.path], { timeoutMs: 120_000 });
    expect(baseApply.code, output(baseApply)).to.equal(0);
    // Some data, so the index build and the new column meet real rows.
    await db.query(`do $$ begin
      for i in 1..${TENANTS} loop
        execute format('insert into %I."Note"(title) select ''note '' || g from generate_series(1, 20) g', 'tenant_' || lpad(i::text, 4, '0'));
      end loop;
    end $$`);

    project.writePrisma('note.prisma', CHANGED);
    const plan = await project.plan(db, 'body_and_index', 3); // INDEX_BUILD
    expect(plan.json.cohorts).to.have.length(1);
    expect(plan.json.cohorts[0].tenants).to.have.length(TENANTS);

    // Start the apply and kill it once some, but not all, tenants have their history row.
    const child = spawn(process.execPath, [TM_BIN, 'apply', '--parallelism', '4', plan.path], {
      cwd: project.dir,
      env: { ...process.env, NO_COLOR: '1', [DB_ENV]: db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    let done = false;
    exited.then(() => (done = true));
    let seen = 0;
    const deadline = Date.now() + 60_000;
    while (!done && Date.now() < deadline) {
      seen = (await historyRows(db, plan.id)).length;
      if (seen >= 5) break;
      await sleep(10);
    }
    expect(done, `tm apply finished before it could be killed (had ${seen} rows):\n${stdout}`).to.equal(false);
    child.kill('SIGKILL');
    const killed = await exited;
    expect(killed.signal).to.equal('SIGKILL');
    // The server finishes what it had received from the killed client (a tenant's whole transaction is one message).
    await waitForNoTmSessions(db, db.name);

    const atKill = (await historyRows(db, plan.id)).length;
    expect(atKill, 'killed part-way').to.be.greaterThan(0).and.lessThan(TENANTS);

    // Every tenant is wholly before or wholly after: the column and the index come together, with a history row.
    const { rows: states } = await db.query(
      `select n.nspname as schema,
              exists (select 1 from information_schema.columns c where c.table_schema = n.nspname and c.table_name = 'Note' and c.column_name = 'body') as has_body,
              exists (select 1 from pg_indexes i where i.schemaname = n.nspname and i.indexname = 'Note_title_idx') as has_index,
              exists (select 1 from tm.history h where h.tenant_schema = n.nspname and h.plan_id = $1) as has_row
         from pg_namespace n where n.nspname like 'tenant\\_%' order by 1`,
      [plan.id],
    );
    expect(states).to.have.length(TENANTS);
    const torn = states.filter((s) => s.has_body !== s.has_index || s.has_body !== s.has_row);
    expect(torn, 'tenants half-applied').to.deep.equal([]);

    const rerun = await project.tm(db, ['apply', '--parallelism', '4', plan.path], { timeoutMs: 120_000 });
    expect(rerun.code, output(rerun)).to.equal(0);
    const m = /Apply complete: (\d+) applied, (\d+) already applied, 0 stale, 0 failed/.exec(rerun.stdout);
    expect(m, rerun.stdout).to.not.equal(null);
    expect(Number(m![2]), 'already applied = those done before the kill').to.equal(atKill);
    expect(Number(m![1])).to.equal(TENANTS - atKill);

    const rows = await historyRows(db, plan.id);
    expect(rows).to.have.length(TENANTS);
    expect(new Set(rows.map((r) => r.tenant_schema)).size).to.equal(TENANTS);
    const { rows: counts } = await db.query(
      `select (select count(*)::int from information_schema.columns where table_name = 'Note' and column_name = 'body' and table_schema like 'tenant\\_%') as bodies,
              (select count(*)::int from pg_indexes where indexname = 'Note_title_idx' and schemaname like 'tenant\\_%') as indexes,
              (select count(*)::int from pg_namespace where nspname like 'tm\\_desired\\_%') as scratch`,
    );
    expect(counts[0]).to.deep.equal({ bodies: TENANTS, indexes: TENANTS, scratch: 0 });

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'after_crash']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain(`No changes. ${TENANTS} schemas already match the Prisma schema.`);
  });
});
