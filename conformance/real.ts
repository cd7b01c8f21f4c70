/**
 * The `real` corpus: real open-source Prisma projects (../shared/corpus/real,
 * see realProjects.ts), with Prisma's own schema engine as the judge
 * (prismaJudge.ts). Three oracles per project, each a case, all in one
 * database of the project's own:
 *
 *  new      3 new tenants planned from `current/` converge, re-plan empty,
 *           and Prisma sees no drift in any of them.
 *  older    3 tenants made by Prisma's own SQL for `older/`, with rows, moved
 *           to `current/` by tm's plan: see realOlder.ts.
 *  history  a tenant built by replaying `migrations/`: see realHistory.ts.
 *
 * "Prisma sees no drift" is measured against Prisma's baseline: the drift its
 * engine sees in a tenant its own SQL made from `current/` (realChecks.ts).
 *
 * tm's planning runs as in the other corpora (desiredState, diffSchemas,
 * applySteps: what `tm plan` and `tm apply` do per tenant).
 */
import type pg from 'pg';
import { emptySchemaModel, type SchemaModel } from '../src/catalog/model.js';
import { desiredState } from '../src/desired/index.js';
import { diffSchemas } from '../src/diff/diff.js';
import type { Expectations } from './expectations.js';
import { applyTo, checkConverged, prismaBaseline, Problems } from './realChecks.js';
import { judgeHistory, replayHistory } from './realHistory.js';
import { olderOracle } from './realOlder.js';
import { loadVersion, type ProjectSchema, type RealProject } from './realProjects.js';
import { createScratchDatabase, oneLine, withClient, type CaseResult } from './support.js';

export const REAL_CORPUS = 'real';
export const ORACLES = ['new', 'older', 'history'] as const;
export type Oracle = (typeof ORACLES)[number];

const TENANTS = 3;

export interface ProjectReport {
  results: CaseResult[];
  /** Lines to print after the cases: edits made to the corpus files, Prisma's baseline, history drift. */
  notes: string[];
  /** Wall time of the project, all oracles. */
  ms: number;
}

async function newOracle(client: pg.Client, url: string, current: ProjectSchema, desired: SchemaModel, baseline: string[]): Promise<string | undefined> {
  const problems = new Problems();
  const steps = diffSchemas(emptySchemaModel(), desired);
  for (let i = 1; i <= TENANTS; i++) {
    const tenant = `new_${i}`;
    if (await applyTo(client, tenant, steps, true, problems)) await checkConverged(client, url, tenant, desired, current.loaded.files, baseline, problems);
  }
  return problems.size ? problems.toString() : undefined;
}

/** Runs the three oracles of one project in a database of its own. */
export async function runProject(project: RealProject, adminUrl: string, expectations: Expectations): Promise<ProjectReport> {
  const projectStarted = performance.now();
  const report: ProjectReport = { results: [], notes: [], ms: 0 };
  const record = (oracle: Oracle, started: number, problem: string | undefined, note?: string) =>
    report.results.push({
      corpus: REAL_CORPUS,
      id: `${project.name}/${oracle}`,
      outcome: problem ? 'fail' : 'pass',
      reason: problem ?? note,
      ms: Math.round(performance.now() - started),
    });
  const guarded = async (oracle: Oracle, fn: () => Promise<{ problem?: string; note?: string }>, earlierMs = 0) => {
    const started = performance.now() - earlierMs;
    try {
      const { problem, note } = await fn();
      record(oracle, started, problem, note);
    } catch (error) {
      record(oracle, started, `error: ${oneLine((error as Error).message, 300)}`);
    }
  };

  let current: ProjectSchema;
  let older: ProjectSchema;
  try {
    [current, older] = [await loadVersion(project, 'current'), await loadVersion(project, 'older')];
  } catch (error) {
    for (const oracle of ORACLES) record(oracle, performance.now(), `cannot load the schema: ${oneLine((error as Error).message, 300)}`);
    report.ms = performance.now() - projectStarted;
    return report;
  }
  const edits = [...current.edits, ...older.edits];
  if (edits.length) report.notes.push(`real ${project.name}: tm's loader warned: ${edits.join('; ')}`);

  let baseline: string[] = [];
  const db = await createScratchDatabase(adminUrl, `real_${project.name.replace(/\W/g, '')}`);
  try {
    const replayStarted = performance.now();
    const replayProblem = await replayHistory(project, db.url).catch((error: Error) => `error: ${oneLine(error.message, 300)}`);
    const replayMs = performance.now() - replayStarted;
    await withClient(db.url, async (client) => {
      let desired: SchemaModel;
      try {
        desired = (await desiredState(current.loaded.files, db.url, client)).model;
      } catch (error) {
        for (const oracle of ['new', 'older'] as const) record(oracle, performance.now(), `desired state of current/: ${oneLine((error as Error).message, 300)}`);
        return;
      }
      // Drift Prisma's engine sees in a tenant its own SQL made: not held against tm.
      baseline = await prismaBaseline(client, db.url, current.loaded.files, 'prisma_made');
      if (baseline.length) report.notes.push(`real ${project.name}: Prisma's engine sees drift in a tenant its own SQL made (its baseline, not held against tm): ${baseline.map((s) => oneLine(s, 120)).join(' ; ')}`);
      await guarded('new', async () => ({ problem: await newOracle(client, db.url, current, desired, baseline) }));
      await guarded('older', () => olderOracle(client, db.url, current, desired, older, baseline));
    });
    await guarded('history', async () => {
      if (replayProblem) return { problem: replayProblem };
      const history = await judgeHistory(project, db.url, current, baseline, expectations.realHistory[project.name] ?? {});
      report.notes.push(...history.lines);
      return history;
    }, replayMs);
  } finally {
    await db.drop().catch(() => {});
  }
  report.ms = performance.now() - projectStarted;
  return report;
}
