/**
 * Plan vs. apply parity: the statements `tm apply` runs in each tenant schema
 * are exactly the plan's steps, in the plan's order, each under the plan's
 * lock_timeout. Captured by the server, not by tm: a ddl_command_end event
 * trigger in the test database records, for every DDL statement that commits,
 * the client's query text (current_query()), the search_path and the
 * lock_timeout in force. (pg_stat_statements needs shared_preload_libraries
 * and the server log needs log_statement; the shared test server has
 * neither, while an event trigger is per database.)
 *
 * Event triggers see DDL only; every plan step is DDL. Statements rolled back
 * (the planner's scratch schema, a failed tenant) leave no record.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';

interface Captured {
  query: string;
  search_path: string;
  lock_timeout: string;
}

async function installCapture(db: FreshDatabase): Promise<void> {
  await db.query(`
    CREATE SCHEMA parity;
    CREATE TABLE parity.log (id bigserial PRIMARY KEY, query text, search_path text, lock_timeout text, in_transaction boolean);
    CREATE FUNCTION parity.capture() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO parity.log (query, search_path, lock_timeout)
      VALUES (current_query(), current_setting('search_path'), (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'));
    END $$;
    CREATE EVENT TRIGGER parity_capture ON ddl_command_end EXECUTE FUNCTION parity.capture();
  `);
}

/** What the server ran with search_path set to the tenant, in order; and CREATE SCHEMA of it. */
async function capturedFor(db: FreshDatabase, schema: string, sinceId: number): Promise<{ steps: Captured[]; createSchema: Captured[] }> {
  const { rows } = await db.query<Captured & { id: string }>('SELECT id, query, search_path, lock_timeout FROM parity.log WHERE id > $1 ORDER BY id', [sinceId]);
  const unquote = (path: string) => path.replace(/"/g, '');
  return {
    steps: rows.filter((r) => unquote(r.search_path) === schema),
    createSchema: rows.filter((r) => r.query.trim() === `CREATE SCHEMA "${schema}"`),
  };
}

async function lastId(db: FreshDatabase): Promise<number> {
  const { rows } = await db.query('SELECT coalesce(max(id), 0)::int AS id FROM parity.log');
  return rows[0].id;
}

/** The plan's statements for a cohort as apply runs them: transactional steps in order, then the deferred (non-transactional) ones. */
function expectedStatements(cohort: any): string[] {
  return [...cohort.steps.filter((s: any) => s.transactional), ...cohort.steps.filter((s: any) => !s.transactional)].map((s: any) => s.sql);
}

describe('plan vs. apply parity (statements captured by the server)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);
  /** lock_timeout of each deferred statement of the second plan, as the server saw it. */
  const deferredTimeouts: string[] = [];

  it('runs exactly the plan’s statements per tenant, in order, the transaction’s under the plan’s lock_timeout', async () => {
    await installCapture(db);
    const tenants = ['par_a', 'par_b', 'par_c'];
    const project = fleetProject({ tenants });

    // 1. New schemas: CREATE SCHEMA, then every step of the cohort.
    let since = await lastId(db);
    const base = await project.tm(db, ['plan', '--name', 'base', '--lock-timeout', '7s', '-o', 'plans/base.plan.json']);
    expect(base.code, output(base)).to.equal(0);
    const basePlan = JSON.parse(readFileSync(path.join(project.dir, 'plans', 'base.plan.json'), 'utf8'));
    expect(await lastId(db), 'tm plan commits no DDL').to.equal(since);
    const applied = await project.tm(db, ['apply', 'plans/base.plan.json', '--parallelism', '3']);
    expect(applied.code, output(applied)).to.equal(0);
    for (const tenant of tenants) {
      const cohort = basePlan.cohorts.find((c: any) => c.tenants.some((t: any) => t.schema === tenant));
      const { steps, createSchema } = await capturedFor(db, tenant, since);
      expect(createSchema, `CREATE SCHEMA ${tenant}`).to.have.length(1);
      expect(createSchema[0].lock_timeout).to.equal('7000');
      expect(steps.map((s) => s.query.trim()), tenant).to.deep.equal(expectedStatements(cohort));
      expect([...new Set(steps.map((s) => s.lock_timeout))], `${tenant}: lock_timeout of every statement`).to.deep.equal(['7000']);
    }

    // 2. Changes to existing tables, indexes built concurrently after the transaction.
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  orders    Order[]\n', '  nickname  String?\n  orders    Order[]\n\n  @@index([name])\n'));
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  MEMBER\n', '  MEMBER\n  GUEST\n'));
    since = await lastId(db);
    const change = await project.tm(db, ['plan', '--name', 'change', '--lock-timeout', '3s', '--concurrent-indexes', '-o', 'plans/change.plan.json']);
    expect(change.code, output(change)).to.equal(0);
    const changePlan = JSON.parse(readFileSync(path.join(project.dir, 'plans', 'change.plan.json'), 'utf8'));
    expect(changePlan.cohorts).to.have.length(1);
    const steps = changePlan.cohorts[0].steps;
    expect(steps.some((s: any) => !s.transactional), 'the plan has a deferred CREATE INDEX CONCURRENTLY').to.equal(true);
    const run = await project.tm(db, ['apply', 'plans/change.plan.json', '--parallelism', '2']);
    expect(run.code, output(run)).to.equal(0);
    for (const tenant of tenants) {
      const captured = await capturedFor(db, tenant, since);
      expect(captured.createSchema).to.deep.equal([]);
      expect(captured.steps.map((s) => s.query.trim()), tenant).to.deep.equal(expectedStatements(changePlan.cohorts[0]));
      const transactional = captured.steps.filter((s) => !/CONCURRENTLY/.test(s.query));
      expect([...new Set(transactional.map((s) => s.lock_timeout))], `${tenant}: lock_timeout in the transaction`).to.deep.equal(['3000']);
      deferredTimeouts.push(...captured.steps.filter((s) => /CONCURRENTLY/.test(s.query)).map((s) => s.lock_timeout));
    }
  });

  it('runs the same statements one by one for tenants that go the quick way (one round trip each)', async () => {
    const tenants = ['par_q1', 'par_q2', 'par_q3', 'par_q4'];
    const project = fleetProject({ tenants });
    const base = await project.tm(db, ['plan', '--name', 'base', '-o', 'plans/base.plan.json']);
    expect(base.code, output(base)).to.equal(0);
    expect((await project.tm(db, ['apply', 'plans/base.plan.json'])).code).to.equal(0);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  orders    Order[]\n', '  nickname  String?\n  orders    Order[]\n\n  @@index([name])\n'));
    const since = await lastId(db);
    const change = await project.tm(db, ['plan', '--name', 'quick', '--lock-timeout', '4s', '-o', 'plans/quick.plan.json']);
    expect(change.code, output(change)).to.equal(0);
    const plan = JSON.parse(readFileSync(path.join(project.dir, 'plans', 'quick.plan.json'), 'utf8'));
    expect(plan.cohorts).to.have.length(1);
    await db.query(`ALTER DATABASE "${db.name}" SET track_functions = 'pl'`);
    // One at a time: the first tenant teaches tm both states, the next three go the quick way.
    const run = await project.tm(db, ['apply', 'plans/quick.plan.json', '--parallelism', '1']);
    expect(run.code, output(run)).to.equal(0);
    const calls = await db.query(`select coalesce(sum(calls), 0)::int as calls from pg_stat_user_functions where funcname = 'tm_expect_state'`);
    expect(calls.rows[0].calls, 'tenants checked by the server (quick way): before and after each').to.equal(6);
    for (const tenant of tenants) {
      const { steps } = await capturedFor(db, tenant, since);
      expect(steps.map((s) => s.query.trim()), tenant).to.deep.equal(expectedStatements(plan.cohorts[0]));
      expect([...new Set(steps.map((s) => s.lock_timeout))], tenant).to.deep.equal(['4000']);
    }
  });

  it('runs the deferred CREATE INDEX CONCURRENTLY under the plan’s lock_timeout too', () => {
    expect(deferredTimeouts).to.have.length(3);
    expect([...new Set(deferredTimeouts)]).to.deep.equal(['3000']);
  });
});
