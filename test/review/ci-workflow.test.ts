/**
 * examples/ci/tm.yml, without the Actions runner: the workflow's `run:` steps
 * that call tm are read from the YAML and run with bash as Actions runs them
 * (`bash --noprofile --norc -eo pipefail`), with the workflow's, job's and
 * step's `env:` (each `${{ }}` expression replaced by a test value) and the
 * runner's files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY), against the test
 * database: a pull request plans and renders, the merge applies exactly the
 * uploaded plan in a fresh checkout, the nightly job detects drift.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { TM_BIN } from '../harness/cli.js';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, historyRows, REPO_ROOT, removeFleetProjects, replaceOnce, tablesOf, type FleetProject } from '../support/fleet.js';

const WORKFLOW = path.join(REPO_ROOT, 'examples', 'ci', 'tm.yml');
/** A line of a run script that calls tm. */
const CALLS_TM = /(^|[\s;&|(])tm (plan|show|apply|drift|status|validate)\b/m;

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, any>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;

interface StepResult {
  name: string;
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}

interface JobRun {
  steps: StepResult[];
  /** What the job wrote to $GITHUB_STEP_SUMMARY. */
  summary: string;
  ok: boolean;
}

/** `${{ expr }}` → the test's value for expr; an expression the test does not know is a test failure. */
function expand(value: string, expressions: Record<string, string>): string {
  return String(value).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in expressions)) throw new Error(`the test has no value for \${{ ${expr} }} (add it to the expressions)`);
    return expressions[expr];
  });
}

function expandAll(env: Record<string, string> | undefined, expressions: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, expand(v, expressions)]));
}

/** A folder with a `tm` that runs this repository's bin/tm.js, as `node_modules/.bin` does in a project. */
function tmShim(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-ci-bin-'));
  writeFileSync(path.join(dir, 'tm'), `#!/bin/sh\nexec "${process.execPath}" "${TM_BIN}" "$@"\n`);
  chmodSync(path.join(dir, 'tm'), 0o755);
  return dir;
}

function runScript(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the job's steps that call tm, in order, as Actions would: after a failure only `if: always()` steps. */
async function runJob(jobName: string, cwd: string, expressions: Record<string, string>): Promise<JobRun> {
  const job = workflow.jobs[jobName];
  const runner = mkdtempSync(path.join(os.tmpdir(), 'tm-ci-runner-'));
  const summaryFile = path.join(runner, 'summary.md');
  writeFileSync(summaryFile, '');
  const shim = tmShim();
  const result: JobRun = { steps: [], summary: '', ok: true };
  for (const step of job.steps) {
    if (!step.run || !CALLS_TM.test(step.run)) continue;
    if (!result.ok && !(step.if ?? '').includes('always()')) continue;
    const outputFile = path.join(runner, `output-${result.steps.length}`);
    writeFileSync(outputFile, '');
    const env: Record<string, string> = {
      PATH: `${shim}:${process.env.PATH}`,
      HOME: process.env.HOME ?? os.tmpdir(),
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...expandAll(workflow.env, expressions),
      ...expandAll(job.env, expressions),
      ...expandAll(step.env, expressions),
    };
    const run = await runScript(step.run, cwd, env);
    const outputs = Object.fromEntries(
      readFileSync(outputFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    result.steps.push({ name: step.name ?? step.run.split('\n')[0], ...run, outputs });
    if (run.code !== 0) result.ok = false;
  }
  result.summary = readFileSync(summaryFile, 'utf8');
  rmSync(runner, { recursive: true, force: true });
  rmSync(shim, { recursive: true, force: true });
  return result;
}

function step(run: JobRun, name: string): StepResult {
  const found = run.steps.find((s) => s.name === name);
  if (!found) throw new Error(`step "${name}" did not run; ran: ${run.steps.map((s) => s.name).join(', ')}`);
  return found;
}

function describeRun(run: JobRun): string {
  return run.steps.map((s) => `--- ${s.name} (exit ${s.code})\n${s.stdout}${s.stderr}`).join('\n');
}

/** A checkout of the project: tenants.yaml reads DATABASE_URL, as the workflow expects. */
function checkout(tenants: string[]): FleetProject {
  const project = fleetProject({ tenants });
  writeFileSync(path.join(project.dir, 'tenants.yaml'), `databases:\n  main:\n    url: env(DATABASE_URL)\n    tenants:\n${tenants.map((t) => `      - ${t}\n`).join('')}`);
  return project;
}

/** What `gh run download --name tm-plan` puts in a fresh checkout: the files the plan job uploaded. */
function downloadArtifact(from: FleetProject, to: FleetProject): void {
  const upload = workflow.jobs.plan.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
  cpSync(path.join(from.dir, String(upload.with!.path)), path.join(to.dir, 'tm-plan'), { recursive: true });
}

function expressions(db: FreshDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'secrets.STAGING_DATABASE_URL': db.url,
    'github.event.pull_request.number': '42',
    'github.token': 'not-used-by-tm-steps',
    'steps.pr.outputs.allow_hazards': '',
    'steps.pr.outputs.run_id': '1',
    ...extra,
  };
}

describe('examples/ci/tm.yml', function () {
  this.timeout(180_000);

  describe('the workflow file', () => {
    it('plans on pull requests, applies on push to main, checks drift on a schedule', () => {
      expect(workflow.on).to.have.keys('pull_request', 'push', 'schedule', 'workflow_dispatch');
      expect(workflow.on.push.branches).to.deep.equal(['main']);
      expect(workflow.on.schedule[0].cron).to.match(/^\S+ \S+ \* \* \*$/);
      expect(workflow.env!.DATABASE_URL).to.equal('${{ secrets.STAGING_DATABASE_URL }}');
      expect(workflow.jobs.plan.if).to.contain("github.event_name == 'pull_request'");
      expect(workflow.jobs.apply.if).to.equal("github.event_name == 'push'");
      expect(workflow.jobs.drift.if).to.contain("github.event_name == 'schedule'");
    });

    it('uploads the plan as an artifact and applies that artifact, not a new plan', () => {
      const upload = workflow.jobs.plan.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
      expect(upload?.with).to.deep.include({ name: 'tm-plan', path: 'tm-plan/' });
      const applySteps = workflow.jobs.apply.steps.filter((s) => s.run).map((s) => s.run!);
      expect(applySteps.join('\n')).to.contain('gh run download "$RUN_ID" --name tm-plan --dir tm-plan');
      expect(applySteps.join('\n')).to.not.match(/tm plan/);
      expect(applySteps.join('\n')).to.match(/tm apply tm-plan\/plan\.json/);
      expect(workflow.jobs.plan.steps.some((s) => s.run?.includes('gh pr comment "$PR_NUMBER" --body-file tm-plan/plan.md'))).to.equal(true);
    });

    it('keeps ${{ }} out of the run scripts that call tm (they read env only)', () => {
      const tmSteps = Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.run && CALLS_TM.test(s.run)));
      expect(tmSteps.length).to.be.greaterThan(4);
      for (const s of tmSteps) expect(s.run, s.name).to.not.contain('${{');
    });
  });

  describe('its tm steps against the test database', () => {
    const db = useFreshDatabase();
    after(removeFleetProjects);

    it('pull request → comment and artifact; merge → applies that artifact; nightly → drift', async () => {
      // The pull request: two new tenants.
      const pr = checkout(['ci_a', 'ci_b']);
      const plan = await runJob('plan', pr.dir, expressions(db));
      expect(plan.ok, describeRun(plan)).to.equal(true);
      expect(plan.steps.map((s) => s.name)).to.deep.equal(['Validate the Prisma folder and tenants.yaml', 'Plan', 'Render the plan for review']);
      expect(step(plan, 'Plan').outputs).to.deep.equal({ exitcode: '2' });
      expect(step(plan, 'Plan').stdout).to.match(/^Plan: 2 schemas to change \(2 new\), 0 unchanged, in 1 cohort\.$/m);
      const planFile = JSON.parse(readFileSync(path.join(pr.dir, 'tm-plan', 'plan.json'), 'utf8'));
      expect(planFile.name).to.equal('pr_42');
      const comment = readFileSync(path.join(pr.dir, 'tm-plan', 'plan.md'), 'utf8');
      expect(comment.startsWith('<!-- tm-plan -->\n')).to.equal(true);
      expect(comment).to.contain('**Plan: 2 schemas to change (2 new), 0 unchanged, in 1 cohort.**');
      expect(plan.summary).to.equal(comment);
      expect(JSON.parse(readFileSync(path.join(pr.dir, 'tm-plan', 'plan.show.json'), 'utf8')).plan.id).to.equal(planFile.id);

      // The merge: a fresh checkout with the downloaded artifact applies it.
      const main = checkout(['ci_a', 'ci_b']);
      downloadArtifact(pr, main);
      const apply = await runJob('apply', main.dir, expressions(db));
      expect(apply.ok, describeRun(apply)).to.equal(true);
      expect(step(apply, 'Apply the reviewed plan').stdout).to.contain('Apply complete: 2 applied, 0 already applied, 0 stale, 0 failed');
      expect(await tablesOf(db, 'ci_a')).to.include('User');
      expect((await historyRows(db, planFile.id)).map((r) => r.tenant_schema)).to.deep.equal(['ci_a', 'ci_b']);

      // Nightly: no drift, then a column added by hand.
      const nightly = checkout(['ci_a', 'ci_b']);
      const clean = await runJob('drift', nightly.dir, expressions(db));
      expect(clean.ok, describeRun(clean)).to.equal(true);
      expect(clean.summary).to.contain('### tm drift').and.contain('No drift: 2 schemas match the Prisma folder.');
      await db.query('ALTER TABLE ci_a."User" ADD COLUMN legacy integer');
      const drifted = await runJob('drift', nightly.dir, expressions(db));
      expect(drifted.ok).to.equal(false);
      expect(step(drifted, 'Drift check').code).to.equal(2);
      expect(step(drifted, 'Drift check').stdout).to.contain('::error title=tm drift::');
      expect(drifted.summary).to.match(/^  extra    column "User"\."legacy": integer$/m);
      expect(step(drifted, 'Drift report for tools').code, 'always() runs it after the failure').to.equal(0);
      const report = JSON.parse(readFileSync(path.join(nightly.dir, 'tm-drift', 'drift.json'), 'utf8'));
      expect(report.summary).to.deep.include({ drifted: 1, extra: 1 });
    });

    it('a DATA_LOSS plan: exit code 3 is not a failure, apply refuses it without the label and runs it with', async () => {
      const pr = checkout(['ci_a', 'ci_b']);
      pr.writePrisma('user.prisma', replaceOnce(pr.readPrisma('user.prisma'), '  name      String?\n', ''));
      const plan = await runJob('plan', pr.dir, expressions(db, { 'github.event.pull_request.number': '43' }));
      expect(plan.ok, describeRun(plan)).to.equal(true);
      expect(step(plan, 'Plan').outputs, describeRun(plan)).to.deep.equal({ exitcode: '3' });
      expect(plan.summary).to.match(/^- \[ \] \*\*DATA_LOSS\*\* `column "User"."name"`/m);

      const main = checkout(['ci_a', 'ci_b']);
      downloadArtifact(pr, main);
      const refused = await runJob('apply', main.dir, expressions(db));
      expect(refused.ok).to.equal(false);
      const refusal = step(refused, 'Apply the reviewed plan');
      expect(refusal.code).to.equal(1);
      expect(refusal.stderr).to.contain('The plan has steps with DATA_LOSS').and.contain('--allow-hazards DATA_LOSS');
      expect(await columnsOf(db, 'ci_b', 'User')).to.have.property('name');

      const labelled = await runJob('apply', main.dir, expressions(db, { 'steps.pr.outputs.allow_hazards': 'DATA_LOSS' }));
      expect(labelled.ok, describeRun(labelled)).to.equal(true);
      expect(step(labelled, 'Apply the reviewed plan').stdout).to.match(/^Accepted hazards: DATA_LOSS by --allow-hazards/m);
      expect(await columnsOf(db, 'ci_b', 'User')).to.not.have.property('name');
    });

    it('a plan that cannot run fails the job at the Plan step, before anything is rendered or uploaded', async () => {
      const pr = checkout(['ci_a']);
      const broken = { ...expressions(db), 'secrets.STAGING_DATABASE_URL': db.url.replace(/\/[^/]*$/, '/no_such_database') };
      const plan = await runJob('plan', pr.dir, broken);
      expect(plan.ok).to.equal(false);
      expect(plan.steps.map((s) => [s.name, s.code])).to.deep.equal([
        ['Validate the Prisma folder and tenants.yaml', 0],
        ['Plan', 1],
      ]);
      expect(step(plan, 'Plan').stderr).to.contain('Cannot connect to database "main"');
      expect(existsSync(path.join(pr.dir, 'tm-plan', 'plan.md'))).to.equal(false);
    });
  });
});

