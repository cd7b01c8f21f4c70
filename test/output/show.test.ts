/**
 * `tm show` in its three formats: the text is what `tm plan` printed, the
 * Markdown is a pull-request comment, the JSON follows its documented schema;
 * long fleets stay one cohort line; a 10,000-tenant plan prints in under 1 s.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { compileSchema } from '../../src/config/jsonSchema.js';
import { PLAN_JSON_FORMAT_VERSION, planToJson } from '../../src/output/planJson.js';
import { MARKDOWN_BUDGET, renderPlanMarkdown } from '../../src/output/planMarkdown.js';
import { renderPlanText } from '../../src/output/planText.js';
import { renderShowText } from '../../src/output/showText.js';
import { buildPlan, planHasChanges, planIntegrity } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/types.js';
import { makeStep } from '../../src/diff/step.js';
import { ref } from '../../src/catalog/objectRef.js';
import { runTm } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { FIXED_CREATED_AT, goldenDesired, goldenOld, goldenPlan, identicalFleetPlan, writeTempPlan } from '../support/synthetic-plan.js';

const validateJsonOutput = compileSchema('plan-json-output.schema.json');

describe('tm show', function () {
  this.timeout(60_000);

  describe('a 10,000-tenant plan of identical tenants', () => {
    const plan = identicalFleetPlan(10_000);
    let file = '';
    before(() => (file = writeTempPlan(plan)));

    it('is one cohort line in text, with the tenant list cut short', () => {
      const text = renderPlanText(plan);
      expect(text.match(/^Cohort /gm)).to.have.length(1);
      expect(text).to.match(/^Cohort c1: 10000 schemas \(/m);
      expect(text).to.match(/^  tenant_00000, tenant_00001, .*, tenant_00007, and 9992 more$/m);
      expect(text).to.not.contain('tenant_09999');
      expect(text.split('\n').length).to.be.lessThan(30);
    });

    it('is one cohort row and one section in Markdown, with the tenant list cut short', () => {
      const md = renderPlanMarkdown(plan);
      expect(md.match(/<details>/g)).to.have.length(1);
      expect(md).to.match(/^\| \*\*c1\*\* \| 10000 \|/m);
      expect(md).to.contain('`tenant_00049`, and 9950 more');
      expect(md).to.not.contain('tenant_09999');
      expect(md.length).to.be.lessThan(10_000);
    });

    it('lists every tenant in JSON', () => {
      const json = planToJson(plan);
      expect(json.cohorts).to.have.length(1);
      expect(json.cohorts[0].tenant_count).to.equal(10_000);
      expect(json.cohorts[0].tenants).to.have.length(10_000);
      expect(json.cohorts[0].tenants[9999]).to.deep.equal({ database: 'main', schema: 'tenant_09999' });
      expect(validateJsonOutput(json)).to.equal(null);
    });

    it('prints in under 1 s through the real binary, in each format', async () => {
      for (const format of ['text', 'markdown', 'json']) {
        let best = Infinity;
        let result;
        // Best of three: the machine is shared, the figure is tm's own.
        for (let i = 0; i < 3 && best >= 1000; i++) {
          const started = performance.now();
          result = await runTm(['show', file, '--format', format]);
          best = Math.min(best, performance.now() - started);
          expect(result.code, output(result)).to.equal(0);
        }
        expect(best, `tm show --format ${format}`).to.be.lessThan(1000);
        if (format === 'json') expect(JSON.parse(result!.stdout).cohorts[0].tenants).to.have.length(10_000);
      }
    });
  });

  describe('Markdown for a pull request', () => {
    const plan = goldenPlan();
    const md = renderPlanMarkdown(plan, { planPath: 'plans/p.plan.json' });

    it('has a summary table, one collapsible section per cohort with its SQL and tenants', () => {
      expect(md.startsWith('<!-- tm-plan -->\n')).to.equal(true);
      expect(md).to.contain('| Tenants | To change | New | Unchanged | Cohorts | Steps | Hazards |');
      expect(md).to.contain('| 28 | 27 | 2 | 1 | 3 | 18 |');
      expect(md.match(/<details><summary>/g)).to.have.length(3);
      const c1 = md.slice(md.indexOf('<details><summary><b>c1</b>'), md.indexOf('</details>'));
      expect(c1).to.contain('```sql\n-- 1. + enum "Role"\nCREATE TYPE "Role" AS ENUM');
      expect(c1).to.contain('**Schemas:** `tenant_001`, `tenant_002`');
      expect(md).to.contain('Apply exactly this plan with `tm apply plans/p.plan.json`');
    });

    it('lists hazards as a checklist, DATA_LOSS first, merged across cohorts', () => {
      const items = md.split('\n').filter((l) => l.startsWith('- [ ] '));
      expect(items).to.have.length(3);
      expect(items[0]).to.match(/^- \[ \] \*\*DATA_LOSS\*\* `column "User"."legacy"`: drops column/);
      expect(items[0]).to.contain('(c3 step 3; 1 schema)');
      expect(items[1]).to.match(/^- \[ \] \*\*INDEX_BUILD\*\*.*\(c1 step 5, c3 step 6; 25 schemas\)$/);
      expect(md).to.contain('`tm apply` refuses this plan unless `DATA_LOSS` is allowed');
    });

    it('calls out the outlier cohort: few tenants next to the biggest, never the new schemas', () => {
      expect(md).to.contain('### Outliers');
      expect(md).to.match(/^- \*\*c3\*\* \(`tenant_legacy`\): only 1 schema starts from this state, against 24 in cohort c1/m);
      expect(md).to.match(/^\| \*\*c3\*\* ⚠️ outlier \|/m);
      expect(md).to.not.match(/^\| \*\*c2\*\* ⚠️ outlier/m);
      expect(planToJson(plan).summary.outliers).to.deep.equal(['c3']);
    });

    it('says what is backed up before destructive steps, and warns when --skip-backup leaves it out', () => {
      expect(md).to.contain('**Backed up** before the steps, in each tenant\'s transaction (`tm rollback` restores them): `column "User"."legacy"`.');
      const skipped = goldenPlan();
      skipped.settings.skipBackup = true;
      const text = renderPlanMarkdown(skipped);
      expect(text).to.contain('**No backup** (`--skip-backup`): `column "User"."legacy"` cannot be put back by `tm rollback`.');
      expect(text).to.contain('> Made with `--skip-backup`');
      expect(validateJsonOutput(planToJson(skipped))).to.equal(null);
    });

    it('names databases left out by --skip-unreachable, and a rollback’s target, restores and notes', () => {
      const other = goldenPlan();
      other.notPlanned = [{ database: 'eu', reason: 'connection refused', tenants: ['tenant_eu'] }];
      other.rollback = {
        database: 'main',
        schema: 'tenant_legacy',
        target: { planId: '20261120T000000.000Z_add_legacy', kind: 'migrate', name: 'add_legacy', appliedAt: '2026-11-20T00:00:01.000Z' },
        undoes: [
          { planId: '20261120T000000.000Z_add_legacy', kind: 'migrate', name: 'add_legacy', appliedAt: '2026-11-20T00:00:01.000Z' },
          { planId: '20261121T000000.000Z_more', kind: 'migrate', name: 'more', appliedAt: '2026-11-21T00:00:01.000Z' },
        ],
        restores: [{ object: 'column "User"."old"', fromPlanId: '20261121T000000.000Z_more', backupTable: 'b_1', rows: 3 }],
        notes: ['table "Audit" comes back empty'],
      };
      const text = renderPlanMarkdown(other);
      expect(text).to.contain('> Not planned: database `eu` could not be reached (connection refused); its listed tenants: `tenant_eu`.');
      expect(text).to.contain('### Rollback of `tenant_legacy` (database `main`)');
      expect(text).to.contain('Also undoes 1 later plan(s): `more`.');
      expect(text).to.contain('- Puts back column "User"."old": 3 row(s) from backup `b_1`');
      const json = planToJson(other);
      expect(validateJsonOutput(json)).to.equal(null);
      expect(json.not_planned).to.deep.equal([{ database: 'eu', reason: 'connection refused', tenants: ['tenant_eu'] }]);
      expect(json.rollback!.restores).to.deep.equal([{ object: 'column "User"."old"', from_plan_id: '20261121T000000.000Z_more', backup_table: 'b_1', rows: 3 }]);
    });

    it('says "No changes" for a plan without cohorts', () => {
      const none = buildPlan({
        kind: 'migrate',
        name: 'none',
        createdAt: FIXED_CREATED_AT,
        schema: { folder: 'prisma/schema', files: [], hash: 'sha256:' + '0'.repeat(64), text: '' },
        databases: [{ name: 'main', desired: goldenDesired(), tenants: [{ schema: 'tenant_a', model: goldenDesired() }] }],
        lockTimeoutMs: 5000,
      });
      const text = renderPlanMarkdown(none);
      expect(text).to.contain('**No changes. 1 schema already match the Prisma schema.**');
      expect(text).to.not.contain('<details>');
    });

    it('stays under GitHub’s comment limit: SQL, then whole cohorts, are left out past the budget', () => {
      /** `count` cohorts of one tenant each, every one in a state of its own. */
      const fragmented = (count: number) =>
        renderPlanMarkdown(
          buildPlan({
            kind: 'migrate',
            name: 'big',
            createdAt: FIXED_CREATED_AT,
            schema: { folder: 'prisma/schema', files: [], hash: 'sha256:' + '0'.repeat(64), text: '' },
            databases: [
              {
                name: 'main',
                desired: goldenDesired(),
                tenants: Array.from({ length: count }, (_, i) => {
                  const model = goldenOld();
                  model.tables.User.columns[`extra_${i}`] = { type: 'integer', notNull: false, default: null, identity: null, generated: null, collation: null };
                  return { schema: `tenant_${i}`, model };
                }),
              },
            ],
            lockTimeoutMs: 5000,
          }),
        );
      const sqlBlocks = (md: string) => (md.match(/```sql/g) ?? []).length;
      const sections = (md: string) => (md.match(/<details>/g) ?? []).length;

      const small = fragmented(20);
      expect([sqlBlocks(small), sections(small)]).to.deep.equal([20, 20]);

      // Every cohort still has its section; the first ones keep their SQL.
      const medium = fragmented(60);
      expect(medium.length).to.be.lessThan(MARKDOWN_BUDGET);
      expect(sections(medium)).to.equal(60);
      expect(sqlBlocks(medium)).to.be.greaterThan(5).and.lessThan(60);
      expect(medium).to.contain('SQL left out to keep this comment under GitHub’s size limit: `tm show` prints it.');
      expect(medium).to.not.match(/more cohorts/);

      // Past the budget, the remaining cohorts are counted; the table shows the first 50.
      const large = fragmented(400);
      expect(large.length).to.be.lessThan(MARKDOWN_BUDGET);
      expect(large).to.match(/^…and (\d+) more cohorts \(\1 schemas\), left out to keep this comment under GitHub’s size limit/m);
      expect(large).to.contain('| …and 350 more | 350 |');
      expect(large).to.match(/Apply exactly this plan with/);
    });
  });

  describe('JSON', () => {
    const plan = goldenPlan();
    const json = planToJson(plan);

    it('is versioned and matches schemas/plan-json-output.schema.json exactly', () => {
      expect(json.format_version).to.equal(PLAN_JSON_FORMAT_VERSION).and.equal('1.1');
      expect(validateJsonOutput(json)).to.equal(null);
      expect(validateJsonOutput({ ...json, surprise: 1 }), 'the schema lists every field').to.not.equal(null);
    });

    it('carries the plan’s identity, every cohort with its steps, and hazards flattened for tools', () => {
      expect(json.plan).to.deep.include({ id: plan.id, kind: 'migrate', name: 'add_orders', created_at: '2026-11-25T12:00:00.000Z', integrity: plan.integrity });
      expect(json.summary).to.deep.equal({
        tenants: 28,
        to_change: 27,
        to_create: 2,
        unchanged: 1,
        cohorts: 3,
        steps: 18,
        hazards: ['DATA_LOSS', 'INDEX_BUILD', 'MAY_FAIL_ON_DATA'],
        outliers: ['c3'],
      });
      expect(json.cohorts.map((c) => [c.id, c.tenant_count, c.creates_schema, c.outlier])).to.deep.equal([
        ['c1', 24, false, false],
        ['c2', 2, true, false],
        ['c3', 1, false, true],
      ]);
      expect(json.cohorts[2].steps[2]).to.deep.equal({
        index: 3,
        action: 'drop',
        object: 'column "User"."legacy"',
        sql: 'ALTER TABLE "User" DROP COLUMN "legacy"',
        transactional: true,
        hazards: [{ type: 'DATA_LOSS', message: plan.cohorts[2].steps[2].hazards[0].message }],
      });
      expect(json.hazards.filter((h) => h.type === 'DATA_LOSS')).to.deep.equal([
        { type: 'DATA_LOSS', message: plan.cohorts[2].steps[2].hazards[0].message, cohort: 'c3', step: 3, object: 'column "User"."legacy"', tenant_count: 1 },
      ]);
      expect(json.unchanged).to.deep.equal([{ database: 'main', schema: 'tenant_done', fingerprint: plan.unchanged[0].fingerprint }]);
      expect(json.settings).to.deep.equal({ lock_timeout_ms: 5000, skip_backup: false });
      expect(json.scope).to.equal(null);
      expect(json.not_planned).to.deep.equal([]);
      expect(json.rollback).to.equal(null);
      expect(json.cohorts[0].backups).to.deep.equal([]);
      expect(json.cohorts[2].backups).to.deep.equal([
        { object: 'column', table: 'User', column: 'legacy', key: ['id'], columns: ['id', 'legacy'], as_text: [], data_loss: true },
      ]);
      expect(JSON.stringify(json)).to.not.contain('the merged Prisma schema');
    });
  });

  describe('statements once per database (extensions a database lacks)', () => {
    const steps = [makeStep('create', ref.extension('citext'), 'CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "public"')];
    const withSteps = (plan: Plan) => {
      const databaseSteps = [{ database: 'main', steps }];
      const { integrity: _old, ...content } = { ...plan, databaseSteps };
      return { ...content, integrity: planIntegrity(content) };
    };

    it('are shown once, before the cohorts, in every format, and the plan file with them is valid', async () => {
      const plan = withSteps(goldenPlan());
      const text = renderPlanText(plan);
      expect(text).to.contain('Database main: once, before its tenants\n\n  + extension "citext"\n      CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "public";\n');
      expect(text.indexOf('Database main')).to.be.lessThan(text.indexOf('Cohort c1'));
      expect(text).to.match(/in 3 cohorts\. 1 statement once per database first\. Hazards/);
      expect(renderPlanMarkdown(plan)).to.contain('### Database `main`: once, before its tenants\n\n- `CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "public"`\n');
      const json = planToJson(plan);
      expect(json.database_steps).to.deep.equal([{ database: 'main', steps: [{ index: 1, action: 'create', object: 'extension "citext"', sql: steps[0].sql, transactional: true }] }]);
      expect(validateJsonOutput(json)).to.equal(null);
      const shown = await runTm(['show', writeTempPlan(plan)]);
      expect(shown.code, output(shown)).to.equal(0);
      expect(shown.stdout).to.contain('CREATE EXTENSION IF NOT EXISTS "citext"');
    });

    it('are a change on their own: a plan with no tenant to change still has something to apply', () => {
      const desired = goldenDesired();
      const plan = buildPlan({
        kind: 'migrate',
        name: 'extensions',
        createdAt: FIXED_CREATED_AT,
        schema: { folder: 'prisma/schema', files: ['prisma/schema/schema.prisma'], hash: 'sha256:' + 'ab'.repeat(32), text: '' },
        databases: [{ name: 'main', desired, steps, tenants: [{ schema: 'tenant_done', model: desired }] }],
        lockTimeoutMs: 5000,
      });
      expect(plan.databaseSteps).to.deep.equal([{ database: 'main', steps }]);
      expect(planHasChanges(plan)).to.equal(true);
      expect(renderPlanText(plan)).to.match(/^Plan: 0 schemas to change, 1 unchanged, in 0 cohorts\. 1 statement once per database first\.$/m);
      expect(planToJson(goldenPlan()).database_steps).to.deep.equal([]);
    });
  });

  describe('the command', () => {
    const plan = goldenPlan();
    let file = '';
    before(() => (file = writeTempPlan(plan)));

    it('prints each format; text by default; --no-sql shortens text and Markdown', async () => {
      const text = await runTm(['show', file]);
      expect(text.code, output(text)).to.equal(0);
      expect(text.stdout).to.equal(renderShowText(plan, { sql: true, metadataSchema: 'tm' }));
      expect(text.stdout).to.contain('Backups: copied to tm_backup');
      const md = await runTm(['show', file, '--format', 'markdown']);
      expect(md.stdout).to.equal(renderPlanMarkdown(plan, { planPath: path.relative(process.cwd(), file) }));
      const json = await runTm(['show', file, '--format', 'json']);
      expect(JSON.parse(json.stdout)).to.deep.equal(planToJson(plan));
      const short = await runTm(['show', file, '--no-sql']);
      expect(short.stdout).to.not.contain('CREATE TYPE');
      expect(short.stdout).to.contain('+ enum "Role"');
      const mdShort = await runTm(['show', file, '--format', 'markdown', '--no-sql']);
      expect(mdShort.stdout).to.not.contain('```sql');
      expect(mdShort.stdout).to.contain('*SQL not shown.*');
    });

    it('refuses an unknown format, a missing file and an edited plan with exit 1', async () => {
      const bad = await runTm(['show', file, '--format', 'yaml']);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('--format takes text, markdown, json, not "yaml"');
      const missing = await runTm(['show', file + '.nope']);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/Cannot read plan file .*ENOENT/);
      const edited = file.replace(/\.plan\.json$/, '.edited.plan.json');
      writeFileSync(edited, readFileSync(file, 'utf8').replace('DROP COLUMN \\"legacy\\"', 'DROP COLUMN \\"email\\"'));
      const result = await runTm(['show', edited]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain('integrity hash does not match');
      expect(result.stdout).to.equal('');
    });
  });

  describe('against a real plan', () => {
    const db = useFreshDatabase();
    after(removeFleetProjects);

    it('prints as text exactly what tm plan printed', async () => {
      await db.query('create schema tenant_x');
      const project = fleetProject({ tenants: ['tenant_a', 'tenant_b'], discover: ['tenant_*'] });
      const planned = await project.tm(db, ['plan', '--name', 'first', '-o', 'plans/first.plan.json']);
      expect(planned.code, output(planned)).to.equal(0);
      const shown = await project.tm(db, ['show', 'plans/first.plan.json']);
      expect(shown.code, output(shown)).to.equal(0);
      expect(shown.stdout.length).to.be.greaterThan(200);
      expect(planned.stdout.startsWith(shown.stdout), `${planned.stdout}\n---\n${shown.stdout}`).to.equal(true);
      expect(planned.stdout.slice(shown.stdout.length)).to.match(/^\nSaved the plan to /);
    });
  });
});
