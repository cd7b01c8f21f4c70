import { expect } from 'chai';
import { runTm, type TmResult } from '../harness/cli.js';
import { REPO_DIR, removeTempProjects, tempProject } from '../support/temp-project.js';

/** The contract for every broken input: one `Error: file:line…` line plus one hint line, exit 1, no stack. */
function expectOneLineError(result: TmResult, location: RegExp): string {
  expect(result.code, result.stderr).to.equal(1);
  expect(result.stdout).to.equal('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).to.have.length(2);
  expect(lines[0]).to.match(/^Error: /);
  expect(lines[0].slice('Error: '.length)).to.match(location);
  expect(result.stderr).to.not.match(/\n\s+at /);
  return lines[0];
}

describe('tm validate', () => {
  after(removeTempProjects);

  it('prints the example project’s summary and exits 0', async () => {
    const result = await runTm(['validate'], { cwd: REPO_DIR, env: { DATABASE_URL: 'postgresql://tm:s3cret@db.example.com:5432/app' } });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^Prisma schema\s+prisma\/schema \(3 files, sha256:[0-9a-f]{12}\)$/m);
    expect(result.stdout).to.match(/files\s+product\.prisma, schema\.prisma, user\.prisma/);
    expect(result.stdout).to.match(/models \(5\)\s+Product, Category, Order, OrderItem, User/);
    expect(result.stdout).to.match(/enums \(1\)\s+Role/);
    expect(result.stdout).to.match(/tenants \(3\)\s+tenant_acme, tenant_globex, tenant_initech/);
    expect(result.stdout).to.match(/discover\s+tenant_\*/);
    expect(result.stdout).to.match(/labels\s+wave=canary \(1\)/);
    expect(result.stdout).to.contain('postgresql://tm:***@db.example.com:5432/app');
    expect(result.stdout + result.stderr).to.not.contain('s3cret');
    expect(result.stderr).to.equal('');
  });

  it('masks the whole password however the connection string quotes or escapes it', async () => {
    // Each secret is made of SECRET and PART so that a value cut short at the space, quote or escape shows.
    const forms = [
      String.raw`host=db.example.com password=SECRET\ PART dbname=app`,
      String.raw`host=db.example.com password='SECRET\' PART' dbname=app`,
      String.raw`host=db.example.com password = 'SECRET PART\\' dbname=app`,
      String.raw`host=db.example.com sslpassword=SECRET\'PART dbname=app`,
      'postgresql://tm:SECRET PART@db.example.com/app',
      'postgresql://tm:SECRET#PART@db.example.com/app',
      'postgresql://tm:SECRET/PART@db.example.com/app',
      'postgresql://tm:SECRET@PART@db.example.com/app?password=SECRETPART',
      'postgresql://db.example.com/app?sslmode=require&password=SECRETPART',
    ];
    // One database per form, so that one run shows them all.
    const yaml = 'databases:\n' + forms.map((_, i) => `  db${i}:\n    url: env(URL_${i})\n    tenants: [t${i}]\n`).join('');
    const env = Object.fromEntries(forms.map((url, i) => [`URL_${i}`, url]));
    const result = await runTm(['validate'], { cwd: tempProject({ 'tenants.yaml': yaml }), env });
    expect(result.code, result.stderr).to.equal(0);
    forms.forEach((url, i) => {
      const shown = new RegExp(`url env\\(URL_${i}\\) = (.*)$`, 'm').exec(result.stdout)?.[1];
      expect(shown, url).to.contain('***').and.to.contain('db.example.com').and.to.not.match(/SECRET|PART/);
    });
    expect(result.stdout + result.stderr).to.not.match(/SECRET|PART/);
  });

  it('only warns when a database’s environment variable is unset', async () => {
    const dir = tempProject();
    const result = await runTm(['validate'], { cwd: dir, env: { DATABASE_URL: undefined } });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/url env\(DATABASE_URL\) \(not set\)/);
    expect(result.stderr).to.match(/^Warning: DATABASE_URL is not set \(database "main"\)/);
  });

  it('fails on a model defined in two files, naming both', async () => {
    const dir = tempProject({ 'prisma/schema/zz.prisma': 'model User {\n  id Int @id\n}\n' });
    const line = expectOneLineError(await runTm(['validate'], { cwd: dir }), /^prisma\/schema\/zz\.prisma:1: /);
    expect(line).to.contain('prisma/schema/user.prisma:2');
  });

  it('fails on a second datasource block', async () => {
    const dir = tempProject({ 'prisma/schema/zz.prisma': 'datasource other {\n  provider = "postgresql"\n}\n' });
    expectOneLineError(await runTm(['validate'], { cwd: dir }), /^prisma\/schema\/zz\.prisma:1: a second datasource block/);
  });

  it('fails on a Prisma syntax error', async () => {
    const dir = tempProject({ 'prisma/schema/zz.prisma': 'model Broken {\n  id Int @id\n  oops = 1\n}\n' });
    expectOneLineError(await runTm(['validate'], { cwd: dir }), /^prisma\/schema\/zz\.prisma:3: /);
  });

  it('fails on a YAML syntax error', async () => {
    const dir = tempProject({ 'tenants.yaml': 'databases:\n  main:\n    url: env(DATABASE_URL)\n    tenants: [a, b\n' });
    expectOneLineError(await runTm(['validate'], { cwd: dir }), /^tenants\.yaml:\d+:\d+: /);
  });

  it('fails on an unknown key in tenants.yaml', async () => {
    const dir = tempProject({ 'tenants.yaml': 'databases:\n  main:\n    url: env(DATABASE_URL)\n    tennants: [a]\n' });
    expectOneLineError(await runTm(['validate'], { cwd: dir }), /^tenants\.yaml:4:5: unknown key "tennants"/);
  });

  it('fails on a literal password in a database URL, without printing it', async () => {
    const dir = tempProject({ 'tenants.yaml': 'databases:\n  main:\n    url: "postgres://admin:Pa55w0rd!@db.internal:5432/app"\n' });
    const result = await runTm(['validate'], { cwd: dir });
    expectOneLineError(result, /^tenants\.yaml:3:10: databases\.main\.url must be env\(NAME\)/);
    expect(result.stdout + result.stderr).to.not.contain('Pa55w0rd');
  });

  it('fails on a schema name that is not an identifier', async () => {
    const dir = tempProject({ 'tenants.yaml': 'databases:\n  main:\n    url: env(DATABASE_URL)\n    tenants:\n      - "tenant-1; DROP"\n' });
    expectOneLineError(await runTm(['validate'], { cwd: dir }), /^tenants\.yaml:5:9: .*"tenant-1; DROP" is not a schema name tm accepts/);
  });

  it('honours the schema folder named in prisma.config.ts', async () => {
    const dir = tempProject({
      'prisma.config.ts': "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'db/schema' });\n",
      'db/schema/main.prisma': 'datasource db {\n  provider = "postgresql"\n}\n\nmodel Only {\n  id Int @id\n}\n',
    });
    const result = await runTm(['validate'], { cwd: dir });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^Prisma schema\s+db\/schema \(1 file,/m);
    expect(result.stdout).to.match(/models \(1\)\s+Only/);
  });
});
