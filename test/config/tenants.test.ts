import { expect } from 'chai';
import path from 'node:path';
import { globToRegExp, loadTenantsConfig, maskUrl } from '../../src/config/tenants.js';
import { TmError } from '../../src/errors.js';
import { REPO_DIR, removeTempProjects, tempProject } from '../support/temp-project.js';

/** The TmError message loading this tenants.yaml gives. */
function errorFor(yaml: string): TmError {
  const dir = tempProject({ 'tenants.yaml': yaml }, { example: false });
  try {
    loadTenantsConfig(dir);
  } catch (error) {
    expect(error).to.be.instanceOf(TmError);
    expect((error as TmError).message).to.not.contain('\n');
    return error as TmError;
  }
  throw new Error('expected loadTenantsConfig to fail');
}

const MAIN = 'databases:\n  main:\n    url: env(DATABASE_URL)\n';

describe('tenants.yaml', () => {
  after(removeTempProjects);

  it('loads the example into a typed config', () => {
    const config = loadTenantsConfig(REPO_DIR);
    expect(config).to.deep.equal({
      path: path.join(REPO_DIR, 'tenants.yaml'),
      metadataSchema: 'tm',
      documentationComments: false,
      databases: [
        {
          name: 'main',
          urlEnv: 'DATABASE_URL',
          tenants: [
            { schema: 'tenant_acme', labels: {} },
            { schema: 'tenant_globex', labels: { wave: 'canary' } },
            { schema: 'tenant_initech', labels: {} },
          ],
          discover: ['tenant_*'],
          extensionSchema: 'public',
        },
      ],
      policy: { allowHazards: [] },
      waves: [],
    });
  });

  it('reads policy.allowHazards, and refuses a hazard type that does not exist, naming the valid ones', () => {
    const dir = tempProject({ 'tenants.yaml': `${MAIN}policy:\n  allowHazards: [DATA_LOSS, TABLE_REWRITE, DATA_LOSS]\n` }, { example: false });
    expect(loadTenantsConfig(dir).policy).to.deep.equal({ allowHazards: ['DATA_LOSS', 'TABLE_REWRITE'] });
    expect(errorFor(`${MAIN}policy:\n  allowHazards:\n    - DATA_LOS\n`).message).to.equal(
      'tenants.yaml:6:7: policy.allowHazards[0] "DATA_LOS" is not one of DATA_LOSS, TABLE_REWRITE, ACCESS_EXCLUSIVE_LOCK, INDEX_BUILD, MAY_FAIL_ON_DATA, NON_TRANSACTIONAL',
    );
    expect(errorFor(`${MAIN}policy:\n  allowHazard: [DATA_LOSS]\n`).message).to.equal('tenants.yaml:5:3: unknown key "allowHazard" in policy (allowed: allowHazards)');
    expect(errorFor(`${MAIN}policy:\n  allowHazards: DATA_LOSS\n`).message).to.equal('tenants.yaml:5:17: policy.allowHazards must be a list');
  });

  it('defaults metadataSchema to tm, tenants and discover to empty, and turns label values into strings', () => {
    const dir = tempProject({ 'tenants.yaml': `${MAIN}    tenants:\n      - schema: t1\n        labels: { wave: 2, pilot: true }\n` }, { example: false });
    const config = loadTenantsConfig(dir);
    expect(config.metadataSchema).to.equal('tm');
    expect(config.databases[0].tenants).to.deep.equal([{ schema: 't1', labels: { wave: '2', pilot: 'true' } }]);
    expect(config.databases[0].discover).to.deep.equal([]);
    expect(config.databases[0].extensionSchema).to.equal('public');
  });

  it('reads a database\'s extensionSchema, and refuses one that is a tenant or the metadata schema', () => {
    const dir = tempProject({ 'tenants.yaml': `${MAIN}    extensionSchema: extensions\n` }, { example: false });
    expect(loadTenantsConfig(dir).databases[0].extensionSchema).to.equal('extensions');
    expect(errorFor(`${MAIN}    extensionSchema: "Ext"\n`).message).to.match(/^tenants\.yaml:4:22: databases\.main\.extensionSchema "Ext" is not a schema name/);
    expect(errorFor(`${MAIN}    extensionSchema: a\n    tenants: [a]\n`).message).to.equal(
      'tenants.yaml:4:22: extensionSchema "a" of database "main" is one of its tenants',
    );
    expect(errorFor(`${MAIN}    extensionSchema: tm\n`).message).to.match(/^tenants\.yaml:4:22: extensionSchema "tm" of database "main" is tm's metadata schema/);
  });

  it('reads another file when given one', () => {
    const dir = tempProject({ 'config/staging.yaml': 'metadataSchema: tm_meta\ndatabases:\n  staging:\n    url: env(STAGING_URL)\n' }, { example: false });
    const config = loadTenantsConfig(dir, 'config/staging.yaml');
    expect(config.metadataSchema).to.equal('tm_meta');
    expect(config.databases.map((d) => d.name)).to.deep.equal(['staging']);
  });

  it('reports a YAML syntax error with line and column', () => {
    expect(errorFor('databases:\n  main:\n    url: env(X)\n   tenants: [a\n').message).to.match(/^tenants\.yaml:4:\d+: /);
  });

  it('reports unknown keys at the key, listing the allowed ones', () => {
    expect(errorFor(`${MAIN}    tenant:\n      - a\n`).message).to.equal('tenants.yaml:4:5: unknown key "tenant" in databases.main (allowed: url, tenants, discover, extensionSchema)');
    expect(errorFor(`${MAIN}schemas: 1\n`).message).to.equal('tenants.yaml:4:1: unknown key "schemas" (allowed: metadataSchema, databases, waves, policy, documentationComments)');
    expect(errorFor(`${MAIN}    tenants:\n      - schema: a\n        label: { x: y }\n`).message).to.match(/^tenants\.yaml:6:9: unknown key "label"/);
  });

  it('refuses a connection string in url without printing it', () => {
    const error = errorFor('databases:\n  main:\n    url: postgresql://admin:hunter2@db.example.com/app\n');
    expect(error.message).to.equal('tenants.yaml:3:10: databases.main.url must be env(NAME): use url: env(NAME) and put the connection string in the environment or .env');
    expect(`${error.message}\n${error.hint}`).to.not.contain('hunter2');
  });

  it('refuses schema names that are not plain PostgreSQL identifiers', () => {
    const listed = errorFor(`${MAIN}    tenants:\n      - tenant_ok\n      - "tenant-1; DROP"\n`);
    expect(listed.message).to.match(/^tenants\.yaml:6:9: databases\.main\.tenants\[1\] "tenant-1; DROP" is not a schema name tm accepts: use lowercase letters/);
    expect(errorFor(`${MAIN}    tenants:\n      - schema: Tenant_Upper\n`).message).to.match(/^tenants\.yaml:5:17: .*is not a schema name/);
    expect(errorFor(`metadataSchema: "tm meta"\n${MAIN}`).message).to.match(/^tenants\.yaml:1:17: metadataSchema "tm meta" is not a schema name/);
    expect(errorFor(`${MAIN}    tenants: [pg_catalog]\n`).message).to.match(/^tenants\.yaml:4:15: "pg_catalog" is a schema name PostgreSQL reserves/);
  });

  it('refuses a schema listed twice in one database, naming both lines', () => {
    expect(errorFor(`${MAIN}    tenants:\n      - a\n      - b\n      - schema: a\n`).message).to.equal(
      'tenants.yaml:7:9: tenant "a" is listed twice for database "main" (first at tenants.yaml:5:9)',
    );
  });

  it('refuses the metadata schema as a tenant', () => {
    expect(errorFor(`metadataSchema: shared\n${MAIN}    tenants:\n      - shared\n`).message).to.match(/^tenants\.yaml:6:9: "shared" is tm's metadata schema/);
  });

  it('refuses tm\'s backup schema and the extension schema as tenants, at the tenant\'s line', () => {
    // A --skip-backup plan for tm_backup dropped the backups a later rollback needed.
    expect(errorFor(`${MAIN}    tenants:\n      - tenant_a\n      - tm_backup\n`).message).to.match(/^tenants\.yaml:6:9: "tm_backup" is tm's backup schema/);
    expect(errorFor(`metadataSchema: meta\n${MAIN}    tenants: [meta_backup]\n`).message).to.match(/^tenants\.yaml:5:15: "meta_backup" is tm's backup schema/);
    expect(errorFor(`${MAIN}    tenants:\n      - public\n`).message).to.match(/^tenants\.yaml:5:9: "public" is the extension schema of database "main"/);
    expect(errorFor(`${MAIN}    extensionSchema: tm_backup\n`).message).to.match(/^tenants\.yaml:4:22: extensionSchema "tm_backup" of database "main" is tm's backup schema/);
    expect(errorFor(`${MAIN}    tenants: [information_schema]\n`).message).to.match(/^tenants\.yaml:4:15: "information_schema" is a schema name PostgreSQL reserves/);
  });

  it('reports missing keys, wrong types and an empty file', () => {
    expect(errorFor('databases:\n  main:\n    tenants: [a]\n').message).to.equal('tenants.yaml:2:3: databases.main needs "url"');
    expect(errorFor('metadataSchema: tm\n').message).to.equal('tenants.yaml:1:1: the file needs "databases"');
    expect(errorFor(`${MAIN}    tenants: tenant_a\n`).message).to.equal('tenants.yaml:4:14: databases.main.tenants must be a list');
    expect(errorFor(`${MAIN}    tenants:\n      - 5\n`).message).to.equal('tenants.yaml:5:9: databases.main.tenants[0] must be a schema name or a mapping { schema, labels }');
    expect(errorFor('').message).to.equal('tenants.yaml:1:1: the file is empty');
    expect(errorFor('databases:\n  "no spaces":\n    url: env(X)\n').message).to.match(/^tenants\.yaml:2:3: "no spaces" is not a database name/);
    expect(errorFor(`${MAIN}    discover: ["Tenant_*"]\n`).message).to.match(/^tenants\.yaml:4:16: .*is not a discover pattern/);
  });

  it('says when tenants.yaml is missing', () => {
    const dir = tempProject({}, { example: false });
    expect(() => loadTenantsConfig(dir)).to.throw(TmError, `No tenants.yaml in ${dir}.`);
    try {
      loadTenantsConfig(dir);
    } catch (error) {
      expect((error as TmError).hint).to.match(/^Run `tm init` to write one/);
    }
  });
});

describe('database URLs', () => {
  it('are masked for display', () => {
    expect(maskUrl('postgresql://tm:s3cret@db.example.com:5432/app?sslmode=require')).to.equal('postgresql://tm:***@db.example.com:5432/app?sslmode=require');
    expect(maskUrl('postgresql://tm@localhost/app')).to.equal('postgresql://tm@localhost/app');
    expect(maskUrl('postgresql://localhost/app?password=s3cret')).to.equal('postgresql://localhost/app?password=***');
    expect(maskUrl('host=localhost password=s3cret dbname=app')).to.equal('host=localhost password=*** dbname=app');
  });
});

describe('discover patterns', () => {
  it('match with * and ? only, anchored', () => {
    const pattern = globToRegExp('tenant_?_*');
    expect(pattern.test('tenant_a_acme')).to.equal(true);
    expect(pattern.test('tenant__x')).to.equal(false);
    expect(pattern.test('xtenant_a_acme')).to.equal(false);
    expect(globToRegExp('t$1').test('t$1')).to.equal(true);
  });
});
