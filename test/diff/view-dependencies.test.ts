/**
 * Views that select from other views, on a real server: dropped, changed and
 * created in the order PostgreSQL accepts (a view after the views it reads,
 * dropped before them), whatever their names' order; through the diff, and
 * through the real binary (a plan that drops hand-made views, tm reset).
 */
import { expect } from 'chai';
import { fingerprint } from '../../src/catalog/fingerprint.js';
import type { SchemaModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { introspectOne, runSteps } from '../support/tenants.js';

const TABLE = `CREATE TABLE "User" (id int PRIMARY KEY, email text NOT NULL, age int);`;

/** A schema made by hand-written SQL, and its model. */
async function schemaFromSql(db: FreshDatabase, schema: string, sql: string): Promise<SchemaModel> {
  await db.query(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; ${sql}; RESET search_path`);
  return (await introspectOne(db.url, schema))!;
}

async function viewNames(db: FreshDatabase, schema: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.views WHERE table_schema = $1 ORDER BY 1`, [schema]);
  return rows.rows.map((r) => r.name);
}

/** Runs the diff from `schema`'s model to `target`, checks the schema then is `target`, returns the statements. */
async function converge(db: FreshDatabase, schema: string, target: SchemaModel): Promise<string[]> {
  const steps = diffSchemas((await introspectOne(db.url, schema))!, target);
  await runSteps(db.url, schema, steps);
  expect(fingerprint((await introspectOne(db.url, schema))!)).to.equal(fingerprint(target));
  expect(diffSchemas((await introspectOne(db.url, schema))!, target)).to.deep.equal([]);
  return steps.map((s) => s.sql);
}

const before = (statements: string[], first: string, second: string) => {
  const a = statements.findIndex((s) => s.startsWith(first));
  const b = statements.findIndex((s) => s.startsWith(second));
  expect(a, first).to.be.at.least(0);
  expect(b, second).to.be.at.least(0);
  expect(a, `${first} before ${second}:\n${statements.join('\n')}`).to.be.below(b);
};

describe('dependent views: dropped, changed and created in dependency order', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  // "z" reads "a": name order would drop "a" first, which PostgreSQL refuses. ("a" names a column "z": not a dependency.)
  const PAIR = `${TABLE} CREATE VIEW a AS SELECT id, email, age AS z FROM "User"; CREATE VIEW z AS SELECT id FROM a; CREATE MATERIALIZED VIEW m AS SELECT email FROM z JOIN a USING (id)`;

  it('drops a view before the view it reads', async () => {
    await schemaFromSql(db, 'vd_drop', PAIR);
    const target = await schemaFromSql(db, 'vd_drop_target', TABLE);
    const sql = await converge(db, 'vd_drop', target);
    before(sql, 'DROP MATERIALIZED VIEW "m"', 'DROP VIEW "z"');
    before(sql, 'DROP VIEW "z"', 'DROP VIEW "a"');
    expect(await viewNames(db, 'vd_drop')).to.deep.equal([]);
  });

  it('changes both views of a pair, and recreates a view that reads a changed one', async () => {
    await schemaFromSql(db, 'vd_change', PAIR);
    const both = await schemaFromSql(
      db,
      'vd_change_both',
      `${TABLE} CREATE VIEW a AS SELECT id, email, age FROM "User"; CREATE VIEW z AS SELECT id, age FROM a; CREATE MATERIALIZED VIEW m AS SELECT email FROM z JOIN a USING (id)`,
    );
    const sql = await converge(db, 'vd_change', both);
    before(sql, 'DROP VIEW "z"', 'DROP VIEW "a"');
    before(sql, 'CREATE VIEW "a"', 'CREATE VIEW "z"');
    before(sql, 'CREATE VIEW "z"', 'CREATE MATERIALIZED VIEW "m"');

    // Only "a" changes: "z" and "m" read it, so they go and come back with it.
    const onlyA = await schemaFromSql(
      db,
      'vd_change_a',
      `${TABLE} CREATE VIEW a AS SELECT id, email, age, 1 AS one FROM "User"; CREATE VIEW z AS SELECT id, age FROM a; CREATE MATERIALIZED VIEW m AS SELECT email FROM z JOIN a USING (id)`,
    );
    const again = await converge(db, 'vd_change', onlyA);
    before(again, 'DROP VIEW "z"', 'DROP VIEW "a"');
    before(again, 'CREATE VIEW "a"', 'CREATE VIEW "z"');
    before(again, 'CREATE VIEW "z"', 'CREATE MATERIALIZED VIEW "m"');
  });

  it('creates a view after the view it reads, though its name sorts first', async () => {
    await schemaFromSql(db, 'vd_create', TABLE);
    const target = await schemaFromSql(
      db,
      'vd_create_target',
      `${TABLE} CREATE VIEW "Active2" AS SELECT id, email FROM "User" WHERE age > 20; CREATE VIEW "Active1" AS SELECT email FROM "Active2"; CREATE VIEW a0 AS SELECT * FROM "Active1"`,
    );
    const sql = await converge(db, 'vd_create', target);
    before(sql, 'CREATE VIEW "Active2"', 'CREATE VIEW "Active1"');
    before(sql, 'CREATE VIEW "Active1"', 'CREATE VIEW "a0"');
    expect(await viewNames(db, 'vd_create')).to.deep.equal(['Active1', 'Active2', 'a0']);
  });

  it('a plan and tm reset drop a tenant\'s hand-made dependent views (real binary)', async () => {
    const project = fleetProject({ tenants: ['vd_t1', 'vd_t2'] });
    const migrated = await project.tm(db, ['migrate', 'initial', '--force']);
    expect(migrated.code, output(migrated)).to.equal(0);
    const addViews = (t: string) => db.query(`SET search_path TO ${t}; CREATE VIEW a AS SELECT id, email FROM "User"; CREATE VIEW z AS SELECT email FROM a; RESET search_path`);
    await addViews('vd_t1');
    const plan = await project.plan(db, 'drop_views');
    const steps: { sql: string }[] = plan.json.cohorts[0].steps;
    expect(steps.map((s) => s.sql)).to.deep.equal(['DROP VIEW "z"', 'DROP VIEW "a"']);
    const applied = await project.tm(db, ['apply', plan.path]);
    expect(applied.code, output(applied)).to.equal(0);
    expect(await viewNames(db, 'vd_t1')).to.deep.equal([]);

    await addViews('vd_t2');
    const reset = await project.tm(db, ['reset', '--schema', 'vd_t2', '--force']);
    expect(reset.code, output(reset)).to.equal(0);
    expect(await viewNames(db, 'vd_t2')).to.deep.equal([]);
  });
});
