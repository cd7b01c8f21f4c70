/**
 * `tm plan` then `tm apply`, through the real binary in a temp project, as a
 * user runs them: a fleet converges, a tampered or broken plan file is refused
 * before anything touches the database, and an unknown --schema is an error.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, historyRows, output, removeFleetProjects, schemaExists, tablesOf } from '../support/fleet.js';

const EXAMPLE_TABLES = ['Category', 'Order', 'OrderItem', 'Product', 'User', '_CategoryToProduct'];

describe('tm plan + tm apply (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('brings a fleet of listed and discovered tenants to "No changes", with one history row per tenant', async () => {
    // tenant_a and tenant_b are listed and do not exist yet; c, d and e exist (empty) and are found by discover.
    for (const s of ['tenant_c', 'tenant_d', 'tenant_e']) await db.query(`create schema ${s}`);
    const project = fleetProject({ tenants: ['tenant_a', 'tenant_b'], discover: ['tenant_*'] });
    const tenants = ['tenant_a', 'tenant_b', 'tenant_c', 'tenant_d', 'tenant_e'];

    const plan = await project.plan(db, 'initial', 2);
    expect(path.relative(project.dir, plan.path)).to.equal(path.join('plans', `${plan.id}.plan.json`));
    expect(plan.result.stdout).to.match(/^Plan: 5 schemas to change \(2 new\), 0 unchanged, in 2 cohorts\.$/m);
    expect(plan.result.stdout).to.not.match(/Hazards:/);
    expect(plan.json.cohorts.flatMap((c: any) => c.tenants.map((t: any) => t.schema)).sort()).to.deep.equal(tenants);

    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    for (const t of tenants) expect(apply.stdout).to.contain(`✓ main/${t}: applied`);
    expect(apply.stdout).to.match(/Apply complete: 5 applied, 0 already applied, 0 stale, 0 failed/);

    for (const t of tenants) expect(await tablesOf(db, t), t).to.deep.equal(EXAMPLE_TABLES);
    // The data the tables hold works: a user with an order.
    await db.query(`insert into tenant_c."User"(email) values ('a@example.com')`);
    await db.query(`insert into tenant_c."Order"(id, "userId") select gen_random_uuid()::text, id from tenant_c."User"`);

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 5 schemas already match the Prisma schema.');
    expect(again.stdout).to.not.contain('Saved the plan');
    expect(readdirSync(path.join(project.dir, 'plans'))).to.deep.equal([`${plan.id}.plan.json`]);

    const rows = await historyRows(db);
    expect(rows).to.deep.equal(tenants.map((t) => ({ tenant_schema: t, plan_id: plan.id })));
    // tm's own schemas are not tenants, and the desired-state scratch schema is gone.
    const { rows: schemas } = await db.query(`select nspname from pg_namespace where nspname like 'tm%' order by 1`);
    expect(schemas.map((r) => r.nspname)).to.deep.equal(['tm']);
  });

  describe('a plan file that is not exactly what tm wrote is refused before any statement runs', () => {
    let project: ReturnType<typeof fleetProject>;
    let planPath = '';
    let original = '';

    before(async () => {
      project = fleetProject({ tenants: ['edit_a', 'edit_b'] });
      const plan = await project.plan(db, 'to_edit', 2);
      planPath = plan.path;
      original = readFileSync(planPath, 'utf8');
    });

    async function expectRefused(text: string, message: RegExp): Promise<string> {
      writeFileSync(planPath, text);
      const result = await project.tm(db, ['apply', planPath]);
      expect(result.code, output(result)).to.equal(1);
      expect(result.stderr).to.match(message);
      expect(result.stderr, 'no stack trace').to.not.match(/\n\s+at /);
      expect(result.stdout, 'nothing was applied').to.not.match(/applied|Applying/);
      expect(await schemaExists(db, 'edit_a')).to.equal(false);
      expect(await schemaExists(db, 'edit_b')).to.equal(false);
      return result.stderr;
    }

    it('one character of one step’s SQL changed: integrity error', async () => {
      const plan = JSON.parse(original);
      const step = plan.cohorts[0].steps.find((s: any) => s.sql.includes('CREATE TABLE "User"'));
      expect(step, 'the plan creates "User"').to.not.equal(undefined);
      step.sql = step.sql.replace('CREATE TABLE "User"', 'CREATE TABLE "Usex"'); // one character
      const stderr = await expectRefused(JSON.stringify(plan, null, 2) + '\n', /was changed after it was written: its integrity hash does not match its content/);
      expect(stderr).to.contain('run `tm plan` again instead of editing a plan');
    });

    it('a single character flipped in the file’s text: integrity error', async () => {
      const at = original.indexOf('CREATE TABLE \\"Product\\"');
      expect(at).to.be.greaterThan(0);
      const edited = original.slice(0, at) + 'c' + original.slice(at + 1);
      await expectRefused(edited, /integrity hash does not match/);
    });

    it('a truncated file: not valid JSON, may be truncated', async () => {
      await expectRefused(original.slice(0, Math.floor(original.length / 2)), /is not valid JSON .*it may be truncated/);
    });

    it('an empty file: not valid JSON', async () => {
      await expectRefused('', /is not valid JSON/);
    });

    it('another format version: names both versions', async () => {
      const plan = JSON.parse(original);
      plan.formatVersion = 1;
      await expectRefused(JSON.stringify(plan, null, 2), /has plan format version 1; this tm reads version 2\./);
    });

    it('a missing file: cannot read', async () => {
      const result = await project.tm(db, ['apply', path.join(project.dir, 'plans', 'nope.plan.json')]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/Cannot read plan file .*nope\.plan\.json: ENOENT/);
    });

    it('the original file still applies afterwards', async () => {
      writeFileSync(planPath, original);
      const result = await project.tm(db, ['apply', planPath]);
      expect(result.code, output(result)).to.equal(0);
      expect(await tablesOf(db, 'edit_a')).to.deep.equal(EXAMPLE_TABLES);
    });
  });

  it('tm plan --schema with a schema tenants.yaml does not name: exit 1, clear message, no plan file', async () => {
    const project = fleetProject({ tenants: ['tenant_a'], discover: ['tenant_*'] });
    const result = await project.tm(db, ['plan', '--schema', 'tenant_zzz']);
    expect(result.code, output(result)).to.equal(1);
    expect(result.stderr).to.match(/^Error: Not a tenant in tenants\.yaml \(listed or discovered\): tenant_zzz\.$/m);
    expect(result.stderr).to.contain('Add it to tenants.yaml');
    expect(result.stderr).to.not.match(/\n\s+at /);
    expect(result.stdout).to.equal('');
    expect(() => readdirSync(path.join(project.dir, 'plans'))).to.throw();
  });

  it('tm plan --schema with a known schema plans only that tenant', async () => {
    const project = fleetProject({ tenants: ['only_a', 'only_b'] });
    const result = await project.tm(db, ['plan', '--schema', 'only_b', '--detailed-exitcode', '--name', 'only_b']);
    expect(result.code, output(result)).to.equal(2);
    expect(result.stdout).to.match(/^Plan: 1 schema to change \(1 new\), 0 unchanged, in 1 cohort\.$/m);
    expect(result.stdout).to.contain('only_b').and.not.contain('only_a');
  });
});
