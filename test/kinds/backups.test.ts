/**
 * Backups through the real binary: `tm backups list` shows what was copied
 * before destructive steps, `tm backups prune --older-than` asks (refused
 * without a terminal and --force), deletes only old ones, and a rollback that
 * needs a pruned backup says so; backups that are the only copy of their data
 * are named and go only with --force, even on a terminal; before copying anything, a role that may not
 * create the backup schema and a copy over --max-backup-size fail early.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { TM_BIN } from '../harness/cli.js';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { DB_ENV, fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';
import { fingerprints } from './helpers.js';

/** Runs tm on a real terminal (a pty, through util-linux script), typing `input`; stdout and stderr come out merged. */
function tmOnTerminal(dir: string, db: FreshDatabase, args: string[], input: string): Promise<{ code: number | null; out: string }> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', [process.execPath, TM_BIN, ...args].map(quote).join(' '), '/dev/null'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', [DB_ENV]: db.url },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.replace(/\r\n/g, '\n') }));
    child.stdin.end(input);
  });
}

describe('tm backups (real binary)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('lists backups, prunes only old ones after confirmation, and rollback then says the backup is gone', async () => {
    const project = fleetProject({ tenants: ['bk_1', 'bk_2'] });
    const empty = await project.tm(db, ['backups', 'list']);
    expect(empty.code, output(empty)).to.equal(0);
    expect(empty.stdout).to.equal('No backups.\n');

    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of ['bk_1', 'bk_2']) await db.query(`insert into ${t}."User"(email, name) select 'u' || g, 'n' || g from generate_series(1, 10) g`);
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
    expect((await project.tm(db, ['migrate', 'drop_name', '--force'])).code).to.equal(0);

    const list = await project.tm(db, ['backups', 'list']);
    expect(list.code, output(list)).to.equal(0);
    expect(list.stdout).to.match(/^CREATED AT\s+SCHEMA\s+OBJECT\s+PLAN\s+BACKUP TABLE\s+ROWS\s+SIZE$/m);
    expect(list.stdout).to.match(/^\S+ \S+\s+bk_1\s+column "User"\."name"\s+\S+_drop_name\s+tm_backup\.b[0-9a-f]{10}_bk_1_User_name\s+10\s+/m);
    expect(list.stdout).to.contain('2 backup(s)');
    const json = JSON.parse((await project.tm(db, ['backups', 'list', '--json', '--schema', 'bk_2'])).stdout);
    expect(json.backups.map((b: any) => [b.database, b.tenantSchema, b.object, b.table, b.column, b.rows])).to.deep.equal([['main', 'bk_2', 'column', 'User', 'name', 10]]);

    const none = await project.tm(db, ['backups', 'prune', '--older-than', '30d']);
    expect(none.code, output(none)).to.equal(0);
    expect(none.stdout).to.equal('No backups older than 30d.\n');

    await db.query(`update tm.backups set created_at = now() - interval '40 days' where tenant_schema = 'bk_1'`);
    const refused = await project.tm(db, ['backups', 'prune', '--older-than', '30d']);
    expect(refused.code, output(refused)).to.equal(1);
    expect(refused.stdout).to.contain('bk_1').and.not.contain('bk_2');
    // bk_1 no longer has the column: its backup is the only copy of those values (see the next test).
    expect(refused.stderr).to.contain('tm backups prune would delete 1 backup that is the only copy of its data (listed above)');
    expect(refused.stderr).to.contain('Pass --force to delete them all the same');
    const dry = await project.tm(db, ['backups', 'prune', '--older-than', '30d', '--dry-run']);
    expect(dry.stdout).to.contain('Dry run: nothing was deleted.');
    expect((await db.query(`select count(*)::int as n from tm.backups`)).rows[0].n).to.equal(2);

    const pruned = await project.tm(db, ['backups', 'prune', '--older-than', '30d', '--force']);
    expect(pruned.code, output(pruned)).to.equal(0);
    expect(pruned.stdout).to.match(/Deleted 1 backup\(s\), /);
    const left = await db.query(`select tenant_schema from tm.backups`);
    expect(left.rows).to.deep.equal([{ tenant_schema: 'bk_2' }]);
    const tables = await db.query(`select tablename from pg_tables where schemaname = 'tm_backup' order by 1`);
    expect(tables.rows.map((r) => r.tablename)).to.have.length(1).and.to.match(/_bk_2_User_name$/);

    const rollback = await project.tm(db, ['rollback', 'drop_name', '--schema', 'bk_1', '--force']);
    expect(rollback.code, output(rollback)).to.equal(1);
    expect(rollback.stderr).to.contain('column "User"."name" was backed up by drop_name');
    expect(rollback.stderr).to.contain('but that backup no longer exists (pruned?)');
    expect((await project.tm(db, ['rollback', 'drop_name', '--schema', 'bk_2', '--force'])).code).to.equal(0);
  });

  it('names the backups that are the only copy of their data, and prunes those only with --force, even on a terminal', async () => {
    const project = fleetProject({ tenants: ['oc_1', 'oc_2'] });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of ['oc_1', 'oc_2']) await db.query(`insert into ${t}."User"(email, name) select 'u' || g, 'n' || g from generate_series(1, 10) g`);
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
    expect((await project.tm(db, ['migrate', 'drop_name', '--force'])).code).to.equal(0);
    // oc_2 has a "name" column again (added by hand): its backup is no longer the only copy of anything it lacks.
    await db.query(`alter table oc_2."User" add column name text`);
    await db.query(`update tm.backups set created_at = now() - interval '40 days' where tenant_schema in ('oc_1', 'oc_2')`);
    const count = async () => (await db.query(`select count(*)::int as n from tm.backups where tenant_schema in ('oc_1', 'oc_2')`)).rows[0].n;

    const yes = await tmOnTerminal(project.dir, db, ['backups', 'prune', '--older-than', '30d', '--schema', 'oc_1', '--schema', 'oc_2'], 'y\n');
    expect(yes.code, yes.out).to.equal(1);
    const named = yes.out.slice(yes.out.indexOf('The only copy of their data'));
    expect(named).to.match(/^The only copy of their data: 1 backup above was taken from a table or column the tenant no longer has; once pruned, nothing can put it back:\n {2}oc_1: column "User"\."name", 10 row\(s\) in tm_backup\.b[0-9a-f]{10}_oc_1_User_name\n/);
    expect(named).to.not.contain('oc_2:');
    expect(yes.out).to.contain('tm backups prune would delete 1 backup that is the only copy of its data (listed above); it does that only with --force.');
    expect(yes.out).to.not.contain('[y/N]');
    expect(await count()).to.equal(2);

    // What is not the only copy still goes after a yes on the terminal; the only copy goes with --force.
    const other = await tmOnTerminal(project.dir, db, ['backups', 'prune', '--older-than', '30d', '--schema', 'oc_2'], 'y\n');
    expect(other.code, other.out).to.equal(0);
    expect(other.out).to.contain('[y/N]').and.to.match(/Deleted 1 backup\(s\)/).and.not.contain('The only copy');
    const forced = await project.tm(db, ['backups', 'prune', '--older-than', '30d', '--schema', 'oc_1', '--force']);
    expect(forced.code, output(forced)).to.equal(0);
    expect(forced.stdout).to.contain('oc_1: column "User"."name", 10 row(s)').and.to.match(/Deleted 1 backup\(s\)/);
    expect(await count()).to.equal(0);
  });

  it('fails before changing anything when the role may not create the backup schema, or the copy is over --max-backup-size', async () => {
    const project = fleetProject({ tenants: ['bp_1'] });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    await db.query(`insert into bp_1."User"(email, name) select 'u' || g, repeat('x', 1000) from generate_series(1, 100) g`);
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));

    const small = await project.tm(db, ['migrate', 'drop_name', '--force', '--max-backup-size', '1kB']);
    expect(small.code, output(small)).to.equal(1);
    expect(small.stderr).to.match(/Error: Backing up before destructive steps would copy up to [\d.]+ kB inside migration transactions, more than the limit of 1\.0 kB\./);
    expect(small.stderr).to.contain('--max-backup-size');

    // A role that owns the tenant and tm's schemas but may not create schemas in the database.
    const role = `tm_limited_${randomBytes(3).toString('hex')}`;
    await db.query(`drop schema if exists tm_backup cascade`);
    await db.query(`create role ${role} login`);
    await db.query(`alter schema bp_1 owner to ${role}; alter schema tm owner to ${role}`);
    for (const r of (await db.query(`select schemaname, tablename from pg_tables where schemaname in ('bp_1', 'tm')`)).rows) {
      await db.query(`alter table "${r.schemaname}"."${r.tablename}" owner to ${role}`);
    }
    await db.query(`alter type bp_1."Role" owner to ${role}`);
    await db.query(`revoke create on database "${db.name}" from public`);
    const url = new URL(db.url);
    url.username = role;
    const before = await fingerprints(db, ['bp_1']);
    // Planned by a role that may (the planner works out the Prisma schema in a scratch schema), applied by the limited one.
    const file = path.join(project.dir, 'plans', 'drop_name.plan.json');
    expect((await project.tm(db, ['plan', '--name', 'drop_name', '-o', file])).code).to.equal(0);
    const limitedDb = { ...db, url: url.toString(), name: db.name, query: db.query };
    const limited = await project.tm(limitedDb, ['apply', file, '--allow-hazards', 'DATA_LOSS']);
    expect(limited.code, output(limited)).to.equal(1);
    // The pre-flight check (src/apply/privileges.ts) names it before anything is written.
    expect(limited.stderr).to.contain(`role "${role}" lacks a privilege the plan needs:\n  - CREATE on database "${db.name}": to create the backup schema "tm_backup" (backups before destructive steps)`);
    expect(limited.stderr).to.contain(`CREATE SCHEMA "tm_backup" AUTHORIZATION "${role}"`);
    expect(await fingerprints(db, ['bp_1'])).to.deep.equal(before);

    // The backup schema made by someone else, without CREATE for this role; then granted.
    await db.query(`create schema tm_backup`);
    const noCreate = await project.tm(limitedDb, ['apply', file, '--allow-hazards', 'DATA_LOSS']);
    expect(noCreate.code, output(noCreate)).to.equal(1);
    expect(noCreate.stderr).to.contain(`  - CREATE on schema "tm_backup": to create tables in the backup schema "tm_backup" (backups before destructive steps)`);
    expect(noCreate.stderr).to.contain(`GRANT CREATE ON SCHEMA "tm_backup" TO "${role}"`);
    expect(await fingerprints(db, ['bp_1'])).to.deep.equal(before);
    await db.query(`grant create, usage on schema tm_backup to ${role}`);
    const granted = await project.tm(limitedDb, ['apply', file, '--allow-hazards', 'DATA_LOSS']);
    expect(granted.code, output(granted)).to.equal(0);
    expect((await db.query(`select row_count::int from tm.backups where tenant_schema = 'bp_1'`)).rows).to.deep.equal([{ row_count: 100 }]);

    // The role is the server's, not the test database's: leave nothing behind.
    await db.query(`reassign owned by ${role} to current_user`);
    await db.query(`drop owned by ${role}`);
    await db.query(`drop role ${role}`);
  });
});
