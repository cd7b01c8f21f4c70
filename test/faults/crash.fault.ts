/**
 * Crashes: `tm apply` SIGKILLed at 20 random points of one 200-tenant apply
 * whose plan drops a column and a table with data (DATA_LOSS, backed up
 * first) and builds indexes with CREATE INDEX CONCURRENTLY after each
 * tenant's transaction (NON_TRANSACTIONAL). After every kill: each schema is
 * wholly before, between its transaction and its index builds (history row
 * not completed), or wholly after; every row of every table is where it
 * should be (the dropped data in its backup); then the same plan is run again
 * and killed again. The last run completes.
 *
 * Extends test/apply/crash.test.ts (one kill, additive plan). FAULT_SEED
 * replays the kill points of an earlier run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, DB_ENV, fleetProject, output, removeFleetProjects, waitForNoTmSessions } from '../support/fleet.js';
import { faultInjected, figures } from './figures.js';
import { expectClean, fingerprintsOf, sleep, startTm } from './support.js';

const TENANTS = 200;
const KILLS = 20;

const BASE = `model Note {
  id     Int     @id @default(autoincrement())
  title  String
  legacy String?
  tags   Tag[]
}

model Tag {
  id     Int    @id @default(autoincrement())
  label  String
  noteId Int
  note   Note   @relation(fields: [noteId], references: [id])
}

model Obsolete {
  id   Int    @id
  data String
}
`;

// Drops Note.legacy and the Obsolete table (DATA_LOSS, both backed up), adds Note.body,
// and two indexes on existing tables (built concurrently after the transaction).
const CHANGED = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
  tags  Tag[]

  @@index([title])
}

model Tag {
  id     Int    @id @default(autoincrement())
  label  String
  noteId Int
  note   Note   @relation(fields: [noteId], references: [id])

  @@index([label])
}
`;

const schemaName = (i: number) => `tenant_${String(i).padStart(4, '0')}`;
const SCHEMAS = Array.from({ length: TENANTS }, (_, i) => schemaName(i + 1));

/** A small deterministic PRNG (mulberry32), so that a seed replays the same kill points. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TenantData {
  notes: number;
  noteKept: string;
  legacy: string;
  tags: number;
  tagSum: string;
  obsolete: number;
  obsoleteSum: string;
}

describe('faults: tm apply SIGKILLed at 20 points of a 200-tenant destructive, non-transactional apply', function () {
  this.timeout(900_000);
  const db = useFreshDatabase('tm_fault_crash');
  after(removeFleetProjects);

  /** Per tenant: rows and checksums of what must survive, and of what the backups must hold. */
  async function readData(states: Map<string, TenantState>): Promise<Map<string, TenantData>> {
    const parts = SCHEMAS.map((s) => {
      const st = states.get(s)!;
      const q = (t: string) => `"${s}"."${t}"`;
      const legacy = st.hasLegacy
        ? `(select coalesce(md5(string_agg(id || ':' || coalesce(legacy, '∅'), ',' order by id)), '') from ${q('Note')})`
        : `(select coalesce(md5(string_agg(id || ':' || coalesce(legacy, '∅'), ',' order by id)), '') from tm_backup."${st.backups.Note}")`;
      const obsoleteFrom = st.hasObsolete ? q('Obsolete') : `tm_backup."${st.backups.Obsolete}"`;
      return `select '${s}' as schema,
        (select count(*)::int from ${q('Note')}) as notes,
        (select coalesce(md5(string_agg(id || ':' || title, ',' order by id)), '') from ${q('Note')}) as note_kept,
        ${legacy} as legacy,
        (select count(*)::int from ${q('Tag')}) as tags,
        (select coalesce(md5(string_agg(id || ':' || label || ':' || "noteId", ',' order by id)), '') from ${q('Tag')}) as tag_sum,
        (select count(*)::int from ${obsoleteFrom}) as obsolete,
        (select coalesce(md5(string_agg(id || ':' || data, ',' order by id)), '') from ${obsoleteFrom}) as obsolete_sum`;
    });
    const { rows } = await db.query(parts.join('\nunion all\n'));
    const out = new Map<string, TenantData>();
    for (const r of rows) {
      out.set(r.schema, { notes: r.notes, noteKept: r.note_kept, legacy: r.legacy, tags: r.tags, tagSum: r.tag_sum, obsolete: r.obsolete, obsoleteSum: r.obsolete_sum });
      // Each note is read twice (kept columns, legacy), each tag and obsolete row once.
      figures.rowsVerified += 2 * r.notes + r.tags + r.obsolete;
    }
    return out;
  }

  interface TenantState {
    hasLegacy: boolean;
    hasBody: boolean;
    hasObsolete: boolean;
    indexes: { name: string; valid: boolean }[];
    history: 'none' | 'pending' | 'completed';
    backups: Record<string, string>;
    backupRows: number;
  }

  async function readStates(planId: string): Promise<Map<string, TenantState>> {
    const { rows } = await db.query(
      `select n.nspname as schema,
              exists (select from information_schema.columns c where c.table_schema = n.nspname and c.table_name = 'Note' and c.column_name = 'legacy') as has_legacy,
              exists (select from information_schema.columns c where c.table_schema = n.nspname and c.table_name = 'Note' and c.column_name = 'body') as has_body,
              to_regclass(format('%I."Obsolete"', n.nspname)) is not null as has_obsolete,
              coalesce((select json_agg(json_build_object('name', ic.relname, 'valid', i.indisvalid) order by ic.relname)
                          from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
                         where t.relnamespace = n.oid and ic.relname in ('Note_title_idx', 'Tag_label_idx')), '[]') as indexes,
              (select case when h.completed_at is null then 'pending' else 'completed' end from tm.history h where h.tenant_schema = n.nspname and h.plan_id = $1) as history,
              coalesce((select json_object_agg(b.table_name, b.backup_table) from tm.backups b where b.tenant_schema = n.nspname and b.plan_id = $1), '{}') as backups,
              (select count(*)::int from tm.backups b where b.tenant_schema = n.nspname and b.plan_id = $1) as backup_rows
         from pg_namespace n where n.nspname like 'tenant\\_%' order by 1`,
      [planId],
    );
    return new Map(
      rows.map((r) => [
        r.schema,
        {
          hasLegacy: r.has_legacy,
          hasBody: r.has_body,
          hasObsolete: r.has_obsolete,
          indexes: r.indexes,
          history: r.history ?? 'none',
          backups: r.backups,
          backupRows: r.backup_rows,
        },
      ]),
    );
  }

  it('after every kill each schema is before, between or after, and every row is accounted for; re-running finishes', async () => {
    const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const rand = random(seed);
    console.log(`      (FAULT_SEED=${seed} replays these kill points)`);

    await db.query(`do $$ begin for i in 1..${TENANTS} loop execute format('create schema %I', 'tenant_' || lpad(i::text, 4, '0')); end loop; end $$`);
    const project = fleetProject({ discover: ['tenant_*'], prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': BASE } });
    const base = await project.plan(db, 'base');
    const baseApply = await project.tm(db, ['apply', '--parallelism', '2', base.path], { timeoutMs: 300_000 });
    expect(baseApply.code, output(baseApply)).to.equal(0);
    // Data in every table, different per tenant (legacy NULL on some rows).
    await db.query(`do $$ declare s text; begin
      for i in 1..${TENANTS} loop
        s := 'tenant_' || lpad(i::text, 4, '0');
        execute format('insert into %I."Note"(title, legacy) select %L || g, case when g %% 3 = 0 then null else %L || g end from generate_series(1, 30) g', s, 'note ' || i || '/', 'old ' || i || '/');
        execute format('insert into %I."Tag"(label, "noteId") select %L || g, 1 + g %% 30 from generate_series(1, 60) g', s, 'tag ' || i || '/');
        execute format('insert into %I."Obsolete"(id, data) select g, %L || g from generate_series(1, 10) g', s, 'gone ' || i || '/');
      end loop; end $$`);

    project.writePrisma('notes.prisma', CHANGED);
    const planRun = await project.tm(db, ['plan', '--no-sql', '--concurrent-indexes', '--name', 'crash', '-o', 'crash.plan.json'], { timeoutMs: 120_000 });
    expect(planRun.code, output(planRun)).to.equal(0);
    const planPath = path.join(project.dir, 'crash.plan.json');
    const plan = JSON.parse(readFileSync(planPath, 'utf8'));
    expect(plan.cohorts).to.have.length(1);
    const cohort = plan.cohorts[0];
    expect(cohort.tenants).to.have.length(TENANTS);
    expect(plan.summary.hazards).to.include.members(['DATA_LOSS', 'NON_TRANSACTIONAL']);
    expect(cohort.steps.filter((s: any) => !s.transactional).map((s: any) => s.object)).to.have.members(['index "Note_title_idx"', 'index "Tag_label_idx"']);
    expect(cohort.backups.map((b: any) => `${b.object} ${b.table}`)).to.have.members(['column Note', 'table Obsolete']);

    const initialStates = await readStates(plan.id);
    const expected = await readData(initialStates);

    /** Asserts the invariants; returns how many tenants are fully done. */
    async function check(when: string): Promise<{ before: number; between: number; after: number; atAfterFingerprint: number }> {
      const states = await readStates(plan.id);
      expect(states.size, when).to.equal(TENANTS);
      const prints = await fingerprintsOf(db.url, SCHEMAS);
      const counts = { before: 0, between: 0, after: 0, atAfterFingerprint: 0 };
      const torn: string[] = [];
      for (const schema of SCHEMAS) {
        const st = states.get(schema)!;
        const fp = prints.get(schema);
        const isBefore =
          st.hasLegacy && !st.hasBody && st.hasObsolete && st.indexes.length === 0 && st.history === 'none' && st.backupRows === 0 && fp === cohort.beforeFingerprint;
        const changed = !st.hasLegacy && st.hasBody && !st.hasObsolete && st.backupRows === 2 && st.backups.Note && st.backups.Obsolete;
        const isAfter = changed && st.history === 'completed' && st.indexes.length === 2 && st.indexes.every((i) => i.valid) && fp === cohort.afterFingerprint;
        // Between the tenant's transaction and its concurrent index builds: the history row says so (not completed).
        const isBetween = changed && st.history === 'pending';
        if (fp === cohort.afterFingerprint) counts.atAfterFingerprint++;
        if (isBefore) counts.before++;
        else if (isAfter) counts.after++;
        else if (isBetween) counts.between++;
        else torn.push(`${schema}: ${JSON.stringify({ ...st, fingerprint: fp?.slice(0, 12) })}`);
      }
      expect(torn, `${when}: schemas neither before, between nor after`).to.deep.equal([]);
      const data = await readData(states);
      const lost = SCHEMAS.filter((s) => JSON.stringify(data.get(s)) !== JSON.stringify(expected.get(s)));
      expect(
        lost.slice(0, 3).map((s) => ({ schema: s, state: states.get(s), expected: expected.get(s), found: data.get(s) })),
        `${when}: rows lost or changed`,
      ).to.deep.equal([]);
      return counts;
    }

    // Kill points: how many tenants must be done before the kill (spread over the apply), plus a random delay
    // of up to 150 ms so that kills land in every phase (start-up, lock, a transaction, a concurrent build).
    // The last point leaves 60 tenants, more than an apply does in 150 ms (about 10 ms a tenant here).
    const targets = Array.from({ length: KILLS }, (_, i) => Math.floor(((i + rand()) * (TENANTS - 60)) / KILLS)).sort((a, b) => a - b);
    let kills = 0;
    let lastCounts = { before: TENANTS, between: 0, after: 0, atAfterFingerprint: 0 };
    for (const target of targets) {
      const run = startTm(['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', planPath], { cwd: project.dir, env: { [DB_ENV]: db.url } });
      while (!run.finished()) {
        const { rows } = await db.query(`select count(*)::int as n from tm.history where plan_id = $1`, [plan.id]).catch(() => ({ rows: [{ n: 0 }] }));
        if (rows[0].n >= target) break;
        await sleep(15);
      }
      await sleep(Math.floor(rand() * 150));
      if (run.finished()) {
        const result = await run.done;
        expect.fail(`tm apply finished before kill ${kills + 1} (target ${target} tenants): ${result.code}\n${output(result)}`);
      }
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal).to.equal('SIGKILL');
      kills++;
      faultInjected('SIGKILLs of tm apply');
      await waitForNoTmSessions(db, db.name);
      lastCounts = await check(`after kill ${kills} (target ${target})`);
    }
    expect(kills).to.equal(KILLS);
    expect(lastCounts.after, 'the kills left work to finish').to.be.lessThan(TENANTS);

    const final = startTm(['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', planPath], { cwd: project.dir, env: { [DB_ENV]: db.url } });
    const result = await final.done;
    expectClean(result, 'the last tm apply');
    expect(result.code, output(result)).to.equal(0);
    const m = /Apply complete: (\d+) applied, (\d+) already applied, 0 stale, 0 failed/.exec(result.stdout);
    expect(m, result.stdout).to.not.equal(null);
    expect(Number(m![1]) + Number(m![2])).to.equal(TENANTS);
    // Already applied: at the after-state before the last run (a tenant killed after its last index build,
    // before its history row was completed, included: that run completes the row).
    expect(Number(m![2]), 'already applied = done before the last run').to.equal(lastCounts.atAfterFingerprint);

    const done = await check('after the last run');
    expect(done).to.deep.equal({ before: 0, between: 0, after: TENANTS, atAfterFingerprint: TENANTS });
    const { rows: history } = await db.query(`select count(*)::int as n, count(distinct tenant_schema)::int as tenants from tm.history where plan_id = $1`, [plan.id]);
    expect(history[0]).to.deep.equal({ n: TENANTS, tenants: TENANTS });
    const { rows: leftovers } = await db.query(
      `select (select count(*)::int from pg_namespace where nspname like 'tm\\_desired\\_%') as scratch,
              (select count(*)::int from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
                where not i.indisvalid and n.nspname like 'tenant\\_%') as invalid_indexes,
              (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'tm_backup' and c.relkind = 'r') as backup_tables,
              (select count(*)::int from tm.backups where plan_id = $1) as backup_rows`,
      [plan.id],
    );
    // Exactly one copy per tenant and target: copies taken by killed transactions rolled back with them.
    expect(leftovers[0]).to.deep.equal({ scratch: 0, invalid_indexes: 0, backup_tables: 2 * TENANTS, backup_rows: 2 * TENANTS });

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--no-sql', '--name', 'after_crash'], { timeoutMs: 120_000 });
    expect(again.code, output(again)).to.equal(0);

    // The two narrowest kill windows, made on purpose (random kills rarely land in them):
    // tenant_0001 stopped between its two concurrent builds (the first index valid, the second not started),
    // tenant_0002 stopped after its last build and before its history row was completed.
    await db.query(`drop index tenant_0001."Tag_label_idx"`);
    await db.query(`update tm.history set completed_at = null where plan_id = $1 and tenant_schema in ('tenant_0001', 'tenant_0002')`, [plan.id]);
    faultInjected('stops between concurrent index builds (made by hand)', 2);
    const resumed = await project.tm(db, ['apply', '--parallelism', '2', '--allow-hazards', 'DATA_LOSS', planPath], { timeoutMs: 120_000 });
    expect(resumed.code, output(resumed)).to.equal(0);
    expect(resumed.stdout).to.contain('✓ main/tenant_0001: applied').and.contain(`Apply complete: 1 applied, ${TENANTS - 1} already applied`);
    expect(await check('after resuming the narrow windows')).to.deep.equal({ before: 0, between: 0, after: TENANTS, atAfterFingerprint: TENANTS });
  });
});
