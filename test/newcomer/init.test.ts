/**
 * `tm init` in an existing Prisma project: the files it writes, refusing to
 * overwrite, the variable name Prisma's setup uses, and tenant discovery in a
 * reachable database (listing on a terminal, a discover pattern without one).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadTenantsConfig } from '../../src/config/tenants.js';
import { chooseListed } from '../../src/cli/commands/init.js';
import { discoverPatterns, parseSelection, urlEnvName } from '../../src/init/init.js';
import { runTm, TM_BIN, type TmResult } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { REPO_DIR, removeTempProjects, tempProject } from '../support/temp-project.js';

const FILES = ['tenants.yaml', 'plans/.gitkeep', 'state/.gitignore', '.github/workflows/tm.yml'];

function output(result: TmResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** A Prisma project without tm's files: the example's prisma/schema only. */
function prismaProject(changes: Record<string, string | null> = {}): string {
  return tempProject({ 'tenants.yaml': null, ...changes });
}

function read(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), 'utf8');
}

describe('tm init', function () {
  this.timeout(60_000);
  after(removeTempProjects);

  describe('without a database', () => {
    it('writes tenants.yaml (DATABASE_URL, discover tenant_*), plans/, state/.gitignore and the example workflow', async () => {
      const dir = prismaProject();
      const result = await runTm(['init'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(result.code, output(result)).to.equal(0);
      for (const file of FILES) {
        expect(existsSync(path.join(dir, file)), file).to.equal(true);
        expect(result.stdout).to.match(new RegExp(`^  created   ${file.replace(/\./g, '\\.')}`, 'm'));
      }
      expect(result.stdout).to.contain("connection string: DATABASE_URL (Prisma's default)");
      expect(result.stdout).to.contain('DATABASE_URL is not set: no database to look at');
      expect(result.stdout).to.contain('npx tm plan');

      const config = loadTenantsConfig(dir);
      expect(config.databases).to.have.length(1);
      expect(config.databases[0]).to.include({ name: 'main', urlEnv: 'DATABASE_URL' });
      expect(config.databases[0].tenants).to.deep.equal([]);
      expect(config.databases[0].discover).to.deep.equal(['tenant_*']);
      expect(read(dir, 'plans/.gitkeep')).to.equal('');
      expect(read(dir, 'state/.gitignore').split('\n')).to.include.members(['*', '!.gitignore']);
      expect(read(dir, '.github/workflows/tm.yml')).to.equal(read(REPO_DIR, 'examples/ci/tm.yml'));

      const validate = await runTm(['validate'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(validate.code, output(validate)).to.equal(0);
    });

    it('refuses to overwrite files that differ, naming them, and writes nothing; --force overwrites', async () => {
      const dir = prismaProject();
      expect((await runTm(['init'], { cwd: dir, env: { DATABASE_URL: undefined } })).code).to.equal(0);
      writeFileSync(path.join(dir, '.github/workflows/tm.yml'), 'name: mine\n');
      writeFileSync(path.join(dir, 'tenants.yaml'), 'databases: {main: {url: env(DATABASE_URL)}}\n');
      const before = FILES.map((f) => read(dir, f));

      const refused = await runTm(['init'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(refused.code, output(refused)).to.equal(1);
      expect(refused.stdout).to.equal('');
      expect(refused.stderr).to.match(/^Error: tm init would overwrite tenants\.yaml, \.github\/workflows\/tm\.yml, which already exist; nothing was written\.$/m);
      expect(refused.stderr).to.contain('tm init --force');
      expect(FILES.map((f) => read(dir, f))).to.deep.equal(before);

      // Only the workflow in the way (tenants.yaml moved aside): named alone.
      const moved = prismaProject({ '.github/workflows/tm.yml': 'name: mine\n' });
      const one = await runTm(['init'], { cwd: moved, env: { DATABASE_URL: undefined } });
      expect(one.code).to.equal(1);
      expect(one.stderr).to.match(/would overwrite \.github\/workflows\/tm\.yml, which already exists;/);
      expect(existsSync(path.join(moved, 'tenants.yaml'))).to.equal(false);

      const forced = await runTm(['init', '--force'], { cwd: dir, env: { DATABASE_URL: undefined } });
      expect(forced.code, output(forced)).to.equal(0);
      expect(forced.stdout).to.match(/^  overwrote tenants\.yaml$/m);
      expect(forced.stdout).to.match(/^  overwrote \.github\/workflows\/tm\.yml/m);
      expect(forced.stdout).to.match(/^  unchanged plans\/\.gitkeep$/m);
      expect(read(dir, '.github/workflows/tm.yml')).to.equal(read(REPO_DIR, 'examples/ci/tm.yml'));
    });

    it('is for a Prisma project: without a schema it says so', async () => {
      const dir = tempProject({}, { example: false });
      const result = await runTm(['init'], { cwd: dir });
      expect(result.code, output(result)).to.equal(1);
      expect(result.stderr).to.match(/^Error: no Prisma schema found in /m);
      expect(existsSync(path.join(dir, 'tenants.yaml'))).to.equal(false);
    });

    it('uses the variable of prisma.config.ts’s datasource, in tenants.yaml and the workflow', async () => {
      const dir = prismaProject({
        'prisma.config.ts': [
          "import 'dotenv/config'",
          "import { defineConfig, env } from 'prisma/config'",
          'export default defineConfig({',
          "  schema: 'prisma/schema',",
          "  datasource: { url: env('POSTGRES_PRISMA_URL') },",
          '})',
          '',
        ].join('\n'),
      });
      expect(urlEnvName(dir)).to.deep.equal({ name: 'POSTGRES_PRISMA_URL', from: 'prisma.config.ts' });
      const result = await runTm(['init'], { cwd: dir, env: { POSTGRES_PRISMA_URL: undefined } });
      expect(result.code, output(result)).to.equal(0);
      expect(result.stdout).to.contain('connection string: POSTGRES_PRISMA_URL (as in prisma.config.ts)');
      expect(loadTenantsConfig(dir).databases[0].urlEnv).to.equal('POSTGRES_PRISMA_URL');
      const workflow = read(dir, '.github/workflows/tm.yml');
      expect(workflow).to.match(/^ {2}POSTGRES_PRISMA_URL: \$\{\{ secrets\.STAGING_DATABASE_URL \}\}$/m);
      expect(workflow).to.not.match(/^ {2}DATABASE_URL:/m);
    });

    it('reads a Prisma 6 schema’s datasource url = env("…")', () => {
      const dir = prismaProject({
        'prisma/schema/schema.prisma': 'generator client {\n  provider = "prisma-client"\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("APP_DB")\n}\n',
      });
      expect(urlEnvName(dir)).to.deep.equal({ name: 'APP_DB', from: 'prisma/schema/schema.prisma' });
      expect(urlEnvName(prismaProject())).to.deep.equal({ name: 'DATABASE_URL', from: 'default' });
    });

    it('an unreachable database is a warning, not a failure', async () => {
      const dir = prismaProject();
      const result = await runTm(['init'], { cwd: dir, env: { DATABASE_URL: 'postgresql://tm:pw-secret@127.0.0.1:1/nowhere' } });
      expect(result.code, output(result)).to.equal(0);
      expect(result.stderr).to.match(/^Warning: could not look at the database in DATABASE_URL: Cannot connect to database "main"/m);
      expect(result.stdout + result.stderr).to.not.contain('pw-secret');
      expect(loadTenantsConfig(dir).databases[0].discover).to.deep.equal(['tenant_*']);
    });
  });

  describe('with a database', () => {
    const db = useFreshDatabase();
    before(async () => {
      for (const s of ['tenant_a', 'tenant_b', 'cust_x', 'cust_y', 'legacy', 'tm']) await db.query(`create schema ${s}`);
      await db.query('create table tenant_a.t (id int); create table tenant_a.u (id int); create table legacy.t (id int)');
    });

    it('without a terminal: lists what it found and writes discover patterns for the shared prefixes; tm plan then finds them', async () => {
      const dir = prismaProject();
      const result = await runTm(['init'], { cwd: dir, env: { DATABASE_URL: db.url } });
      expect(result.code, output(result)).to.equal(0);
      expect(result.stdout).to.contain('Schemas that could be tenants (5):');
      expect(result.stdout).to.match(/^ {2}1\) cust_x {4}0 tables$/m);
      expect(result.stdout).to.match(/^ {2}3\) legacy {4}1 table$/m);
      expect(result.stdout).to.match(/^ {2}4\) tenant_a {2}2 tables$/m);
      expect(result.stdout).to.not.match(/\) (public|tm)\b/);
      expect(result.stdout).to.contain('discover: [cust_*, tenant_*] finds 4 of them.');
      expect(result.stdout).to.contain('No terminal to ask which to list by name');
      const config = loadTenantsConfig(dir);
      expect(config.databases[0].discover).to.deep.equal(['cust_*', 'tenant_*']);
      expect(config.databases[0].tenants).to.deep.equal([]);

      const plan = await runTm(['plan', '--no-sql'], { cwd: dir, env: { DATABASE_URL: db.url } });
      expect(plan.code, output(plan)).to.equal(0);
      expect(plan.stdout).to.match(/^Plan: 4 schemas to change, 0 unchanged/m);
      expect(plan.stderr).to.not.contain('No tenant schemas');
    });

    it('on a terminal: asks which to list by name', async function () {
      // `script` gives tm a pseudo-terminal; the answer is typed on its stdin.
      if (spawnSync('script', ['--version']).status !== 0) this.skip();
      const dir = prismaProject();
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(TM_BIN)} init`;
      const result = spawnSync('script', ['-qec', command, '/dev/null'], {
        cwd: dir,
        input: 'what\n3,5\n',
        env: { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.contain('List which of them by name in tenants.yaml?');
      expect(result.stdout).to.contain('Not understood: "what"');
      const config = loadTenantsConfig(dir);
      expect(config.databases[0].tenants.map((t) => t.schema)).to.deep.equal(['legacy', 'tenant_b']);
      expect(config.databases[0].discover).to.deep.equal(['cust_*', 'tenant_*']);
    });
  });

  describe('then a database with no tenant schema yet', () => {
    const db = useFreshDatabase();
    const note = 'No tenant schemas: tenants.yaml lists none for database main and its discover patterns (tenant_*) match none. Add them under databases.main.tenants (or discover: [tenant_*]).';

    it('tm plan, tm status and tm drift say that no tenant is listed or discovered, exit codes unchanged', async () => {
      const dir = prismaProject();
      expect((await runTm(['init'], { cwd: dir, env: { DATABASE_URL: undefined } })).code).to.equal(0);
      const env = { DATABASE_URL: db.url };

      const plan = await runTm(['plan'], { cwd: dir, env });
      expect(plan.code, output(plan)).to.equal(0);
      expect(plan.stdout).to.match(/^No changes\./m);
      expect(plan.stderr.split('\n')).to.include(note);
      expect((await runTm(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).to.equal(0);

      const status = await runTm(['status'], { cwd: dir, env });
      expect(status.code, output(status)).to.equal(0);
      expect(status.stderr.split('\n')).to.include(note);

      const drift = await runTm(['drift'], { cwd: dir, env });
      expect(drift.code, output(drift)).to.equal(0);
      expect(drift.stderr.split('\n')).to.include(note);

      // Once discovery finds a tenant, no note.
      await db.query('create schema tenant_new');
      const found = await runTm(['plan', '--no-sql'], { cwd: dir, env });
      expect(found.code, output(found)).to.equal(0);
      expect(found.stdout).to.match(/^Plan: 1 schema to change/m);
      expect(found.stderr).to.not.contain('No tenant schemas');
    });
  });

  describe('choosing (pure)', () => {
    it('parses all, none, numbers and ranges; refuses anything else', () => {
      expect(parseSelection('', 4)).to.deep.equal([]);
      expect(parseSelection('none', 4)).to.deep.equal([]);
      expect(parseSelection('ALL', 3)).to.deep.equal([0, 1, 2]);
      expect(parseSelection('1,3-4', 4)).to.deep.equal([0, 2, 3]);
      expect(parseSelection(' 2 1 2 ', 4)).to.deep.equal([0, 1]);
      for (const bad of ['0', '5', '3-2', 'x', '1,,b']) expect(parseSelection(bad, 4), bad).to.equal(null);
    });

    it('asks again when not understood, at most three times', async () => {
      const found = ['a_1', 'a_2', 'b'].map((schema) => ({ schema, tables: 0 }));
      const answers = ['?', '2-3'];
      const said: string[] = [];
      expect(await chooseListed(found, async () => answers.shift() ?? '', (t) => said.push(t))).to.deep.equal(['a_2', 'b']);
      expect(said).to.have.length(1);
      expect(await chooseListed(found, async () => 'nope', () => {})).to.deep.equal([]);
    });

    it('discover patterns: shared prefixes, most common first; tenant_* when none', () => {
      expect(discoverPatterns(['org_1', 'org_2', 'org_3', 'ws_a', 'ws_b', 'single_x', 'plain'])).to.deep.equal(['org_*', 'ws_*']);
      expect(discoverPatterns(['legacy', 'one_a'])).to.deep.equal(['tenant_*']);
      expect(discoverPatterns([])).to.deep.equal(['tenant_*']);
    });
  });
});
