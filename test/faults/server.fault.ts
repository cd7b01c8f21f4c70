/**
 * Server faults, on a throwaway PostgreSQL server of this file's own (it is
 * restarted): the server restarted mid-apply, tm's connections terminated
 * (the lock connection alone, the workers alone, the planner's), a statement
 * blocked by another session's lock (lock_timeout, retry, clear failure), and
 * backups that cannot be written (no CREATE on the database, a backup schema
 * owned by someone else, a tablespace whose directory cannot be written).
 * Each time: a clear message, exit 1, and every tenant wholly before or after.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startThrowawayServer, type TestServer } from '../harness/postgres.js';
import { DATASOURCE_BLOCK, DB_ENV, fleetProject, output, removeFleetProjects, waitForNoTmSessions, type FleetProject } from '../support/fleet.js';
import { faultInjected, figures } from './figures.js';
import {
  createDatabaseOn,
  databaseDigest,
  expectClean,
  expectSameDigest,
  fingerprintsOf,
  queryWhenUp,
  sleep,
  startTm,
  type OwnDatabase,
  NOTES,
  NOTES_CHANGED,
} from './support.js';

const NOTES_MORE = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
  extra Int?
}
`;

/** What pg says when the server ends a session, depending on when the client notices. */
const LOST = [
  'terminating connection due to administrator command',
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'the database system is shutting down',
].join('|');

const tenantNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}_${String(i + 1).padStart(3, '0')}`);

describe('faults: the server under tm (a dedicated throwaway server)', function () {
  this.timeout(600_000);
  let server: TestServer;
  const databases: OwnDatabase[] = [];
  before(async function () {
    this.timeout(120_000);
    server = await startThrowawayServer();
  });
  after(async () => {
    for (const db of databases) await db.drop().catch(() => {});
    server?.stop();
    removeFleetProjects();
  });

  async function database(prefix: string): Promise<OwnDatabase> {
    const db = await createDatabaseOn(server.adminUrl, prefix);
    databases.push(db);
    return db;
  }

  /** Tenants at NOTES with 30 notes each (a third without legacy), applied by tm. */
  async function notesFleet(db: OwnDatabase, schemas: string[], env: Record<string, string> = {}): Promise<FleetProject> {
    for (const s of schemas) await db.query(`create schema "${s}"`);
    const project = fleetProject({ tenants: schemas, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    const base = await project.tm(db as any, ['plan', '--no-sql', '--name', 'base', '-o', 'base.plan.json']);
    expect(base.code, output(base)).to.equal(0);
    const applied = await project.tm(db as any, ['apply', '--parallelism', '2', 'base.plan.json'], { timeoutMs: 300_000 });
    expect(applied.code, output(applied)).to.equal(0);
    for (const s of schemas) {
      await db.query(`insert into "${s}"."Note"(title, legacy) select '${s} note ' || g, case when g % 3 = 0 then null else 'old ' || g end from generate_series(1, 30) g`);
    }
    void env;
    return project;
  }

  /** Per tenant: checksum of what stays, and of the legacy column (in the table, or in its backup once dropped). */
  async function noteData(db: OwnDatabase, schemas: string[], planId: string | null): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const s of schemas) {
      const { rows: cols } = await db.query(`select column_name from information_schema.columns where table_schema = $1 and table_name = 'Note'`, [s]);
      const hasLegacy = cols.some((c) => c.column_name === 'legacy');
      let legacyFrom = `"${s}"."Note"`;
      if (!hasLegacy) {
        const { rows } = await db.query(`select backup_table from tm.backups where tenant_schema = $1 and plan_id = $2 and column_name = 'legacy'`, [s, planId]);
        expect(rows, `${s}: one backup of legacy`).to.have.length(1);
        legacyFrom = `tm_backup."${rows[0].backup_table}"`;
      }
      const { rows } = await db.query(
        `select (select count(*) || ':' || md5(string_agg(id || ':' || title, ',' order by id)) from "${s}"."Note") as kept,
                (select count(*) || ':' || md5(string_agg(id || ':' || coalesce(legacy, '∅'), ',' order by id)) from ${legacyFrom}) as legacy`,
      );
      out[s] = `${rows[0].kept} / ${rows[0].legacy}`;
      figures.rowsVerified += 60;
    }
    return out;
  }

  /** Every tenant is at the cohort's before-state without a history row, or at its after-state with one. */
  async function expectWhole(db: OwnDatabase, schemas: string[], plan: any): Promise<{ before: number; after: number }> {
    const prints = await fingerprintsOf(db.url, schemas);
    const { rows } = await db.query(`select tenant_schema from tm.history where plan_id = $1`, [plan.id]);
    const withRow = new Set(rows.map((r) => r.tenant_schema));
    const counts = { before: 0, after: 0 };
    const torn: string[] = [];
    for (const s of schemas) {
      const fp = prints.get(s);
      if (fp === plan.cohorts[0].beforeFingerprint && !withRow.has(s)) counts.before++;
      else if (fp === plan.cohorts[0].afterFingerprint && withRow.has(s)) counts.after++;
      else torn.push(`${s}: ${fp?.slice(0, 12)} history row: ${withRow.has(s)}`);
    }
    expect(torn, 'schemas neither wholly before nor wholly after').to.deep.equal([]);
    return counts;
  }

  /** Writes the changed Prisma file, runs `tm plan` into <name>.plan.json and returns the plan it wrote. */
  async function planTo(db: OwnDatabase, project: FleetProject, prisma: string, name: string, options: string[] = []): Promise<any> {
    project.writePrisma('notes.prisma', prisma);
    const planned = await project.tm(db as any, ['plan', '--no-sql', ...options, '--name', name, '-o', `${name}.plan.json`]);
    expect(planned.code, output(planned)).to.equal(0);
    return JSON.parse(readFileSync(path.join(project.dir, `${name}.plan.json`), 'utf8'));
  }

  async function waitForHistory(db: OwnDatabase, planId: string, n: number, running: { finished(): boolean; output: string }): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { rows } = await db
        .query(`select count(*)::int as n from tm.history where plan_id = $1`, [planId])
        .catch(() => ({ rows: [{ n: 0 }] }));
      if (rows[0].n >= n) return;
      if (running.finished()) throw new Error(`tm finished before ${n} tenants were applied:\n${running.output}`);
      if (Date.now() > deadline) throw new Error(`no progress:\n${running.output}`);
      await sleep(10);
    }
  }

  it('the server restarted mid-apply (pg_ctl restart -m fast): tm stops with a clear message; every tenant whole; re-running finishes', async () => {
    const db = await database('tm_fault_restart');
    const schemas = tenantNames('rs', 80);
    const project = await notesFleet(db, schemas);
    const plan = await planTo(db, project, NOTES_CHANGED, 'restart');
    const expected = await noteData(db, schemas, plan.id);

    const run = startTm(['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', 'restart.plan.json'], { cwd: project.dir, env: { [DB_ENV]: db.url } });
    await waitForHistory(db, plan.id, 15, run);
    server.restart('fast');
    faultInjected('server restarts (pg_ctl restart -m fast)');
    const result = await run.done;
    expectClean(result, 'tm apply during a restart');
    expect(result.code, output(result)).to.equal(1);
    expect(result.stdout, notable(result.stdout)).to.match(new RegExp(`^ {2}✗ main: stopped: lost the connection to the server \\((${LOST})\\): re-run the same plan to finish$`, 'm'));
    const summary = /Apply incomplete: (\d+) applied, 0 already applied, 0 stale, 0 failed in [\d.]+ s\. (\d+) not attempted\. 1 database\(s\) stopped on an error\./.exec(result.stdout);
    expect(summary, result.stdout).to.not.equal(null);
    expect(Number(summary![1]) + Number(summary![2]), 'every tenant accounted for').to.equal(schemas.length);

    await queryWhenUp(db, 'select 1');
    await waitForNoTmSessions(db, db.name);
    const atRestart = await expectWhole(db, schemas, plan);
    expect(atRestart.after).to.be.greaterThan(0).and.lessThan(schemas.length);
    expect(await noteData(db, schemas, plan.id)).to.deep.equal(expected);

    const rerun = await project.tm(db as any, ['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', 'restart.plan.json'], { timeoutMs: 300_000 });
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(rerun.stdout).to.contain(`Apply complete: ${schemas.length - atRestart.after} applied, ${atRestart.after} already applied`);
    expect(await expectWhole(db, schemas, plan)).to.deep.equal({ before: 0, after: schemas.length });
    expect(await noteData(db, schemas, plan.id)).to.deep.equal(expected);
  });

  it('the lock connection terminated mid-apply: tm notices, starts no other tenant, says it lost the lock; re-running finishes', async () => {
    const db = await database('tm_fault_lockconn');
    const schemas = tenantNames('lk', 60);
    const project = await notesFleet(db, schemas);
    const plan = await planTo(db, project, NOTES_CHANGED, 'lockconn');

    const run = startTm(['apply', '--parallelism', '1', '--allow-hazards', 'DATA_LOSS', 'lockconn.plan.json'], { cwd: project.dir, env: { [DB_ENV]: db.url } });
    await waitForHistory(db, plan.id, 5, run);
    const { rows: cut } = await db.query(
      `select count(pg_terminate_backend(pid))::int as n, clock_timestamp() as at from pg_stat_activity where datname = current_database() and application_name = 'tm apply (lock)'`,
    );
    expect(cut[0].n, 'one lock connection').to.equal(1);
    faultInjected('terminated connections (pg_terminate_backend)');
    const result = await run.done;
    expectClean(result, 'tm apply without its lock');
    expect(result.code, output(result)).to.equal(1);
    expect(result.stdout).to.contain('✗ main: stopped: lost the migration lock (its connection to the server closed); stopped before starting another schema: re-run the same plan to finish');
    // No tenant's transaction started after the lock was gone (the one running then may finish).
    const { rows: late } = await db.query(`select tenant_schema from tm.history where plan_id = $1 and applied_at > $2`, [plan.id, cut[0].at]);
    expect(late).to.deep.equal([]);
    await waitForNoTmSessions(db, db.name);
    const atCut = await expectWhole(db, schemas, plan);
    expect(atCut.after).to.be.lessThan(schemas.length);

    const rerun = await project.tm(db as any, ['apply', '--allow-hazards', 'DATA_LOSS', 'lockconn.plan.json'], { timeoutMs: 300_000 });
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(await expectWhole(db, schemas, plan)).to.deep.equal({ before: 0, after: schemas.length });
  });

  it('the worker connections terminated mid-apply (the lock kept): the database stops with the server’s reason; re-running finishes', async () => {
    const db = await database('tm_fault_workers');
    const schemas = tenantNames('wk', 60);
    const project = await notesFleet(db, schemas);
    const plan = await planTo(db, project, NOTES_MORE, 'workers');

    const run = startTm(['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', 'workers.plan.json'], { cwd: project.dir, env: { [DB_ENV]: db.url } });
    await waitForHistory(db, plan.id, 8, run);
    const { rows: cut } = await db.query(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and application_name like 'tm apply %' and application_name <> 'tm apply (lock)'`,
    );
    expect(cut[0].n).to.be.at.least(1);
    faultInjected('terminated connections (pg_terminate_backend)', cut[0].n);
    const result = await run.done;
    expectClean(result, 'tm apply with its workers cut');
    expect(result.code, output(result)).to.equal(1);
    expect(result.stdout, notable(result.stdout)).to.match(new RegExp(`^ {2}✗ main: stopped: lost the connection to the server \\((${LOST})\\): re-run the same plan to finish$`, 'm'));
    await waitForNoTmSessions(db, db.name);
    await expectWhole(db, schemas, plan);
    const rerun = await project.tm(db as any, ['apply', '--allow-hazards', 'DATA_LOSS', 'workers.plan.json'], { timeoutMs: 300_000 });
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(await expectWhole(db, schemas, plan)).to.deep.equal({ before: 0, after: schemas.length });
  });

  it('the planner’s connection terminated mid-plan: a clear error, exit 1, no plan file', async () => {
    const db = await database('tm_fault_plan');
    const schemas = tenantNames('pl', 150);
    for (const s of schemas) await db.query(`create schema "${s}"`);
    const project = fleetProject({ tenants: schemas, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    const before = await databaseDigest(db);
    let cutOnce = 0;
    for (let attempt = 0; attempt < 5 && cutOnce === 0; attempt++) {
      const run = startTm(['plan', '--no-sql', '--name', 'cut'], { cwd: project.dir, env: { [DB_ENV]: db.url } });
      while (!run.finished()) {
        const { rows } = await db.query(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and application_name like 'tm plan%'`,
        );
        if (rows[0].n > 0) {
          cutOnce = rows[0].n;
          break;
        }
        await sleep(5);
      }
      const result = await run.done;
      if (cutOnce === 0) continue; // it finished before it could be cut: try again
      faultInjected('terminated connections (pg_terminate_backend)', cutOnce);
      expectClean(result, "tm plan with its connection cut");
      expect(result.code, output(result)).to.equal(1);
      expect(result.stderr, result.stderr).to.match(new RegExp(`^Error: Lost the connection to database "main" while planning: (${LOST})( \\([0-9A-Z]{5}\\))?$`, 'm'));
      expect(result.stdout).to.not.contain('Saved the plan');
    }
    expect(cutOnce, 'the planner was cut at least once').to.be.greaterThan(0);
    expect(readdirSafe(path.join(project.dir, 'plans'))).to.deep.equal([]);
    await waitForNoTmSessions(db, db.name);
    expectSameDigest(await databaseDigest(db), before, 'tm plan cut');
  });

  it('a statement blocked by another session’s lock: lock_timeout, one retry, a clear failure naming the holder; the tenant untouched', async () => {
    const db = await database('tm_fault_locked');
    const schemas = ['lt_a', 'lt_b', 'lt_c'];
    const project = await notesFleet(db, schemas);
    const plan = await planTo(db, project, NOTES_MORE, 'locked', ['--lock-timeout', '200ms']);
    expect(plan.settings.lockTimeoutMs).to.equal(200);
    const beforeB = (await fingerprintsOf(db.url, ['lt_b'])).get('lt_b');
    const dataB = await noteData(db, ['lt_b'], null);

    const holder = await db.pool.connect();
    try {
      await holder.query(`set application_name = 'report query'`);
      await holder.query('begin');
      await holder.query(`select count(*) from lt_b."Note"`); // ACCESS SHARE, held until the transaction ends
      const { rows: pid } = await holder.query('select pg_backend_pid() as pid');
      faultInjected('locks held by another session');
      const started = Date.now();
      const result = await project.tm(db as any, ['apply', '--parallelism', '1', '--lock-retries', '1', '--max-failures', '5', '--allow-hazards', 'DATA_LOSS', 'locked.plan.json']);
      const seconds = (Date.now() - started) / 1000;
      expectClean(result, 'tm apply against a held lock');
      expect(result.code, output(result)).to.equal(1);
      expect(result.stdout).to.match(
        new RegExp(
          `^ {2}✗ main/lt_b: failed, rolled back: lt_b: gave up after 2 lock timeouts \\(200 ms each\\): another session holds a lock on its tables: pid ${pid[0].pid} \\(report query, user postgres, idle in transaction since [^)]+\\)$`,
          'm',
        ),
      );
      expect(result.stdout).to.contain('✓ main/lt_a: applied').and.contain('✓ main/lt_c: applied');
      expect(result.stdout).to.contain('Apply incomplete: 2 applied, 0 already applied, 0 stale, 1 failed');
      expect(seconds, 'two short timeouts, not the default 5 s each').to.be.lessThan(20);
      expect((await fingerprintsOf(db.url, ['lt_b'])).get('lt_b')).to.equal(beforeB);
      expect(await noteData(db, ['lt_b'], null)).to.deep.equal(dataB);
    } finally {
      await holder.query('rollback').catch(() => {});
      holder.release();
    }
    const rerun = await project.tm(db as any, ['apply', '--allow-hazards', 'DATA_LOSS', 'locked.plan.json']);
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(rerun.stdout).to.contain('Apply complete: 1 applied, 2 already applied');
  });

  describe('backups that cannot be written', () => {
    const ROLE = 'tm_fault_app';
    let db: OwnDatabase;
    let project: FleetProject;
    let appUrl: string;
    const schemas = ['bk_a', 'bk_b', 'bk_c'];

    before(async () => {
      db = await database('tm_fault_backup');
      await db.query(`create role ${ROLE} login`);
      await db.query(`grant create on database "${db.name}" to ${ROLE}`);
      const u = new URL(db.url);
      u.username = ROLE;
      appUrl = u.toString();
      // The application role owns everything: tm runs as it.
      project = fleetProject({ tenants: schemas, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
      const base = await project.tm({ ...db, url: appUrl } as any, ['migrate', 'base', '--force']);
      expect(base.code, output(base)).to.equal(0);
      for (const s of schemas) await db.query(`insert into "${s}"."Note"(title, legacy) select 'n' || g, 'old ' || g from generate_series(1, 20) g`);
      project.writePrisma('notes.prisma', NOTES_CHANGED);
      const planned = await project.tm({ ...db, url: appUrl } as any, ['plan', '--no-sql', '--name', 'drop_legacy', '-o', 'drop.plan.json']);
      expect(planned.code, output(planned)).to.equal(0);
    });
    after(async () => {
      await db.query(`drop owned by ${ROLE} cascade`).catch(() => {});
      const admin = (await import('pg')).default;
      const c = new admin.Client({ connectionString: server.adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${db.name}" with (force)`).catch(() => {});
      await c.query(`drop role if exists ${ROLE}`).catch(() => {});
      await c.query(`drop tablespace if exists tm_fault_broken`).catch(() => {});
      await c.end();
    });

    const apply = () => project.tm({ ...db, url: appUrl } as any, ['apply', '--parallelism', '1', '--allow-hazards', 'DATA_LOSS', 'drop.plan.json']);

    it('no CREATE on the database for the backup schema: refused before anything changes, naming the privilege and the object', async () => {
      await db.query(`revoke create on database "${db.name}" from ${ROLE}, public`);
      try {
        const before = await databaseDigest(db);
        const result = await apply();
        faultInjected('backup targets that cannot be written');
        expectClean(result, 'tm apply');
        expect(result.code, output(result)).to.equal(1);
        expect(result.stderr).to.contain(`Error: Cannot apply to database "main" ("${db.name}" on the server): role "${ROLE}" lacks a privilege the plan needs:`);
        expect(result.stderr).to.contain(`  - CREATE on database "${db.name}": to create the backup schema "tm_backup" (backups before destructive steps)`);
        expect(result.stderr).to.contain('Nothing was changed.');
        expect(result.stdout).to.not.contain('✓');
        expectSameDigest(await databaseDigest(db), before, 'refused apply');
      } finally {
        await db.query(`grant create on database "${db.name}" to ${ROLE}`);
      }
    });

    it('a backup schema owned by someone else: refused before anything changes, naming the schema', async () => {
      await db.query(`create schema tm_backup`); // owned by postgres; the role may not create tables there
      try {
        const before = await databaseDigest(db);
        const result = await apply();
        faultInjected('backup targets that cannot be written');
        expectClean(result, 'tm apply');
        expect(result.code, output(result)).to.equal(1);
        expect(result.stderr).to.contain(`  - CREATE on schema "tm_backup": to create tables in the backup schema "tm_backup" (backups before destructive steps)`);
        expect(result.stderr).to.not.contain('USAGE on schema "bk_');
        expectSameDigest(await databaseDigest(db), before, 'refused apply');
      } finally {
        await db.query(`drop schema tm_backup`);
      }
    });

    it('a tablespace whose directory cannot be written (disk-full-like): the copy fails inside the tenant’s transaction, which rolls back whole', async () => {
      // A tablespace for new tables that PostgreSQL cannot write into: the backup copy is the first new table the apply makes.
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-fault-ts-'));
      rmSync(dir, { recursive: true });
      server.runAsServerUser('mkdir', ['-p', dir]);
      await db.query(`create tablespace tm_fault_broken location '${dir}'`);
      await db.query(`grant create on tablespace tm_fault_broken to ${ROLE}`);
      const versionDir = readdirSync(dir).find((d) => d.startsWith('PG_'))!;
      server.runAsServerUser('chmod', ['0500', path.join(dir, versionDir)]);
      await db.query(`alter role ${ROLE} in database "${db.name}" set default_tablespace = 'tm_fault_broken'`);
      try {
        const before = await databaseDigest(db);
        const beforePrints = await fingerprintsOf(db.url, schemas);
        const result = await apply();
        faultInjected('backup targets that cannot be written');
        expectClean(result, 'tm apply');
        expect(result.code, output(result)).to.equal(1);
        expect(result.stdout).to.match(
          /^ {2}✗ main\/bk_a: failed, rolled back: bk_a: the backup of column "Note"\."legacy" into tm_backup\."[^"]+" failed: could not create directory "[^"]+": Permission denied$/m,
        );
        expect(result.stdout).to.match(/Apply incomplete: 0 applied, 0 already applied, 0 stale, 1 failed in [\d.]+ s\. 2 not attempted\./);
        expect(await fingerprintsOf(db.url, schemas)).to.deep.equal(beforePrints);
        // Nothing of the tenants changed; the backup schema (made under the lock, before any tenant) is the only trace.
        const after = (await databaseDigest(db)).filter((l) => !/^schema tm_backup /.test(l));
        expectSameDigest(after, before, 'failed backup');
      } finally {
        await db.query(`alter role ${ROLE} in database "${db.name}" reset default_tablespace`);
        server.runAsServerUser('chmod', ['0700', path.join(dir, versionDir)]);
      }
      const rerun = await apply();
      expect(rerun.code, output(rerun)).to.equal(0);
      expect(rerun.stdout).to.contain('Apply complete: 3 applied');
      const { rows } = await db.query(`select count(*)::int as n, sum(row_count)::int as rows from tm.backups`);
      expect(rows[0]).to.deep.equal({ n: 3, rows: 60 });
    });
  });
});

/** Output without the lines of tenants that went well, for assertion messages. */
function notable(text: string): string {
  return text.split('\n').filter((l) => !/✓|already applied, skipped/.test(l)).join('\n');
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
