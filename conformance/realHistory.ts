/**
 * The `history` oracle of the real corpus: a tenant built by replaying a
 * project's migrations/ as a real fleet has it, then judged by Prisma.
 *
 * Extensions their migrations create are created once, in `public`, before
 * the replay (as real fleets install them once per database), and the
 * migrations run with search_path set to the tenant, then public. Newer Prisma
 * versions qualify names with the schema the migration was made for
 * (`"public"."TaskRun"`): the tenant takes public's place there.
 *
 * Then, comparing the objects each plan changes (touched.ts):
 *  - tm's plan for the tenant contains no object Prisma's engine does not
 *    also want to change (so where Prisma sees no drift, tm's plan is empty);
 *  - every object Prisma wants to change (beyond its baseline, realChecks.ts)
 *    is a real drift of the project's history, listed with its reason in
 *    expectations.json (`real-history`), anything else fails, and an entry
 *    no longer seen is reported stale;
 *  - tm's plan applies and converges (re-plan empty), and Prisma sees no
 *    drift afterwards that it did not see before.
 */
import { fingerprint } from '../src/catalog/fingerprint.js';
import { desiredState } from '../src/desired/index.js';
import { diffSchemas } from '../src/diff/diff.js';
import { tenantTarget } from '../src/diff/equivalence.js';
import { quoteIdent } from '../src/sql/quote.js';
import { runMigration } from './langfuse.js';
import { prismaDrift } from './prismaJudge.js';
import { migrationSql, type ProjectSchema, type RealProject } from './realProjects.js';
import { applySteps, introspect, modelDifferences, oneLine, withClient } from './support.js';
import { touchedObjects } from './touched.js';

const TENANT = 'history';

/** Extensions the migrations create (`CREATE EXTENSION [IF NOT EXISTS] name`). */
export function extensionsIn(sqls: string[]): string[] {
  const names = new Set<string>();
  for (const sql of sqls) {
    for (const m of sql.replace(/--[^\n]*/g, '').matchAll(/CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|\w+)/gi)) names.add(m[1].replace(/"/g, ''));
  }
  return [...names].sort();
}

/** Their SQL with `"public".` qualifiers pointing at the tenant instead. */
export function retargetPublic(sql: string, tenant: string): string {
  return sql.replace(/"public"\s*\./g, `${quoteIdent(tenant)}.`);
}

export interface HistoryOutcome {
  problem?: string;
  note?: string;
  /** One line per object Prisma wants to change (documented or not) and per stale expectation. */
  lines: string[];
}

/**
 * Replays the project's migrations into the tenant; returns why it failed, or
 * undefined. Done first in the project's database: some migrations look for a
 * constraint by name in all of pg_constraint (`IF NOT EXISTS (SELECT 1 FROM
 * pg_constraint WHERE conname = …)`), so other tenants must not exist yet.
 */
export async function replayHistory(project: RealProject, url: string): Promise<string | undefined> {
  return withClient(url, async (client) => {
    const sqls = project.migrations.map((m) => migrationSql(project, m));
    for (const name of extensionsIn(sqls)) await client.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)} SCHEMA public`);
    await client.query(`CREATE SCHEMA ${quoteIdent(TENANT)}`);
    await client.query(`SET search_path TO ${quoteIdent(TENANT)}, public`);
    for (const [i, name] of project.migrations.entries()) {
      try {
        await runMigration(client, retargetPublic(sqls[i], TENANT));
      } catch (error) {
        return `migration ${name} fails: ${oneLine((error as Error).message)}`;
      }
    }
    return undefined;
  });
}

/** Judges the replayed tenant (see the top of this file). */
export async function judgeHistory(project: RealProject, url: string, current: ProjectSchema, baseline: string[], documented: Record<string, string>): Promise<HistoryOutcome> {
  const lines: string[] = [];
  const fail = (problem: string): HistoryOutcome => ({ problem, lines });
  return withClient(url, async (client) => {
    const drift = await prismaDrift(url, TENANT, current.loaded.files);
    const prisma = touchedObjects(drift);
    // Objects whose drift is Prisma's baseline (it sees it in a tenant its own SQL made) need no documenting.
    const beyondBaseline = touchedObjects(drift.filter((s) => !baseline.includes(s)));
    const desired = (await desiredState(current.loaded.files, url, client)).model;
    const actual = (await introspect(client, [TENANT])).get(TENANT)!;
    // Planned as tm plan does: towards the tenant's target (what Prisma sees no drift in is kept).
    const steps = diffSchemas(actual, tenantTarget(actual, desired));
    const tm = touchedObjects(steps.map((s) => s.sql));

    const problems: string[] = [];
    const extra = tm.filter((o) => !prisma.includes(o));
    for (const object of extra) {
      const sql = steps.find((s) => touchedObjects([s.sql]).includes(object))?.sql ?? '';
      lines.push(`TM ONLY     real ${project.name}/history ${object} — tm's plan changes it, Prisma's engine sees no drift in it: ${oneLine(sql, 140)}`);
    }
    if (extra.length) problems.push(`tm's plan changes ${extra.length} objects Prisma's engine sees no drift in (TM ONLY lines)`);
    for (const object of beyondBaseline) {
      const reason = documented[object];
      const sql = drift.find((s) => touchedObjects([s]).includes(object)) ?? '';
      lines.push(
        `${reason ? 'drift       ' : 'UNEXPLAINED '} real ${project.name}/history ${object}${tm.includes(object) ? '' : ' (tm plans nothing for it)'} — ` +
          (reason ? `documented: ${reason}` : `Prisma: ${oneLine(sql, 140)}`),
      );
    }
    const undocumented = beyondBaseline.filter((o) => !documented[o]);
    if (undocumented.length) problems.push(`Prisma sees drift in ${undocumented.length} objects not documented in expectations.json real-history (UNEXPLAINED lines)`);
    for (const key of Object.keys(documented).filter((k) => !beyondBaseline.includes(k))) lines.push(`STALE       real ${project.name}/history ${key} — documented in expectations.json but Prisma no longer wants to change it`);

    try {
      await applySteps(client, [{ schema: TENANT, steps }]);
    } catch (error) {
      problems.push(`apply of tm's plan (${steps.length} steps) fails: ${oneLine((error as Error).message, 240)}`);
      return fail(problems.join(' | '));
    }
    const after = (await introspect(client, [TENANT])).get(TENANT)!;
    const target = tenantTarget(after, desired);
    if (fingerprint(after) !== fingerprint(target)) problems.push(`not converged after tm's plan: ${modelDifferences(target, after, 3).join('; ')}`);
    const again = diffSchemas(after, target);
    if (again.length) problems.push(`re-plan after tm's plan not empty: ${again.slice(0, 3).map((s) => oneLine(s.sql, 100)).join(' ; ')}`);
    const newDrift = touchedObjects(await prismaDrift(url, TENANT, current.loaded.files)).filter((o) => !prisma.includes(o));
    if (newDrift.length) problems.push(`after tm's plan Prisma sees drift it did not see before, in ${newDrift.join(', ')}`);

    const note = `${project.migrations.length} migrations; Prisma sees drift in ${beyondBaseline.length} objects (documented), tm's plan changes ${tm.length} (${steps.length} steps), converged`;
    return problems.length ? fail(problems.join(' | ')) : { note, lines };
  });
}
