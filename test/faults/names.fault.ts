/**
 * Hostile schema names found by `discover` on a real server: every control
 * character PostgreSQL allows in a name (all but NUL), `<!--`, `-->`, `|`,
 * backticks, an `<img onerror>` and a `](javascript:…)` link, each a tenant
 * that tm plans, applies and reports on. No output of any command passes a
 * control character to the terminal, and the plan's pull-request Markdown,
 * rendered as GitHub would, keeps its checklist, SQL and footer and shows no
 * HTML from a name.
 */
import { expect } from 'chai';
import MarkdownIt from 'markdown-it';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { figures } from './figures.js';
import { expectClean } from './support.js';

const NAMES = [
  ...Array.from({ length: 31 }, (_, i) => `n_${(i + 1).toString(16).padStart(2, '0')}_${String.fromCharCode(i + 1)}<!--`),
  'n_q\r<!--',
  'n_-->',
  'n_|cell|',
  'n_`tick``s',
  'n_<img src=x onerror=alert(1)>',
  'n_](javascript:alert(1))',
  'n_\u001b[8mhidden',
  'n_\u001b]0;title\u0007',
];

/** Any control character but the newline: what a terminal would obey. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('faults: hostile schema names through plan, apply, status, drift and show', function () {
  this.timeout(300_000);
  const db = useFreshDatabase('tm_names');
  after(removeFleetProjects);

  it('are printed escaped everywhere, and the Markdown review stays whole', async () => {
    for (const name of NAMES) {
      await db.query(`create schema "${name.replace(/"/g, '""')}"`);
      // A hand-made table each: the plan drops it (DATA_LOSS, a checklist item).
      await db.query(`create table "${name.replace(/"/g, '""')}"."Old<!--\r" (id integer)`);
    }
    const project = fleetProject({
      discover: ['n_*'],
      prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': 'model Note {\n  id Int @id\n}\n' },
    });
    const check = (what: string, result: Awaited<ReturnType<typeof project.tm>>, code = 0) => {
      expectClean(result, what);
      expect(result.code, `${what}\n${output(result)}`).to.equal(code);
      expect(output(result), `${what} passed a control character through`).to.not.match(RAW_CONTROL);
      figures.hostileInputs++;
    };

    const planned = await project.tm(db, ['plan', '--name', 'names', '-o', 'names.plan.json']);
    check('tm plan', planned);
    expect(planned.stdout).to.contain('n_\\x1b[8mhidden').and.to.contain('- table "Old<!--\\r"');

    const md = await project.tm(db, ['show', 'names.plan.json', '--format', 'markdown']);
    check('tm show --format markdown', md);
    const html = new MarkdownIt({ html: true }).render(md.stdout);
    expect(html).to.match(/<h3>Hazards to review<\/h3>/);
    expect(html).to.match(/<li>\[ \] <strong>DATA_LOSS<\/strong> <code>table &quot;Old&lt;!--\\r&quot;<\/code>/);
    expect(html.match(/<pre><code class="language-sql">/g)).to.have.length(JSON.parse((await project.tm(db, ['show', 'names.plan.json', '--format', 'json'])).stdout).cohorts.length);
    expect(html).to.match(/Apply exactly this plan with <code>tm apply names\.plan\.json<\/code>\. Integrity <code>[0-9a-f]{12}<\/code>\.<\/p>\n$/);
    expect(html).to.not.match(/<img|<a[\s>]/i);
    expect(html.match(/<!--/g)).to.have.length(1);

    check('tm show', await project.tm(db, ['show', 'names.plan.json']));
    check('tm apply', await project.tm(db, ['apply', 'names.plan.json', '--allow-hazards', 'DATA_LOSS']));
    const status = await project.tm(db, ['status']);
    check('tm status', status);
    expect(status.stdout).to.contain('n_\\x1b]0;title\\x07');
    // Drift: a hand-made column with a hostile name in one tenant.
    await db.query(`alter table "n_\u001b[8mhidden"."Note" add column "x\u001b[2J\r" integer`);
    const drift = await project.tm(db, ['drift', '--prune']);
    check('tm drift', drift, 2);
    expect(drift.stdout).to.contain('column "Note"."x\\x1b[2J\\r"');
    check('tm backups list', await project.tm(db, ['backups', 'list']));
  });
});
