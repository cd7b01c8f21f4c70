/**
 * The plan without a database: buildPlan groups tenants by the state they are
 * in, and parsePlan accepts exactly what buildPlan wrote, refusing any edit.
 */
import { expect } from 'chai';
import type { ColumnModel, SchemaModel, TableModel } from '../../src/catalog/model.js';
import { ABSENT, fingerprint } from '../../src/catalog/fingerprint.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { emptySchemaModel } from '../../src/catalog/model.js';
import { buildPlan, planHasChanges, type DatabaseState } from '../../src/plan/build.js';
import { parsePlan } from '../../src/plan/file.js';
import type { Plan } from '../../src/plan/types.js';
import { TmError } from '../../src/errors.js';

function column(type: string, notNull = true, defaultValue: string | null = null): ColumnModel {
  return { type, notNull, default: defaultValue, identity: null, generated: null, collation: null };
}

function userTable(extra: Record<string, ColumnModel> = {}, withEmailIndex = false): TableModel {
  return {
    columns: { id: column('integer'), email: column('text'), ...extra },
    constraints: {
      User_pkey: {
        kind: 'primary key',
        definition: 'PRIMARY KEY (id)',
        columns: ['id'],
        references: null,
        deferrable: false,
        initiallyDeferred: false,
        validated: true,
      },
    },
    indexes: withEmailIndex ? { User_email_key: { definition: 'CREATE UNIQUE INDEX ON "User" USING btree (email)', unique: true, columns: ['email'] } } : {},
  };
}

function model(table: TableModel): SchemaModel {
  return { ...emptySchemaModel(), tables: { User: table } };
}

/** What the tenants were made from. */
const OLD = model(userTable());
/** What the Prisma folder now says: a new optional column and a unique index. */
const DESIRED = model(userTable({ name: column('text', false) }, true));
/** A tenant someone changed by hand: an extra column. */
const DRIFTED = model(userTable({ legacy: column('integer', false) }));

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function makePlan(databases: DatabaseState[]): Plan {
  return buildPlan({
    kind: 'migrate',
    name: 'add_name',
    createdAt: new Date('2026-11-25T12:00:00.123Z'),
    schema: { folder: 'prisma/schema', files: ['prisma/schema/user.prisma'], hash: 'sha256:' + '0'.repeat(64), text: 'model User {}' },
    databases,
    lockTimeoutMs: 5000,
  });
}

function fleet(): DatabaseState[] {
  return [
    {
      name: 'main',
      desired: DESIRED,
      tenants: [
        { schema: 'tenant_a', model: clone(OLD) },
        { schema: 'tenant_b', model: clone(OLD) },
        { schema: 'tenant_drift', model: clone(DRIFTED) },
        { schema: 'tenant_c', model: clone(OLD) },
        { schema: 'tenant_done', model: clone(DESIRED) },
        { schema: 'tenant_new', model: undefined },
      ],
    },
    // Same before and after state on another database: the same cohort.
    { name: 'eu', desired: clone(DESIRED), tenants: [{ schema: 'tenant_eu', model: clone(OLD) }] },
  ];
}

const schemasOf = (plan: Plan, id: string) => plan.cohorts.find((c) => c.id === id)!.tenants.map((t) => `${t.database}/${t.schema}`);

function expectIntegrityError(text: string): void {
  expect(() => parsePlan(text, 'plans/x.plan.json'))
    .to.throw(TmError, /^plans\/x\.plan\.json was changed after it was written: its integrity hash does not match its content\.$/);
}

describe('buildPlan (pure)', () => {
  const plan = makePlan(fleet());

  it('groups tenants in the same state into one cohort, largest first, across databases', () => {
    expect(plan.cohorts.map((c) => c.tenants.length)).to.deep.equal([4, 1, 1]);
    expect(schemasOf(plan, 'c1')).to.deep.equal(['main/tenant_a', 'main/tenant_b', 'main/tenant_c', 'eu/tenant_eu']);
    const c1 = plan.cohorts[0];
    expect(c1.beforeFingerprint).to.equal(fingerprint(OLD));
    expect(c1.afterFingerprint).to.equal(fingerprint(DESIRED));
    expect(c1.createsSchema).to.equal(false);
    expect(c1.steps).to.deep.equal(diffSchemas(OLD, DESIRED));
    expect(c1.steps.map((s) => s.sql).join('\n')).to.contain('"name"').and.contain('"User_email_key"');
  });

  it('puts a drifted tenant and a missing one in cohorts of their own', () => {
    const drifted = plan.cohorts.find((c) => c.beforeFingerprint === fingerprint(DRIFTED))!;
    expect(drifted.tenants).to.deep.equal([{ database: 'main', schema: 'tenant_drift' }]);
    expect(drifted.steps).to.deep.equal(diffSchemas(DRIFTED, DESIRED));
    expect(drifted.steps.map((s) => s.sql).join('\n')).to.contain('DROP COLUMN "legacy"');
    expect(drifted.steps.flatMap((s) => s.hazards.map((h) => h.type))).to.include('DATA_LOSS');

    const created = plan.cohorts.find((c) => c.beforeFingerprint === ABSENT)!;
    expect(created.tenants).to.deep.equal([{ database: 'main', schema: 'tenant_new' }]);
    expect(created.createsSchema).to.equal(true);
    expect(created.steps).to.deep.equal(diffSchemas(emptySchemaModel(), DESIRED));
    expect(plan.cohorts.map((c) => c.id)).to.deep.equal(['c1', 'c2', 'c3']);
  });

  it('lists tenants already at the desired state as unchanged, and sums it all up', () => {
    expect(plan.unchanged).to.deep.equal([{ database: 'main', schema: 'tenant_done', fingerprint: fingerprint(DESIRED) }]);
    expect(plan.summary).to.deep.equal({ tenants: 7, toChange: 6, toCreate: 1, unchanged: 1, hazards: ['DATA_LOSS', 'INDEX_BUILD', 'MAY_FAIL_ON_DATA'] });
    expect(plan.afterModels).to.deep.equal({ [fingerprint(DESIRED)]: DESIRED });
    expect(plan.databases).to.deep.equal(['main', 'eu']);
    expect(plan.id).to.equal('20261125T120000.123Z_add_name');
    expect(planHasChanges(plan)).to.equal(true);
  });

  it('gives the same plan whatever order the tenants come in', () => {
    const shuffled = fleet();
    shuffled[0].tenants.reverse();
    const other = makePlan(shuffled);
    expect(other.tenantSetHash).to.equal(plan.tenantSetHash);
    expect(other.cohorts.map((c) => [c.beforeFingerprint, c.tenants.length])).to.deep.equal(plan.cohorts.map((c) => [c.beforeFingerprint, c.tenants.length]));
  });

  it('has no cohorts when every tenant is at the desired state', () => {
    const done = makePlan([{ name: 'main', desired: DESIRED, tenants: [{ schema: 'tenant_a', model: clone(DESIRED) }] }]);
    expect(done.cohorts).to.deep.equal([]);
    expect(planHasChanges(done)).to.equal(false);
    expect(done.summary).to.deep.include({ tenants: 1, toChange: 0, unchanged: 1 });
  });
});

describe('parsePlan (pure)', () => {
  const plan = makePlan(fleet());
  const text = JSON.stringify(plan, null, 2) + '\n';

  it('reads back exactly what buildPlan made, written as tm writes it', () => {
    expect(parsePlan(text, 'plans/x.plan.json')).to.deep.equal(plan);
  });

  it('does not mind the JSON being reformatted or its keys reordered', () => {
    const reordered = Object.fromEntries(Object.entries(plan).reverse());
    expect(parsePlan(JSON.stringify(reordered), 'plans/x.plan.json')).to.deep.equal(plan);
  });

  it('refuses a plan where any one step’s SQL was edited, naming the integrity check', () => {
    let edits = 0;
    plan.cohorts.forEach((cohort, c) => {
      cohort.steps.forEach((_, s) => {
        const edited = clone(plan);
        const sql = edited.cohorts[c].steps[s].sql;
        // One character: the last one, changed to something else.
        edited.cohorts[c].steps[s].sql = sql.slice(0, -1) + (sql.endsWith('X') ? 'Y' : 'X');
        expectIntegrityError(JSON.stringify(edited, null, 2));
        edits++;
      });
    });
    expect(edits).to.be.greaterThan(3);
  });

  it('refuses other edits a reviewer would not see in the SQL: tenants, fingerprints, settings, hazards, the hash itself', () => {
    const edits: Array<(p: any) => void> = [
      (p) => p.cohorts[0].tenants.push({ database: 'main', schema: 'tenant_extra' }),
      (p) => p.cohorts[1].tenants.push(p.cohorts[0].tenants.pop()),
      (p) => (p.cohorts[0].beforeFingerprint = p.cohorts[1].beforeFingerprint),
      (p) => (p.cohorts[0].steps[0].transactional = !p.cohorts[0].steps[0].transactional),
      (p) => (p.cohorts.find((c: any) => c.steps.some((s: any) => s.hazards.length)).steps.find((s: any) => s.hazards.length).hazards = []),
      (p) => (p.settings.lockTimeoutMs = 600_000),
      (p) => (p.summary.hazards = []),
      (p) => (p.unchanged = []),
      (p) => (p.createdAt = '2026-11-25T12:00:01.000Z'),
      (p) => (p.integrity = p.integrity.replace(/.$/, (ch: string) => (ch === '0' ? '1' : '0'))),
    ];
    for (const edit of edits) {
      const edited = clone(plan);
      edit(edited);
      expectIntegrityError(JSON.stringify(edited));
    }
  });

  it('refuses a truncated file, another format version, and a file that is not a plan, each with its own message', () => {
    expect(() => parsePlan(text.slice(0, text.length / 2), 'p.json')).to.throw(TmError, /^p\.json is not valid JSON \(.*\); it may be truncated\.$/);
    expect(() => parsePlan(JSON.stringify({ ...plan, formatVersion: 1 }), 'p.json')).to.throw(TmError, /^p\.json has plan format version 1; this tm reads version 2\.$/);
    expect(() => parsePlan('{}', 'p.json')).to.throw(TmError, /has plan format version undefined/);
    const { cohorts: _dropped, ...noCohorts } = plan;
    expect(() => parsePlan(JSON.stringify(noCohorts), 'p.json')).to.throw(TmError, /^p\.json is not a valid plan: /);
  });
});
