/**
 * `tm drift`: per schema, objects in the database but not in the Prisma
 * folder (extra), the reverse (missing), and objects defined differently
 * (changed); extras only reported unless --prune, which shows (never runs)
 * the statements that drop them. Exit 0 without drift, 2 with, 1 on error.
 */
import { expect } from 'chai';
import { compileSchema } from '../../src/config/jsonSchema.js';
import { ref } from '../../src/catalog/objectRef.js';
import { driftItemToJson } from '../../src/output/driftJson.js';
import { compareModels, pruneSteps, withoutExtras, type DriftItem } from '../../src/plan/drift.js';
import { fingerprint } from '../../src/catalog/fingerprint.js';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';
import { column, goldenDesired, goldenOld } from '../support/synthetic-plan.js';

const validateDriftJson = compileSchema('drift-json-output.schema.json');
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));
/** Items as `tm drift --json` prints them: kind, name, table, detail. */
const asJson = (items: DriftItem[]) => items.map(driftItemToJson);

describe('tm drift', function () {
  this.timeout(120_000);

  describe('compareModels (pure)', () => {
    it('finds nothing between equal models', () => {
      expect(compareModels(goldenDesired(), goldenDesired())).to.deep.equal({ extra: [], missing: [], changed: [] });
    });

    it('lists extra and missing objects by name: tables, columns, indexes, constraints, enums', () => {
      const actual = goldenOld();
      actual.tables.User.columns.legacy = column('integer', false);
      actual.tables.Audit = { columns: { id: column('integer') }, constraints: {}, indexes: {} };
      const drift = compareModels(actual, goldenDesired());
      expect(drift.extra.map((x) => x.target)).to.deep.equal([ref.table('Audit'), ref.column('User', 'legacy')]);
      expect(asJson(drift.extra)).to.deep.equal([
        { kind: 'table', name: 'Audit', table: null, detail: '1 columns' },
        { kind: 'column', name: 'legacy', table: 'User', detail: 'integer' },
      ]);
      expect(asJson(drift.missing).map((m) => `${m.kind} ${m.table ?? ''}.${m.name}`)).to.deep.equal([
        'table .Order',
        'column User.name',
        'column User.role',
        'index User.User_email_key',
        'enum .Role',
      ]);
      expect(drift.changed).to.deep.equal([]);
    });

    it('lists changed objects with what differs, database → Prisma folder', () => {
      const actual = goldenDesired();
      actual.tables.User.columns.email = column('character varying(64)', false);
      actual.tables.User.columns.role.default = null;
      actual.enums.Role.values = ['OWNER', 'MEMBER'];
      actual.tables.User.indexes.User_email_key.definition = 'CREATE UNIQUE INDEX ON "User" USING btree (lower(email))';
      actual.tables.Order.constraints.Order_userId_fkey.definition = 'FOREIGN KEY ("userId") REFERENCES "User"(id)';
      const drift = compareModels(actual, goldenDesired());
      expect(drift.extra).to.deep.equal([]);
      expect(drift.missing).to.deep.equal([]);
      expect(drift.changed[0].target, 'a constraint is referred to with its kind').to.deep.equal(ref.constraint('Order', 'Order_userId_fkey', 'foreign key'));
      expect(asJson(drift.changed)).to.deep.equal([
        {
          kind: 'constraint',
          name: 'Order_userId_fkey',
          table: 'Order',
          detail: 'definition FOREIGN KEY ("userId") REFERENCES "User"(id) → FOREIGN KEY ("userId") REFERENCES "User"(id) ON UPDATE CASCADE ON DELETE CASCADE',
        },
        { kind: 'column', name: 'email', table: 'User', detail: 'type character varying(64) → text; nullability nullable → NOT NULL' },
        { kind: 'column', name: 'role', table: 'User', detail: `default none → 'MEMBER'::"Role"` },
        {
          kind: 'index',
          name: 'User_email_key',
          table: 'User',
          detail: 'definition CREATE UNIQUE INDEX ON "User" USING btree (lower(email)) → CREATE UNIQUE INDEX ON "User" USING btree (email)',
        },
        { kind: 'enum', name: 'Role', table: null, detail: 'values OWNER, MEMBER → OWNER, ADMIN, MEMBER' },
      ]);
    });

    it('prune drops the extras and nothing else: missing and changed objects are left alone', () => {
      const actual = goldenOld();
      actual.tables.User.columns.legacy = column('integer', false);
      actual.tables.User.indexes.User_legacy_idx = { definition: 'CREATE INDEX ON "User" USING btree (legacy)', unique: false, columns: ['legacy'] };
      actual.tables.User.columns.email = column('character varying(64)'); // changed: stays
      actual.tables.Audit = { columns: { id: column('integer') }, constraints: {}, indexes: {} };
      actual.enums.Mood = { values: ['HAPPY'] };
      const drift = compareModels(actual, goldenDesired());
      const pruned = withoutExtras(actual, drift);
      expect(Object.keys(pruned.tables)).to.deep.equal(['User']);
      expect(Object.keys(pruned.tables.User.columns)).to.deep.equal(['id', 'email']);
      expect(pruned.tables.User.columns.email.type).to.equal('character varying(64)');
      expect(pruned.enums).to.deep.equal({});
      const steps = pruneSteps(actual, drift);
      expect(steps.map((s) => s.sql)).to.have.members(['DROP INDEX "User_legacy_idx"', 'DROP TABLE "Audit"', 'ALTER TABLE "User" DROP COLUMN "legacy"', 'DROP TYPE "Mood"']);
      expect(steps.every((s) => s.action === 'drop')).to.equal(true);
      expect(steps.find((s) => s.sql.includes('DROP COLUMN'))!.hazards.map((h) => h.type)).to.include('DATA_LOSS');
      expect(pruneSteps(goldenDesired(), compareModels(goldenDesired(), goldenDesired()))).to.deep.equal([]);
      expect(fingerprint(actual)).to.equal(fingerprint(clone(actual)), 'the actual model is not modified');
    });
  });

  describe('the command (real binary)', () => {
    const db = useFreshDatabase();
    after(removeFleetProjects);

    it('reports no drift (exit 0), hand-made drift per group of schemas (exit 2), JSON to its schema, prune without running it', async () => {
      const project = fleetProject({ tenants: ['tenant_a', 'tenant_b', 'tenant_c', 'tenant_d'] });
      const base = await project.plan(db, 'base');
      expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);

      const clean = await project.tm(db, ['drift']);
      expect(clean.code, output(clean)).to.equal(0);
      expect(clean.stdout).to.contain('No drift: 4 schemas match the Prisma folder.');
      const cleanJson = await project.tm(db, ['drift', '--json']);
      expect(cleanJson.code).to.equal(0);
      expect(validateDriftJson(JSON.parse(cleanJson.stdout))).to.equal(null);

      // By hand: b and c get the same extra column and index; d loses an index and gets a wider column.
      for (const s of ['tenant_b', 'tenant_c']) {
        await db.query(`ALTER TABLE ${s}."User" ADD COLUMN legacy integer`);
        await db.query(`CREATE INDEX "User_legacy_idx" ON ${s}."User"(legacy)`);
      }
      await db.query(`DROP INDEX tenant_d."Product_name_idx"`);
      await db.query(`ALTER TABLE tenant_d."Product" ALTER COLUMN name TYPE varchar(200)`);

      const drift = await project.tm(db, ['drift']);
      expect(drift.code, output(drift)).to.equal(2);
      const text = drift.stdout;
      expect(text).to.match(/^tenant_b, tenant_c \(2 schemas; all changed outside tm since tm last applied a plan\)$/m);
      expect(text).to.match(/^  extra    column "User"\."legacy": integer$/m);
      expect(text).to.match(/^  extra    index "User_legacy_idx" on "User": CREATE INDEX ON "User" USING btree \(legacy\)$/m);
      expect(text).to.match(/^tenant_d \(1 schema; it changed outside tm since tm last applied a plan\)$/m);
      expect(text).to.match(/^  missing  index "Product_name_idx" on "Product"/m);
      expect(text).to.match(/^  changed  column "Product"\."name": type character varying\(200\) → text$/m);
      expect(text).to.contain('Drift in 3 of 4 schemas: 4 extra, 1 missing, 1 changed object(s); 1 in sync.');
      expect(text).to.contain('Extras are only reported: `tm drift --prune`');
      expect(text).to.not.contain('tenant_a');
      expect(text).to.not.contain('DROP');

      const json = JSON.parse((await project.tm(db, ['drift', '--json'])).stdout);
      expect(validateDriftJson(json)).to.equal(null);
      expect(json.format_version).to.equal('1.0');
      expect(json.summary).to.deep.equal({ schemas: 4, drifted: 3, in_sync: 1, not_created: 0, extra: 4, missing: 1, changed: 1, changed_since_last_apply: 3 });
      const a = json.schemas.find((s: any) => s.schema === 'tenant_a');
      expect(a).to.deep.include({ in_sync: true, exists: true, changed_since_last_apply: false, extra: [], missing: [], changed: [] });
      expect(a.last_applied.plan_id).to.equal(base.id);
      expect(a).to.not.have.property('prune');

      const pruned = await project.tm(db, ['drift', '--schema', 'tenant_b', '--prune']);
      expect(pruned.code, output(pruned)).to.equal(2);
      expect(pruned.stdout).to.contain('  prune (not run: review, then tm plan, whose plan drops these too):');
      expect(pruned.stdout).to.match(/^      DROP INDEX "User_legacy_idx";$/m);
      expect(pruned.stdout).to.match(/^      ALTER TABLE "User" DROP COLUMN "legacy";  -- DATA_LOSS$/m);
      expect(pruned.stdout).to.not.contain('tenant_c');
      expect(await columnsOf(db, 'tenant_b', 'User'), 'prune runs nothing').to.have.property('legacy');
      const prunedJson = JSON.parse((await project.tm(db, ['drift', '--schema', 'tenant_d', '--json', '--prune'])).stdout);
      expect(validateDriftJson(prunedJson)).to.equal(null);
      expect(prunedJson.schemas[0].prune, 'nothing extra in tenant_d: nothing to prune').to.deep.equal([]);
    });

    it('counts a pending Prisma change and a listed schema not yet created as drift, not as changes outside tm', async () => {
      const project = fleetProject({ tenants: ['pend_a'] });
      const base = await project.plan(db, 'base');
      expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);
      project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', '  name      String?\n  nickname  String?\n'));
      const pending = await project.tm(db, ['drift']);
      expect(pending.code, output(pending)).to.equal(2);
      expect(pending.stdout).to.match(/^pend_a \(1 schema\)$/m);
      expect(pending.stdout).to.match(/^  missing  column "User"\."nickname": text$/m);

      const withNew = fleetProject({ tenants: ['pend_a', 'pend_new'] });
      const result = await withNew.tm(db, ['drift', '--schema', 'pend_new']);
      expect(result.code, output(result)).to.equal(2);
      expect(result.stdout).to.contain('  missing  the schema: listed in tenants.yaml, not created (tm plan creates it)');
      expect(result.stdout).to.contain('1 schema not created');
    });

    it('exits 1 on an error', async () => {
      const project = fleetProject({ tenants: ['err_a'] });
      const result = await project.tm(db, ['drift', '--schema', 'nope']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain('Not a tenant in tenants.yaml');
    });
  });
});
