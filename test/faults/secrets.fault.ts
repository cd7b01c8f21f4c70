/**
 * Secrets: a realistic session as a role with a password, on a server of its
 * own that checks passwords (scram-sha-256 for that role in pg_hba.conf).
 * Every output of every command (successes, refusals, failures, --json), every
 * file tm writes under the project (plans/, state/, anything but the .env that
 * holds the secret) and every row of tm's history and backups tables is
 * scanned: the password (raw or URL-encoded) and the full connection string
 * never appear; where a connection string is shown at all, its password is
 * masked.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { runTm, type TmResult } from '../harness/cli.js';
import { startThrowawayServer, type TestServer } from '../harness/postgres.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects, type FleetProject } from '../support/fleet.js';
import { figures } from './figures.js';
import { expectClean, NOTES, NOTES_CHANGED, sleep, startTm } from './support.js';

const ROLE = 'tm_secret_app';
const PASSWORD = 'p@ss/w:rd%S3cr3t-zQx9';
const ENV = 'APP_DATABASE_URL';


describe('faults: secrets never leak (password auth on a server of its own)', function () {
  this.timeout(300_000);
  let server: TestServer;
  let url: string;
  let maskedUrl: string;
  let project: FleetProject;
  let database: string;
  const scanned: { what: string; text: string }[] = [];

  before(async function () {
    this.timeout(120_000);
    server = await startThrowawayServer();
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    database = 'tm_secrets';
    await admin.query(`create role ${ROLE} login password '${PASSWORD.replace(/'/g, "''")}'`);
    await admin.query(`create database ${database} owner ${ROLE}`);
    await admin.end();
    // Password authentication for the role (first matching line wins); everyone else keeps trust.
    const hba = path.join(server.dataDir, 'pg_hba.conf');
    writeFileSync(hba, `host all ${ROLE} 127.0.0.1/32 scram-sha-256\n` + readFileSync(hba, 'utf8'));
    server.reload();
    const u = new URL(server.adminUrl);
    u.username = ROLE;
    u.password = encodeURIComponent(PASSWORD);
    u.pathname = '/' + database;
    url = u.toString();
    maskedUrl = url.replace(encodeURIComponent(PASSWORD), '***');
    project = fleetProject({ prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    writeFileSync(path.join(project.dir, 'tenants.yaml'), `databases:\n  main:\n    url: env(${ENV})\n    tenants: [s_a, s_b, s_c]\n`);
    // Where a developer keeps it: .env (tm reads it; never committed, never scanned).
    writeFileSync(path.join(project.dir, '.env'), `${ENV}=${url}\n`);
  });
  after(() => {
    server?.stop();
    removeFleetProjects();
  });

  const run = async (args: string[], env: Record<string, string | undefined> = {}): Promise<TmResult> => {
    const result = await runTm(args, { cwd: project.dir, env: { TM_EMBEDDED: '0', ...env }, timeoutMs: 120_000 });
    scanned.push({ what: `tm ${args.join(' ')}`, text: output(result) });
    expectClean(result, `tm ${args.join(' ')}`);
    return result;
  };

  /** Every way the password could show: raw, URL-encoded, inside the full URL, or any URL with an unmasked password. */
  function leaks(text: string): string[] {
    const found: string[] = [];
    for (const needle of [PASSWORD, encodeURIComponent(PASSWORD), url, 'S3cr3t-zQx9']) if (text.includes(needle)) found.push(needle);
    const unmasked = /[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+:(?!\*\*\*@)[^\s@"']+@/i.exec(text);
    if (unmasked) found.push(unmasked[0]);
    return found;
  }

  it('the password is checked by the server: a wrong one is refused, naming the database and user, not the password', async () => {
    const wrong = url.replace(encodeURIComponent(PASSWORD), 'not-the-password');
    const result = await run(['plan', '--no-sql'], { [ENV]: wrong });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain(`Error: Cannot connect to database "main": password authentication failed for user "${ROLE}"`);
    expect(result.stderr).to.not.contain('not-the-password');
  });

  it('a whole session (validate, plan, show, apply --json, status, drift, migrate, backups, rollback, reset) and its failures leak nothing', async () => {
    const validated = await run(['validate']);
    expect(validated.code, output(validated)).to.equal(0);
    expect(validated.stdout, 'the connection string is shown masked').to.contain(`= ${maskedUrl}`);

    const planned = await run(['plan', '--name', 'base', '-o', 'plans/base.plan.json']);
    expect(planned.code, output(planned)).to.equal(0);
    const applied = await run(['apply', 'plans/base.plan.json', '--json']);
    expect(applied.code, output(applied)).to.equal(0);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => {});
    try {
      for (const t of ['s_a', 's_b', 's_c']) await pool.query(`insert into ${t}."Note"(title, legacy) select 'n' || g, 'old' from generate_series(1, 10) g`);

      for (const format of ['text', 'markdown', 'json']) expect((await run(['show', 'plans/base.plan.json', '--format', format])).code).to.equal(0);
      expect((await run(['status'])).code).to.equal(0);
      expect((await run(['status', '--json'])).code).to.equal(0);
      expect((await run(['drift'])).code).to.be.oneOf([0, 2]);
      expect((await run(['drift', '--json'])).code).to.be.oneOf([0, 2]);

      project.writePrisma('notes.prisma', NOTES_CHANGED);
      const refused = await run(['apply', 'plans/base.plan.json', '--json']); // already applied: a plain run
      expect(refused.code).to.equal(0);
      const lossy = await run(['plan', '--name', 'drop_legacy', '-o', 'plans/drop.plan.json']);
      expect(lossy.code).to.equal(0);
      const notAllowed = await run(['apply', 'plans/drop.plan.json', '--json']);
      expect(notAllowed.code).to.equal(1);
      expect(notAllowed.stdout).to.contain('"event":"refused"');
      const migrated = await run(['migrate', 'drop_legacy', '--force']);
      expect(migrated.code, output(migrated)).to.equal(0);
      expect((await run(['backups', 'list'])).code).to.equal(0);
      expect((await run(['backups', 'list', '--json'])).code).to.equal(0);
      const rolledBack = await run(['rollback', 'drop_legacy', '--schema', 's_a', '--force']);
      expect(rolledBack.code, output(rolledBack)).to.equal(0);
      const reset = await run(['reset', '--schema', 's_c', '--force']);
      expect(reset.code, output(reset)).to.equal(0);

      // Failures, each printing what went wrong.
      await pool.query(`insert into s_b."Note"(title) values ('x')`);
      project.writePrisma('notes.prisma', NOTES_CHANGED.replace('  body  String?', '  body  String'));
      const failing = await run(['migrate', 'require_body', '--force', '--schema', 's_b']);
      expect(failing.code).to.equal(1);
      expect(failing.stdout).to.contain('failed, rolled back');

      const holder = await pool.connect();
      try {
        await holder.query(`select pg_advisory_lock(${0x746d}, 1)`);
        const locked = await run(['migrate', 'while_locked', '--force', '--lock-wait', '500ms']);
        expect(locked.code).to.equal(1);
        expect(locked.stderr).to.contain(`user ${ROLE}`);
      } finally {
        holder.release(true);
      }

      const unreachable = url.replace(/:(\d+)\//, ':1/');
      expect((await run(['plan', '--no-sql'], { [ENV]: unreachable })).code).to.equal(1);
      expect((await run(['status'], { [ENV]: unreachable })).code).to.equal(1);
      expect((await run(['plan', '--no-sql'], { [ENV]: url.replace('@', '@[') })).code).to.equal(1);
      const keyValue = await run(['plan', '--no-sql'], { [ENV]: `host=127.0.0.1 port=1 user=${ROLE} password=${PASSWORD} dbname=${database}` });
      expect(keyValue.code).to.equal(1);
      expect(keyValue.stderr).to.contain(`the connection string in ${ENV} is not a URL`);

      // Two databases, one unreachable: the plan records why it was left out.
      writeFileSync(
        path.join(project.dir, 'tenants.yaml'),
        `databases:\n  main:\n    url: env(${ENV})\n    tenants: [s_a, s_b, s_c]\n  shard:\n    url: env(SHARD_URL)\n    tenants: [s_d]\n`,
      );
      const skipped = await run(['plan', '--no-sql', '--skip-unreachable', '--name', 'skipped', '-o', 'plans/skipped.plan.json'], { SHARD_URL: unreachable });
      expect(skipped.code, output(skipped)).to.equal(0);
      expect(readFileSync(path.join(project.dir, 'plans/skipped.plan.json'), 'utf8')).to.contain('"notPlanned"');
      expect((await run(['apply', 'plans/skipped.plan.json', '--json', '--allow-hazards', 'DATA_LOSS'], { SHARD_URL: unreachable })).code).to.be.oneOf([0, 1]);

      // A run killed mid-way leaves nothing behind with the password either.
      const killed = startTm(['migrate', 'killed', '--force'], { cwd: project.dir, env: { SHARD_URL: url } });
      await sleep(1500);
      killed.child.kill('SIGKILL');
      scanned.push({ what: 'a killed tm migrate', text: (await killed.done, killed.output) });

      // tm's own tables: history and backups, every column.
      for (const table of ['history', 'backups']) {
        const { rows } = await pool.query(`select t::text as row from tm.${table} t`);
        expect(rows.length, table).to.be.greaterThan(0);
        for (const r of rows) scanned.push({ what: `tm.${table} row`, text: r.row });
      }
      const { rows: activity } = await pool.query(`select application_name from pg_stat_activity`);
      for (const r of activity) scanned.push({ what: 'pg_stat_activity.application_name', text: r.application_name ?? '' });
    } finally {
      await pool.end();
    }

    // Every file tm wrote under the project (plans/, state/, …), but the .env that holds the secret.
    const files = walk(project.dir).filter((f) => path.basename(f) !== '.env');
    expect(files.filter((f) => f.includes(`${path.sep}plans${path.sep}`)).length, 'plan files written').to.be.at.least(6);
    for (const f of files) scanned.push({ what: path.relative(project.dir, f), text: readFileSync(f, 'utf8') });

    if (process.env.FAULT_VERBOSE) for (const s of scanned) console.log(`--- ${s.what}\n${s.text.slice(0, 400)}`);
    figures.outputsScanned += scanned.length;
    const leaked = scanned.flatMap((s) => leaks(s.text).map((needle) => `${s.what}: ${needle}`));
    expect(leaked, `leaks in ${scanned.length} outputs, files and rows`).to.deep.equal([]);
    // Plans never hold a connection string at all, masked or not.
    for (const f of files.filter((x) => x.endsWith('.plan.json'))) expect(readFileSync(f, 'utf8'), f).to.not.match(/postgres(ql)?:\/\//);
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}
