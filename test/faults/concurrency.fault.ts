/**
 * Concurrency: two, then five tm processes (apply, migrate --force,
 * reset --force) started at once against the same database. Exactly one works
 * at a time (the history rows of different runs never interleave, in id order
 * or in time), none deadlocks (all end by themselves), each says what it did,
 * and no history row is lost: every tenant's rows form an unbroken chain of
 * fingerprints from where it started to where it is now, and their number is
 * the sum of what the runs report as applied.
 *
 * Extends test/apply/lock.test.ts (two applies of one plan).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, DB_ENV, fleetProject, output, removeFleetProjects, type FleetProject } from '../support/fleet.js';
import { faultInjected, figures } from './figures.js';
import { expectClean, fingerprintsOf, startTm } from './support.js';
import type { TmResult } from '../harness/cli.js';

const NOTES = `model Note {
  id    Int    @id @default(autoincrement())
  title String
}
`;
const WITH_BODY = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
}
`;
const WITH_RANK = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
  rank  Int     @default(0)

  @@index([rank])
}
`;

const WITH_FLAG = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
  flag  Boolean @default(false)
}
`;

const TENANTS = Array.from({ length: 24 }, (_, i) => `cc_${String(i + 1).padStart(2, '0')}`);

interface HistoryRow {
  id: number;
  tenant_schema: string;
  plan_id: string;
  before_fingerprint: string;
  after_fingerprint: string;
  applied_at: Date;
}

describe('faults: simultaneous tm apply / migrate / reset against one database', function () {
  this.timeout(600_000);
  const db = useFreshDatabase('tm_fault_concurrency');
  let project: FleetProject;
  /** Each tenant's fingerprint before the concurrent runs start: the start of its chain. */
  let start: Map<string, string>;
  let firstNewId = 0;

  before(async () => {
    project = fleetProject({ tenants: TENANTS, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    const base = await project.tm(db, ['migrate', 'base', '--force']);
    expect(base.code, output(base)).to.equal(0);
    for (const t of TENANTS) await db.query(`insert into ${t}."Note"(title) select '${t} ' || g from generate_series(1, 40) g`);
  });
  after(removeFleetProjects);

  async function history(): Promise<HistoryRow[]> {
    return (await db.query(`select id::int, tenant_schema, plan_id, before_fingerprint, after_fingerprint, applied_at from tm.history where id >= $1 order by id`, [firstNewId]))
      .rows;
  }

  async function begin(): Promise<void> {
    start = await fingerprintsOf(db.url, TENANTS);
    firstNewId = (await db.query(`select coalesce(max(id), 0)::int + 1 as next from tm.history`)).rows[0].next;
  }

  /** Runs the commands at once (in the project, or `other:`-prefixed in the other one); none may hang (each is killed after two minutes, which fails the test). */
  async function together(commands: string[][], other?: FleetProject): Promise<TmResult[]> {
    const runs = commands.map((args) =>
      args[0] === 'other:' ? startTm(args.slice(1), { cwd: other!.dir, env: { [DB_ENV]: db.url } }) : startTm(args, { cwd: project.dir, env: { [DB_ENV]: db.url } }),
    );
    faultInjected('simultaneous tm runs', runs.length);
    const timers = runs.map((r) => setTimeout(() => r.child.kill('SIGKILL'), 120_000));
    const results = await Promise.all(runs.map((r) => r.done));
    timers.forEach(clearTimeout);
    results.forEach((r, i) => expectClean(r, `tm ${commands[i].join(' ')} (no deadlock: it ended by itself)`));
    return results;
  }

  /** `N applied` of a run's summary (0 when it applied nothing: no changes, refused). */
  function appliedBy(result: TmResult): number {
    const m = /Apply (?:complete|incomplete): (\d+) applied/.exec(result.stdout);
    return m ? Number(m[1]) : 0;
  }

  /** The invariants of one round of concurrent runs. */
  async function checkRound(results: TmResult[], commands: string[][]): Promise<HistoryRow[]> {
    const rows = await history();
    // One run at a time: a plan's rows are contiguous by id, and runs' time spans do not overlap.
    const order: string[] = [];
    for (const r of rows) if (order[order.length - 1] !== r.plan_id) order.push(r.plan_id);
    expect(order.length, `the rows of each plan are contiguous: ${order.join(', ')}`).to.equal(new Set(order).size);
    const spans = order.map((planId) => {
      const mine = rows.filter((r) => r.plan_id === planId).map((r) => r.applied_at.getTime());
      return { planId, from: Math.min(...mine), to: Math.max(...mine) };
    });
    for (let i = 1; i < spans.length; i++) expect(spans[i].from, `${spans[i].planId} started after ${spans[i - 1].planId} ended`).to.be.at.least(spans[i - 1].to);

    // No lost rows: the runs' "applied" add up to the rows written, and every tenant's rows chain from its start to its present.
    expect(results.reduce((n, r) => n + appliedBy(r), 0), 'rows written = tenants the runs say they applied').to.equal(rows.length);
    const now = await fingerprintsOf(db.url, TENANTS);
    for (const t of TENANTS) {
      let at = start.get(t)!;
      for (const r of rows.filter((x) => x.tenant_schema === t)) {
        expect(r.before_fingerprint, `${t}: row ${r.id} (${r.plan_id}) starts where the previous one ended`).to.equal(at);
        at = r.after_fingerprint;
      }
      expect(now.get(t), `${t}: its last row ends where it is now`).to.equal(at);
    }
    figures.schemasChecked += TENANTS.length;

    // Each run ended in a way it explains: done, nothing to do, or refused because another run changed the tenants first.
    results.forEach((r, i) => {
      const what = `tm ${commands[i].join(' ')}`;
      if (r.code === 0) return;
      expect(r.code, `${what}\n${output(r)}`).to.equal(1);
      expect(output(r), `${what} says why`).to.match(
        /is not in a state this plan knows|skipped as stale|changed since the plan was made|Could not acquire migration lock/,
      );
    });
    return rows;
  }

  it('two at once (tm migrate --force twice): one applies, the other finds it done; one row per tenant', async () => {
    await begin();
    project.writePrisma('notes.prisma', WITH_BODY);
    const commands = [
      ['migrate', 'add_body', '--force', '--lock-wait', '60s', '--parallelism', '2'],
      ['migrate', 'add_body', '--force', '--lock-wait', '60s', '--parallelism', '2'],
    ];
    const results = await together(commands);
    for (const r of results) expect(r.code, output(r)).to.equal(0);
    const rows = await checkRound(results, commands);
    expect(rows).to.have.length(TENANTS.length);
    expect(new Set(rows.map((r) => r.tenant_schema)).size).to.equal(TENANTS.length);
  });

  it('five at once (apply ×2, migrate ×2 towards different schemas, reset): serialised, no deadlock, no lost history row', async () => {
    project.writePrisma('notes.prisma', WITH_RANK);
    // A second checkout of the project whose Prisma folder wants something else: its migrate competes with the others.
    const other = fleetProject({ tenants: TENANTS, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': WITH_FLAG } });
    const planned = await project.tm(db, ['plan', '--no-sql', '--name', 'add_rank', '-o', 'rank.plan.json']);
    expect(planned.code, output(planned)).to.equal(0);
    const plan = JSON.parse(readFileSync(path.join(project.dir, 'rank.plan.json'), 'utf8'));
    await begin();
    const commands = [
      ['apply', 'rank.plan.json', '--lock-wait', '60s', '--parallelism', '2'],
      ['migrate', 'add_rank', '--force', '--lock-wait', '60s', '--parallelism', '2'],
      ['reset', '--schema', 'cc_05', '--force', '--lock-wait', '60s'],
      ['apply', 'rank.plan.json', '--lock-wait', '60s', '--parallelism', '3'],
      ['other:', 'migrate', 'add_flag', '--force', '--lock-wait', '60s'],
    ];
    const results = await together(commands, other);
    const rows = await checkRound(results, commands);
    results.forEach((r, i) => {
      const why = /is not in a state this plan knows|skipped as stale|No changes/.exec(output(r))?.[0] ?? '';
      console.log(`      ${commands[i].slice(0, 4).join(' ')}: exit ${r.code}, ${appliedBy(r)} applied${why ? ` (${why})` : ''}`);
    });
    // Whatever the order, the first run to get the lock changed every tenant it covers.
    expect(rows.length).to.be.at.least(1);
    void plan;
    // Data survived everywhere but in the tenant that was reset (whose rows are in its backup).
    const { rows: counts } = await db.query(
      TENANTS.filter((t) => t !== 'cc_05')
        .map((t) => `select '${t}' as t, count(*)::int as n from ${t}."Note"`)
        .join(' union all '),
    );
    for (const c of counts) expect(c.n, c.t).to.equal(40);
    figures.rowsVerified += counts.reduce((n, c) => n + c.n, 0);
    const resetRun = results[2];
    if (resetRun.code === 0 && appliedBy(resetRun) === 1) {
      const { rows: backups } = await db.query(`select sum(row_count)::int as n from tm.backups where tenant_schema = 'cc_05' and table_name = 'Note'`);
      expect(backups[0].n).to.equal(40);
    }
  });
});
