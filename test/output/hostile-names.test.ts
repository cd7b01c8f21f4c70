/**
 * Names that would break the review: PostgreSQL names hold any character but
 * NUL, and `discover` finds whatever schemas a database has. A schema called
 * `tenant_q\r<!--` must not hide the rest of a pull-request comment, a
 * `<img onerror>` must stay text, and an ESC sequence in a name must not reach
 * the terminal (ESC[8m conceals everything after it).
 */
import { expect } from 'chai';
import MarkdownIt from 'markdown-it';
import { buildPlan, type DatabaseState } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/types.js';
import { runTm } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { column, FIXED_CREATED_AT, goldenDesired, goldenOld, writeTempPlan } from '../support/synthetic-plan.js';

const CONTROL_NAMES = Array.from({ length: 32 }, (_, code) => `tenant_${code.toString(16).padStart(2, '0')}_${String.fromCharCode(code)}<!--x`);
const MARKUP_NAMES = [
  'tenant_q\r<!--',
  'tenant_-->',
  'tenant_|cell|',
  'tenant_`tick``s```',
  'tenant_<img src=x onerror=alert(1)>',
  'tenant_[x](javascript:alert(1))',
  'tenant_](javascript:alert(1))',
  'tenant_<script>alert(1)</script>',
  'tenant_&lt;img src=x&gt;',
];

/**
 * A plan whose every cohort has hostile tenant names: most tenants in the
 * usual state (c1), new schemas (c2), and an outlier whose hand-made column,
 * itself hostily named, is dropped (a DATA_LOSS item in the checklist).
 */
function hostilePlan(): Plan {
  const names = [...CONTROL_NAMES, ...MARKUP_NAMES];
  const tenants: DatabaseState['tenants'] = names.map((schema) => ({ schema, model: goldenOld() }));
  tenants.push({ schema: 'tenant_new\r<!--', model: undefined }, { schema: 'tenant_new_<img src=x onerror=alert(2)>', model: undefined });
  const drifted = goldenOld();
  drifted.tables.User.columns['legacy\r<!--`|<img src=x onerror=alert(3)>'] = column('integer', false);
  tenants.push({ schema: 'tenant_drift\r\u001b[8m<!--', model: drifted });
  return buildPlan({
    kind: 'migrate',
    name: 'hostile',
    createdAt: FIXED_CREATED_AT,
    schema: { folder: 'prisma/schema', files: ['prisma/schema/schema.prisma'], hash: 'sha256:' + 'ab'.repeat(32), text: '// hostile' },
    databases: [{ name: 'main', desired: goldenDesired(), tenants }],
    lockTimeoutMs: 5000,
  });
}

/** HTML text content as a reader sees it (code blocks hold entities). */
function decode(html: string): string {
  return html.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('hostile names in the review', function () {
  this.timeout(120_000);
  after(removeFleetProjects);

  describe('the Markdown of `tm show --format markdown`, rendered as GitHub would', () => {
    const plan = hostilePlan();
    let md = '';
    let html = '';
    before(async () => {
      const result = await runTm(['show', writeTempPlan(plan), '--format', 'markdown']);
      expect(result.code, result.stderr).to.equal(0);
      md = result.stdout;
      html = new MarkdownIt({ html: true }).render(md);
    });

    it('is the plan the test meant: three cohorts, an outlier, a DATA_LOSS hazard', () => {
      expect(plan.cohorts).to.have.length(3);
      expect(plan.summary.hazards).to.include('DATA_LOSS');
    });

    it('shows the hazards checklist, every cohort’s SQL and the integrity footer', () => {
      expect(html).to.match(/<h3>Hazards to review<\/h3>/);
      expect(html).to.match(/<li>\[ \] <strong>DATA_LOSS<\/strong> <code>column &quot;User&quot;\.&quot;legacy\\r&lt;!--`\|&lt;img src=x onerror=alert\(3\)&gt;&quot;<\/code>/);
      const blocks = [...html.matchAll(/<pre><code class="language-sql">([\s\S]*?)<\/code><\/pre>/g)].map((m) => decode(m[1]));
      expect(blocks).to.have.length(plan.cohorts.length);
      plan.cohorts.forEach((cohort, i) => {
        for (const step of cohort.steps) expect(blocks[i], `${cohort.id}: ${step.object}`).to.contain(step.sql.replace(/\r/g, '\\r') + ';');
      });
      expect(html).to.match(/<p>Apply exactly this plan with <code>tm apply [^<]+<\/code>\. Integrity <code>[0-9a-f]{12}<\/code>\.<\/p>\n$/);
    });

    it('lets no name open HTML, a comment, a link or a table cell', () => {
      expect(html).to.not.match(/<img|<script|<a[\s>]|javascript:[^<]*<\/a>/i);
      // The only comment is tm's own marker, closed at once.
      expect(html.match(/<!--/g)).to.have.length(1);
      expect(html.startsWith('<!-- tm-plan -->\n')).to.equal(true);
      // The cohort table keeps its six columns in every row.
      const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => (m[1].match(/<t[dh][\s>]/g) ?? []).length);
      expect(rows).to.deep.equal([7, 7, 6, 6, 6, 6]);
    });

    it('shows each name with its control characters visible', () => {
      expect(html).to.contain('<code>tenant_q\\r&lt;!--</code>');
      expect(html).to.contain('<code>tenant_1b_\\x1b&lt;!--x</code>');
      expect(html).to.contain('<code>tenant_00_\\x00&lt;!--x</code>');
      expect(html).to.contain('<code>tenant_&lt;img src=x onerror=alert(1)&gt;</code>');
      expect(md).to.not.match(/[\u0000-\u0009\u000b-\u001f]/);
    });
  });

  describe('on the terminal', () => {
    const db = useFreshDatabase();
    const hidden = 'tenant_\u001b[8m\rEVIL';

    it('`tm show` prints a name’s ESC and CR escaped', async () => {
      const plan = hostilePlan();
      const result = await runTm(['show', writeTempPlan(plan)]);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.not.match(/[\u0000-\u0009\u000b-\u001f]/);
      expect(result.stdout).to.contain('tenant_00_\\x00<!--x, tenant_01_\\x01<!--x');
      expect(result.stdout).to.contain('tenant_drift\\r\\x1b[8m<!--');
      expect(result.stdout).to.contain('- column "User"."legacy\\r<!--`|<img src=x onerror=alert(3)>"');
    });

    it('an error message quoting a name prints its ESC and CR escaped', async () => {
      const result = await runTm(['show', 'gone\u001b[8m\r.plan.json']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain('gone\\x1b[8m\\r.plan.json').and.to.not.match(/[\u0000-\u0009\u000b-\u001f]/);
    });

    it('`tm plan` prints a discovered schema’s ESC and CR escaped', async () => {
      await db.query(`create schema "${hidden}"`);
      await db.query(`create table "${hidden}"."Old\u001b]0;title\u0007" (id integer)`);
      const project = fleetProject({ discover: ['tenant_*'], prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK + '\nmodel Note {\n  id Int @id\n}\n' } });
      const result = await project.tm(db, ['plan', '--name', 'hostile']);
      expect(result.code, output(result)).to.equal(0);
      expect(result.stdout + result.stderr).to.not.match(/[\u0000-\u0009\u000b-\u001f]/);
      expect(result.stdout).to.contain('tenant_\\x1b[8m\\rEVIL');
      expect(result.stdout).to.contain('table "Old\\x1b]0;title\\x07"');
    });
  });
});
