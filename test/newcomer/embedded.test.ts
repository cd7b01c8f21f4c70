/**
 * The embedded default: with DATABASE_URL unset, tm plans and applies
 * against PGlite persisted in state/pglite/ (src/db/embedded.ts). The real
 * binary in a copy of the repository's example, as a newcomer runs it; then
 * the multiplexer that lets tm's several pg connections share PGlite's one
 * session, in-process.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import pg from 'pg';
import { runTm, TM_BIN, type TmResult } from '../harness/cli.js';
import { removeTempProjects, tempProject } from '../support/temp-project.js';
import { embeddedUrl, ensureEmbedded, setEmbeddedLog, stopEmbedded } from '../../src/db/embedded.js';

const NOTICE = /^tm: DATABASE_URL is not set, so database "main" is tm's embedded PostgreSQL \(PGlite\) in state\/pglite\/main\/.*; to use your own server, set DATABASE_URL in the environment or in \.env\.$/m;

function output(result: TmResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** tm with no database URL anywhere (and none in .env: temp projects have none). */
function tm(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<TmResult> {
  return runTm(args, { cwd: dir, env: { DATABASE_URL: undefined, TM_EMBEDDED: undefined, ...env }, timeoutMs: 100_000 });
}

describe('embedded PostgreSQL when no database URL is configured (real binary)', function () {
  this.timeout(200_000);
  after(removeTempProjects);

  it('tm plan then tm apply create the example tenants in state/pglite/; a second plan says No changes', async () => {
    const dir = tempProject();
    const plan = await tm(dir, ['plan', '--no-sql']);
    expect(plan.code, output(plan)).to.equal(0);
    expect(plan.stderr.match(new RegExp(NOTICE.source, 'gm')), output(plan)).to.have.length(1);
    expect(plan.stderr).to.contain('(created now)');
    expect(plan.stdout).to.match(/^Plan: 3 schemas to change \(3 new\), 0 unchanged, in 1 cohort\.$/m);
    expect(existsSync(path.join(dir, 'state', 'pglite', 'main', 'PG_VERSION'))).to.equal(true);
    // The data directory is never committed, even in a project without state/.gitignore.
    expect(readFileSync(path.join(dir, 'state', 'pglite', '.gitignore'), 'utf8')).to.match(/^\*$/m);

    const [file] = readdirSync(path.join(dir, 'plans'));
    const apply = await tm(dir, ['apply', `plans/${file}`]);
    expect(apply.code, output(apply)).to.equal(0);
    for (const t of ['tenant_acme', 'tenant_globex', 'tenant_initech']) expect(apply.stdout).to.contain(`✓ main/${t}: applied`);
    expect(apply.stdout).to.match(/Apply complete: 3 applied, 0 already applied, 0 stale, 0 failed/);
    expect(apply.stderr).to.match(NOTICE);
    expect(apply.stderr).to.not.contain('(created now)');

    const again = await tm(dir, ['plan', '--detailed-exitcode']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 3 schemas already match the Prisma schema.');

    const status = await tm(dir, ['status']);
    expect(status.code, output(status)).to.equal(0);
    expect(status.stdout).to.match(/3 tenant schema\(s\): 3 up to date/);
    // Nothing is left behind: no lock file, no socket directory.
    expect(existsSync(path.join(dir, 'state', 'pglite', 'main.lock'))).to.equal(false);
  });

  it('validate says plan and apply will use the embedded database, and contacts nothing', async () => {
    const dir = tempProject();
    const result = await tm(dir, ['validate']);
    expect(result.code, output(result)).to.equal(0);
    expect(result.stderr).to.contain(`plan and apply will use tm's embedded PostgreSQL in state/pglite/main/`);
    expect(existsSync(path.join(dir, 'state'))).to.equal(false);
  });

  it('an empty DATABASE_URL (a missing CI secret) and TM_EMBEDDED=0 are errors, not the embedded database', async () => {
    const dir = tempProject();
    const empty = await tm(dir, ['plan'], { DATABASE_URL: '' });
    expect(empty.code, output(empty)).to.equal(1);
    expect(empty.stderr).to.match(/^Error: environment variable DATABASE_URL is set but empty \(database "main"/m);
    expect(empty.stderr).not.to.contain('is not set');
    expect(empty.stderr).to.contain(`unset it to use tm's embedded PostgreSQL`);
    const off = await tm(dir, ['plan'], { TM_EMBEDDED: '0' });
    expect(off.code, output(off)).to.equal(1);
    expect(off.stderr).to.match(/^Error: environment variable DATABASE_URL is not set \(database "main"/m);
    expect(existsSync(path.join(dir, 'state'))).to.equal(false);
  });

  it('one tm at a time: a second one waits for the data directory, then names the holder; a dead holder’s lock is taken over', async () => {
    const dir = tempProject();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      rmSync(path.join(dir, 'state'), { recursive: true, force: true });
      const lock = path.join(dir, 'state', 'pglite', 'main.lock');
      (await import('node:fs')).mkdirSync(path.dirname(lock), { recursive: true });
      writeFileSync(lock, `${holder.pid}\n`);
      const busy = await tm(dir, ['status'], { TM_EMBEDDED_LOCK_WAIT_MS: '500' });
      expect(busy.code, output(busy)).to.equal(1);
      expect(busy.stderr).to.match(new RegExp(`^Error: The embedded database of "main" is in use by another tm process \\(pid ${holder.pid}\\)`, 'm'));
      expect(busy.stderr).to.contain('set DATABASE_URL to a PostgreSQL server');
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    // The holder is gone: its lock is stale.
    const status = await tm(dir, ['status']);
    expect(status.code, output(status)).to.equal(0);
    expect(status.stdout).to.match(/3 tenant schema\(s\): 0 up to date, 0 with pending changes, 3 not created/);
  });
});

describe('embedded PostgreSQL: the lock of a tm killed as pid 1 (a container)', function () {
  this.timeout(200_000);
  after(removeTempProjects);

  it('is taken over at once, and the socket directory the killed run left behind is removed', async () => {
    const dir = tempProject();
    // A real tm, killed (-9) while it holds the data directory.
    const victim = spawn(process.execPath, [TM_BIN, 'status'], { cwd: dir, env: { ...process.env, DATABASE_URL: undefined, TM_EMBEDDED: undefined }, stdio: 'ignore' });
    const lock = path.join(dir, 'state', 'pglite', 'main.lock');
    const socketDir = path.join(os.tmpdir(), `tm-${victim.pid}-1`);
    // Killed once it serves the database: the lock taken, the socket directory made.
    const served = path.join(socketDir, '.s.PGSQL.5432');
    for (let i = 0; i < 3000 && !existsSync(served); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    expect(existsSync(lock)).to.equal(true);
    expect(existsSync(socketDir)).to.equal(true);
    // Had it been pid 1, its lock would name pid 1: alive in every later run.
    writeFileSync(lock, readFileSync(lock, 'utf8').replace(/^\d+/, '1'));
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(socketDir, old, old);

    const started = Date.now();
    const status = await tm(dir, ['status']);
    expect(status.code, output(status)).to.equal(0);
    expect(Date.now() - started).to.be.below(10_000);
    expect(existsSync(socketDir)).to.equal(false);
    expect(existsSync(lock)).to.equal(false);

    // A holder whose socket accepts is alive, whatever its pid says: the second tm waits, then names it.
    const socket = path.join(mkdtempSync(path.join(os.tmpdir(), 'tm-lock-test-')), 'holder.sock');
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => holder.stdout!.once('data', resolve));
      writeFileSync(lock, `1\n${socket}\n`);
      const busy = await tm(dir, ['status'], { TM_EMBEDDED_LOCK_WAIT_MS: '500' });
      expect(busy.code, output(busy)).to.equal(1);
      expect(busy.stderr).to.match(/^Error: The embedded database of "main" is in use by another tm process \(pid 1\)/m);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
      rmSync(path.dirname(socket), { recursive: true, force: true });
    }

    // A lock an earlier tm wrote (the pid alone) reading 1 is stale too.
    writeFileSync(lock, '1\n');
    const again = await tm(dir, ['status'], { TM_EMBEDDED_LOCK_WAIT_MS: '2000' });
    expect(again.code, output(again)).to.equal(0);
  });
});

describe('embedded PostgreSQL: many pg connections on one PGlite session (in-process)', function () {
  this.timeout(120_000);
  let projectDir = '';
  let url = '';
  const logged: string[] = [];
  const clients: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  }

  before(async () => {
    projectDir = mkdtempSync(path.join(os.tmpdir(), 'tm-embedded-'));
    setEmbeddedLog((line) => logged.push(line));
    url = embeddedUrl(projectDir, 'main', 'TM_TEST_UNSET_URL');
    await ensureEmbedded(url);
    const c = await client();
    await c.query('create table t (id int primary key, v text)');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await stopEmbedded();
    rmSync(projectDir, { recursive: true, force: true });
  });

  it('announced itself once, naming the variable', () => {
    expect(logged).to.have.length(1);
    expect(logged[0]).to.contain('TM_TEST_UNSET_URL is not set');
  });

  it('a transaction is never interleaved with another connection’s statements', async () => {
    const [a, b] = [await client(), await client()];
    await a.query('begin');
    await a.query(`insert into t values (1, 'a')`);
    // b's statement waits for a's transaction: it must not run inside it, nor see its row early.
    let bDone = false;
    const bCount = b.query('select count(*)::int as n from t').then((r) => {
      bDone = true;
      return r.rows[0].n as number;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bDone).to.equal(false);
    await a.query('rollback');
    expect(await bCount).to.equal(0);
  });

  it('two connections may prepare statements of the same name', async () => {
    const [a, b] = [await client(), await client()];
    for (const [c, n] of [[a, 1], [b, 2], [a, 3], [b, 4]] as const) {
      const r = await c.query({ name: 'same_name', text: 'select $1::int * 10 as x', values: [n] });
      expect(r.rows[0].x).to.equal(n * 10);
    }
  });

  it('after an error in the extended protocol, the next queries get their own results', async () => {
    const c = await client();
    const failed = c.query('select $1::int / 0 as x', [1]).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    const next = c.query('select $1::text as y', ['after']);
    expect(await failed).to.match(/division by zero/);
    expect((await next).rows).to.deep.equal([{ y: 'after' }]);
    // In a transaction too: the failed statement, then ROLLBACK gets its own answer.
    await c.query('begin');
    const inTransaction = await c.query('select nope').then(
      () => 'no error',
      (e: Error) => e.message,
    );
    expect(inTransaction).to.match(/column "nope" does not exist/);
    await c.query('rollback');
    expect((await c.query('select 1 as one')).rows).to.deep.equal([{ one: 1 }]);
  });

  it('a connection that goes away inside a transaction has it rolled back, and the others go on', async () => {
    const a = await client();
    const b = await client();
    await a.query('begin');
    await a.query(`insert into t values (2, 'gone')`);
    const waiting = b.query('select count(*)::int as n from t');
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect((await waiting).rows[0].n).to.equal(0);
    await b.query(`insert into t values (3, 'kept')`);
    expect((await b.query('select v from t')).rows).to.deep.equal([{ v: 'kept' }]);
  });

  it('Prisma’s pg adapter connects through the socket URL', async () => {
    const require = createRequire(import.meta.url);
    const { PrismaPg } = require('@prisma/adapter-pg');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const adapter = await new PrismaPg(pool).connect();
      const result = await adapter.queryRaw({ sql: 'select v from t where id = $1', args: [3], argTypes: [{ scalarType: 'int', arity: 'scalar' }] });
      expect(result.rows).to.deep.equal([['kept']]);
    } finally {
      await pool.end();
    }
  });
});
