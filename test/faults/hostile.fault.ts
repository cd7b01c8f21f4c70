/**
 * Hostile input, table-driven: broken and malicious tenants.yaml, Prisma
 * files, plan files, names, options and environment, each through the real
 * binary against a real fleet. Every case must end with exit 1, a message
 * that says what is wrong (no bug report, no stack), and the database exactly
 * as it was (catalog and every row: see databaseDigest).
 *
 * Names that PostgreSQL allows and tm can quote (schemas with spaces,
 * semicolons, quotes or unicode found by `discover`, tables with such names)
 * are not refused: the last test shows they are quoted, never executed.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { runTm, type TmResult } from '../harness/cli.js';
import { createDatabase, dropDatabase, useFreshDatabase } from '../harness/database.js';
import { planIntegrity } from '../../src/plan/build.js';
import { DATASOURCE_BLOCK, DB_ENV, fleetProject, output, removeFleetProjects, tenantsYaml, type FleetProject } from '../support/fleet.js';
import { figures } from './figures.js';
import { databaseDigest, expectClean, expectSameDigest } from './support.js';

const NOTES = `model Note {
  id    Int    @id @default(autoincrement())
  title String
  role  Role   @default(MEMBER)
}

enum Role {
  OWNER
  MEMBER
}
`;
const NOTES_CHANGED = NOTES.replace('  title String\n', '  title String\n  body  String?\n');
const TENANTS = ['h_a', 'h_b'];
const YAML = tenantsYaml(TENANTS, []);
const tenantsWith = (tenant: string) => `databases:\n  main:\n    url: env(${DB_ENV})\n    tenants:\n      - ${JSON.stringify(tenant)}\n`;
const model = (body: string) => `model Note {\n  id Int @id\n${body}}\n`;

interface Case {
  name: string;
  /** Files to write into a copy of the project (path → text, or null to remove). */
  files?: Record<string, string | null | (() => string)>;
  /** A change to the valid plan's JSON (written to hostile.plan.json), or its raw text. */
  plan?: ((plan: any) => any) | (() => string);
  args: string[];
  /** Environment for the run; DB_ENV defaults to the test database. */
  env?: (url: string, other: string) => Record<string, string | undefined>;
  message: RegExp;
  /** Text that must not appear in the output (a password, a file's content). */
  notShown?: string[];
  /** The output stays short (a huge input is not echoed). */
  maxOutput?: number;
  /** Seconds it may take at most (a huge input is refused quickly). */
  maxSeconds?: number;
}

const PASSWORD = 'hunter2-Sekr1t';
const huge = (lines: number, line: (i: number) => string) => Array.from({ length: lines }, (_, i) => line(i)).join('\n') + '\n';
const aliasBomb = ['a: &a [x, x, x, x, x, x, x, x, x]']
  .concat(['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k, i) => `${k}: &${k} [${Array(9).fill('*' + 'abcdefg'[i]).join(', ')}]`))
  .concat(['databases: *h'])
  .join('\n');

const PLAN = ['apply', 'hostile.plan.json'];

const CASES: Case[] = [
  // tenants.yaml: syntax, shape, types
  { name: 'tenants.yaml: malformed YAML (unclosed flow sequence)', files: { 'tenants.yaml': 'databases:\n  main: [\n' }, args: ['plan'], message: /^Error: tenants\.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a \]$/m },
  { name: 'tenants.yaml: tab indentation', files: { 'tenants.yaml': `databases:\n\tmain:\n    url: env(${DB_ENV})\n` }, args: ['plan'], message: /^Error: tenants\.yaml:2:1: Tabs are not allowed as indentation$/m },
  { name: 'tenants.yaml: duplicate key', files: { 'tenants.yaml': `databases:\n  main:\n    url: env(${DB_ENV})\n    url: env(OTHER)\n` }, args: ['plan'], message: /^Error: tenants\.yaml:4:5: Map keys must be unique$/m },
  { name: 'tenants.yaml: databases is a list (wrong type)', files: { 'tenants.yaml': 'databases:\n  - main\n' }, args: ['plan'], message: /^Error: tenants\.yaml:2:3: databases must be a mapping \(key: value\)$/m },
  { name: 'tenants.yaml: tenants is a string (wrong type)', files: { 'tenants.yaml': `databases:\n  main:\n    url: env(${DB_ENV})\n    tenants: h_a\n` }, args: ['plan'], message: /^Error: tenants\.yaml:4:14: databases\.main\.tenants must be a list$/m },
  { name: 'tenants.yaml: labels is a list (wrong type)', files: { 'tenants.yaml': `databases:\n  main:\n    url: env(${DB_ENV})\n    tenants:\n      - schema: h_a\n        labels: [canary]\n` }, args: ['plan'], message: /^Error: tenants\.yaml:6:17: databases\.main\.tenants\[0\]\.labels must be a mapping \(key: value\)$/m },
  { name: 'tenants.yaml: unknown top-level key (tenant: for tenants:)', files: { 'tenants.yaml': 'tenant: h_a\n' + YAML }, args: ['plan'], message: /^Error: tenants\.yaml:1:1: unknown key "tenant" \(allowed: metadataSchema, databases, waves, policy, documentationComments\)$/m },
  { name: 'tenants.yaml: unknown key in a database', files: { 'tenants.yaml': YAML.replace('    url:', '    urls: x\n    url:') }, args: ['plan'], message: /^Error: tenants\.yaml:3:5: unknown key "urls" in databases\.main/m },
  { name: 'tenants.yaml: an unknown hazard in policy.allowHazards', files: { 'tenants.yaml': YAML + 'policy:\n  allowHazards: [EVERYTHING]\n' }, args: ['plan'], message: /^Error: tenants\.yaml:\d+:\d+: policy\.allowHazards\[0\] "EVERYTHING" is not one of DATA_LOSS/m },
  {
    name: 'tenants.yaml: a literal connection string with a password',
    files: { 'tenants.yaml': `databases:\n  main:\n    url: postgresql://app:${PASSWORD}@db.example.com/app\n` },
    args: ['plan'],
    message: /^Error: tenants\.yaml:3:10: databases\.main\.url must be env\(NAME\)/m,
    notShown: [PASSWORD],
  },
  { name: 'tenants.yaml: YAML alias bomb (billion laughs)', files: { 'tenants.yaml': aliasBomb }, args: ['plan'], message: /^Error: tenants\.yaml: Excessive alias count indicates a resource exhaustion attack$/m, maxSeconds: 20 },
  { name: 'tenants.yaml: empty file', files: { 'tenants.yaml': '' }, args: ['plan'], message: /^Error: tenants\.yaml:1:1: the file is empty$/m },
  { name: 'tenants.yaml: binary garbage', files: { 'tenants.yaml': '\u0000\u0001\u0002\u00ff databases' }, args: ['plan'], message: /^Error: tenants\.yaml:1:1: the file must be a mapping \(key: value\)$/m },
  {
    name: 'tenants.yaml: huge (300,000 unknown keys, 6 MB)',
    files: { 'tenants.yaml': () => YAML + huge(300_000, (i) => `junk_key_${i}: ${'x'.repeat(5)}`) },
    args: ['plan'],
    message: /^Error: tenants\.yaml:\d+:1: unknown key "junk_key_0"/m,
    maxOutput: 2000,
    maxSeconds: 60,
  },
  // tenants.yaml: names that are not identifiers tm accepts
  { name: 'tenant name with a double quote', files: { 'tenants.yaml': tenantsWith('h_a"; drop schema h_b cascade; --') }, args: ['plan'], message: /^Error: tenants\.yaml:5:9: databases\.main\.tenants\[0\] "h_a"; drop schema h_b cascade; --" is not a schema name tm accepts/m },
  { name: 'tenant name with a semicolon', files: { 'tenants.yaml': tenantsWith('h_a;drop_schema') }, args: ['plan'], message: /is not a schema name tm accepts: use lowercase letters, digits, _ and \$/ },
  { name: 'tenant name with a space', files: { 'tenants.yaml': tenantsWith('h a') }, args: ['plan'], message: /"h a" is not a schema name tm accepts/ },
  { name: 'tenant name in unicode', files: { 'tenants.yaml': tenantsWith('h_ünïcode') }, args: ['plan'], message: /"h_ünïcode" is not a schema name tm accepts/ },
  { name: 'tenant name of 64 characters', files: { 'tenants.yaml': tenantsWith('h'.repeat(64)) }, args: ['plan'], message: /is not a schema name tm accepts: .*at most 63 characters/ },
  { name: 'metadataSchema with a quote', files: { 'tenants.yaml': `metadataSchema: 'tm"; drop schema h_a; --'\n` + YAML }, args: ['plan'], message: /^Error: tenants\.yaml:1:17: metadataSchema "tm"; drop schema h_a; --" is not a schema name tm accepts/m },
  { name: 'database name with a space and a quote', files: { 'tenants.yaml': YAML.replace('  main:', `  'ma"in x':`) }, args: ['plan'], message: /^Error: tenants\.yaml:2:3: "ma"in x" is not a database name tm accepts/m },
  { name: 'discover pattern with a quote', files: { 'tenants.yaml': `databases:\n  main:\n    url: env(${DB_ENV})\n    discover: ['h_"*']\n` }, args: ['plan'], message: /"h_"\*" is not a discover pattern tm accepts/ },
  // Prisma files
  { name: 'Prisma: syntax error (unclosed model)', files: { 'prisma/schema/notes.prisma': 'model Note {\n  id Int @id\n' }, args: ['plan'], message: /^Error: prisma\/schema\/notes\.prisma:\d+: /m },
  { name: 'Prisma: not Prisma at all', files: { 'prisma/schema/notes.prisma': 'DROP SCHEMA h_a CASCADE;\n' }, args: ['plan'], message: /^Error: prisma\/schema\/notes\.prisma:1: This line is invalid\. It does not start with any known Prisma schema keyword\.$/m },
  { name: 'Prisma: relation to an unknown model', files: { 'prisma/schema/notes.prisma': model('  owner Usr\n') }, args: ['plan'], message: /^Error: prisma\/schema\/notes\.prisma:3: Type "Usr" is neither a built-in type, nor refers to another model/m },
  {
    name: 'Prisma: relation without its opposite field',
    files: { 'prisma/schema/notes.prisma': model('  userId Int\n  user User @relation(fields: [userId], references: [id])\n') + 'model User {\n  id Int @id\n}\n' },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:4: .*missing an opposite relation field on the model `User`/m,
  },
  {
    name: 'Prisma: relation over a field that does not exist',
    files: { 'prisma/schema/notes.prisma': model('  userId Int\n  user User @relation(fields: [userid], references: [id])\n') + 'model User {\n  id Int @id\n  notes Note[]\n}\n' },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:4: The argument fields must refer only to existing fields\. The following fields do not exist in this model: userid$/m,
  },
  { name: 'Prisma: the same model in two files', files: { 'prisma/schema/more.prisma': 'model Note {\n  id Int @id\n}\n' }, args: ['plan'], message: /^Error: prisma\/schema\/notes\.prisma:1: model Note is already defined as model Note at prisma\/schema\/more\.prisma:1$/m },
  { name: 'Prisma: no datasource', files: { 'prisma/schema/schema.prisma': null }, args: ['plan'], message: /^Error: prisma\/schema: the Prisma schema has no datasource block$/m },
  { name: 'Prisma: a MySQL datasource', files: { 'prisma/schema/schema.prisma': 'datasource db {\n  provider = "mysql"\n}\n' }, args: ['plan'], message: /^Error: prisma\/schema\/schema\.prisma:2: datasource "db" has provider = "mysql"; tm manages PostgreSQL only$/m },
  { name: 'Prisma: no .prisma files', files: { 'prisma/schema/schema.prisma': null, 'prisma/schema/notes.prisma': null, 'prisma/schema/README.md': 'nothing here' }, args: ['plan'], message: /^Error: prisma\/schema: the Prisma schema folder has no \.prisma files$/m },
  {
    name: 'Prisma: a table name (@@map) that closes Prisma’s quotes and runs SQL',
    files: { 'prisma/schema/notes.prisma': model('  @@map("x\\"(id int); COMMIT; DROP TABLE h_victim.victim; CREATE TABLE \\"y")\n') },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:3: the table name \(@@map\) .* contains a double quote, which Prisma's SQL does not escape$/m,
  },
  {
    name: 'Prisma: an enum value that closes Prisma’s quotes and runs SQL',
    files: { 'prisma/schema/notes.prisma': model('  r R\n') + `enum R {\n  A @map("a'); COMMIT; DROP TABLE h_victim.victim; SELECT ('1")\n}\n` },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:6: the value of enum R .* contains a single quote, which Prisma's SQL does not escape$/m,
  },
  {
    name: 'Prisma: a dbgenerated() default that closes its quote and runs SQL',
    files: { 'prisma/schema/notes.prisma': model(`  t String @default(dbgenerated("'a'); COMMIT; DROP TABLE h_victim.victim; SELECT ('b'"))\n`) },
    args: ['plan'],
    message: /^Error: The SQL Prisma renders for this schema has a statement tm will not run: "COMMIT"$/m,
  },
  {
    name: 'Prisma: a table name of 65 bytes',
    files: { 'prisma/schema/notes.prisma': model(`  @@map("${'n'.repeat(65)}")\n`) },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:3: the table name \(@@map\) "n{65}" is 65 bytes; PostgreSQL cuts names at 63 bytes, so it would be created as "n{63}"$/m,
  },
  {
    name: 'Prisma: a column name of 64 bytes (unicode)',
    files: { 'prisma/schema/notes.prisma': model(`  title String @map("${'é'.repeat(32)}")\n`) },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:3: the column name \(@map\) "é{32}" is 64 bytes; PostgreSQL cuts names at 63 bytes, so it would be created as "é{31}"$/m,
  },
  {
    name: 'Prisma: huge file (200,000 comment lines, then a syntax error)',
    files: { 'prisma/schema/notes.prisma': () => huge(200_000, (i) => `// line ${i}`) + 'model Broken {\n' },
    args: ['plan'],
    message: /^Error: prisma\/schema\/notes\.prisma:20000[12]: /m,
    maxOutput: 2000,
    maxSeconds: 90,
  },
  // Plan files
  { name: 'plan: truncated JSON', plan: () => '{"formatVersion": 2, "id": "x", "cohorts": [', args: PLAN, message: /^Error: hostile\.plan\.json is not valid JSON \(.*\); it may be truncated\.$/m },
  { name: 'plan: wrong format version', plan: (p) => ({ ...p, formatVersion: 99 }), args: PLAN, message: /^Error: hostile\.plan\.json has plan format version 99; this tm reads version 2\.$/m },
  { name: 'plan: not a plan (valid JSON, wrong shape)', plan: () => '{"formatVersion": 2, "cohorts": "all of them"}', args: PLAN, message: /^Error: hostile\.plan\.json is not a valid plan: / },
  {
    name: 'plan: edited SQL',
    plan: (p) => {
      p.cohorts[0].steps[0].sql = 'DROP SCHEMA h_victim CASCADE';
      return p;
    },
    args: PLAN,
    message: /^Error: hostile\.plan\.json was changed after it was written: its integrity hash does not match its content\.$/m,
  },
  {
    name: 'plan: edited tenant list',
    plan: (p) => {
      p.cohorts[0].tenants.push({ database: 'main', schema: 'h_victim' });
      return p;
    },
    args: PLAN,
    message: /was changed after it was written: its integrity hash does not match its content/,
  },
  {
    name: 'plan: edited SQL with the integrity hash recomputed (the after-state check rolls it back)',
    plan: (p) => {
      p.cohorts[0].steps[0].sql = 'DROP TABLE "Note"';
      return reseal(p);
    },
    args: [...PLAN, '--parallelism', '1'],
    message: /^ {2}✗ main\/h_a: failed, rolled back: h_a: after its steps the schema is not what the plan expects .*; rolled back$/m,
  },
  // Edited and resealed plans whose steps are not statements tm writes: refused before connecting (issue #20).
  ...(
    [
      ['transaction control that commits part of the step', 'DELETE FROM "Note"; COMMIT; BEGIN', /3 statements in one step/],
      ['COMMIT alone', 'COMMIT', /not a statement tm writes \(COMMIT\)/],
      ["another schema's table", 'DROP TABLE h_victim.victim', /names "h_victim"\."victim", outside the tenant's schema/],
      ['a superuser role', 'CREATE ROLE tm_evil SUPERUSER LOGIN', /not a statement tm writes \(CREATE ROLE TM_EVIL\)/],
      ['a DO block', "DO $$ BEGIN EXECUTE 'DROP TABLE h_victim.victim'; END $$", /not a statement tm writes \(DO /],
      ['COPY to a program', "COPY \"Note\" TO PROGRAM 'touch /tmp/tm-hostile'", /not a statement tm writes \(COPY "Note" TO\)/],
      ['ALTER SYSTEM', "ALTER SYSTEM SET log_statement = 'none'", /not a statement tm writes \(ALTER SYSTEM SET\)/],
      ['SET ROLE', 'SET ROLE postgres', /not a statement tm writes \(SET ROLE POSTGRES\)/],
      ['a table moved to another schema', 'ALTER TABLE "Note" SET SCHEMA h_victim', /ALTER TABLE … SET SCHEMA is not an action tm writes/],
      ['a view over another schema', 'CREATE VIEW "Leak" AS SELECT secret FROM h_victim.victim', /names "h_victim"\."victim"/],
      ['a server file read into a column', "ALTER TABLE \"Note\" ALTER COLUMN \"title\" TYPE text USING pg_read_file('/etc/hostname')", /calls pg_read_file\(\)/],
    ] as const
  ).map(
    ([what, sql, reason]): Case => ({
      name: `plan: resealed with ${what}`,
      plan: (p) => {
        p.cohorts[0].steps[0].sql = sql;
        return reseal(p);
      },
      args: PLAN,
      message: new RegExp(`^Error: Refusing \\S+: it holds statements tm does not write[^]*cohort c1 step 1 \\(.*\\): ${reason.source}`, 'm'),
      // Refused before anything starts: not even the header of a run.
      notShown: ['Applying '],
    }),
  ),
  {
    name: 'plan: resealed with a database step that is not an extension',
    plan: (p) => reseal({ ...p, databaseSteps: [{ database: 'main', steps: [{ action: 'create', target: { kind: 'extension', name: 'x' }, object: 'extension "x"', sql: 'CREATE ROLE tm_evil SUPERUSER', transactional: true, hazards: [] }] }] }),
    args: PLAN,
    message: /database main step 1: not a statement tm runs for a database/,
  },
  {
    name: 'plan: for another database (a name tenants.yaml does not have)',
    plan: (p) => reseal({ ...p, databases: ['staging'], cohorts: p.cohorts.map((c: any) => ({ ...c, tenants: c.tenants.map((t: any) => ({ ...t, database: 'staging' })) })) }),
    args: PLAN,
    message: /^Error: The plan covers database "staging", which tenants.yaml does not name\.$/m,
  },
  {
    name: 'plan: for another database (same name, the variable points elsewhere)',
    plan: (p) => p,
    args: PLAN,
    env: (_url, other) => ({ [DB_ENV]: other }),
    message: /^Error: Database "main" is not in a state this plan knows: none of its 2 schema\(s\) \(h_a, h_b\) is as it was when the plan was made, or as the plan leaves it\. Either TM_TEST_DB_URL points at another database than the one the plan was made for, or they all changed since\. Nothing was changed\.$/m,
  },
  {
    name: 'plan: huge (valid JSON, 20 MB, not a plan)',
    plan: () => JSON.stringify({ formatVersion: 2, junk: 'x'.repeat(20_000_000) }),
    args: PLAN,
    message: /^Error: hostile\.plan\.json is not a valid plan: /m,
    maxOutput: 3000,
    maxSeconds: 60,
  },
  { name: 'plan: a directory, not a file', args: ['apply', 'prisma'], message: /^Error: Cannot read plan file prisma: EISDIR$/m },
  // Names and options on the command line
  { name: 'migration name with path separators', args: ['migrate', '../../etc/passwd', '--force'], message: /^Error: A migration name uses letters, digits and _ only \(at most 64 characters\): "\.\.\/\.\.\/etc\/passwd"\.$/m },
  { name: 'plan name with a path separator', args: ['plan', '--name', 'a/../../b'], message: /^Error: A plan name uses letters, digits and _ only \(at most 64\): "a\/\.\.\/\.\.\/b"\.$/m },
  { name: 'migration name of 65 characters', args: ['migrate', 'm'.repeat(65), '--force'], message: /^Error: A migration name uses letters, digits and _ only \(at most 64 characters\)/m },
  { name: '--schema with SQL in it', args: ['plan', '--schema', 'h_a"; DROP SCHEMA h_victim CASCADE; --'], message: /^Error: Not a tenant in tenants\.yaml \(listed or discovered\): h_a"; DROP SCHEMA h_victim CASCADE; --\.$/m },
  { name: '--database with a quote', args: ['plan', '--database', "main'--"], message: /^Error: There is no database "main'--" in tenants\.yaml\.$/m },
  { name: 'rollback of a migration name with path separators', args: ['rollback', '../../x', '--schema', 'h_a', '--force'], message: /^Error: h_a has no applied plan named "\.\.\/\.\.\/x"\.$/m },
  { name: '--parallelism 0', args: [...PLAN, '--parallelism', '0'], plan: (p) => p, message: /^Error: --parallelism takes a whole number of at least 1, not "0"\.$/m },
  { name: '--lock-wait that is not a duration', args: [...PLAN, '--lock-wait', 'soon'], plan: (p) => p, message: /^Error: --lock-wait takes a duration such as 500ms, 10s or 2m, not "soon"\.$/m },
  { name: '--allow-hazards that is not a hazard', args: [...PLAN, '--allow-hazards', 'EVERYTHING'], plan: (p) => p, message: /^Error: --allow-hazards takes hazard types .*, not "EVERYTHING"\.$/m },
  // Environment
  { name: 'environment: the database variable empty', env: () => ({ [DB_ENV]: '' }), args: ['plan'], message: /^Error: environment variable TM_TEST_DB_URL is set but empty/m },
  { name: 'environment: the database variable missing (embedded database off)', env: () => ({ [DB_ENV]: undefined, TM_EMBEDDED: '0' }), args: ['plan'], message: /^Error: environment variable TM_TEST_DB_URL is not set \(database "main" has url: env\(TM_TEST_DB_URL\) in tenants\.yaml\)$/m },
  {
    name: 'environment: a URL that is not one (with a password in it)',
    env: () => ({ [DB_ENV]: `postgresql://app:${PASSWORD}@[not-a-host/app` }),
    args: ['plan'],
    message: /^Error: Cannot connect to database "main": /m,
    notShown: [PASSWORD],
  },
];

/** The plan with its integrity hash recomputed, as an attacker could. */
function reseal(plan: any): any {
  return { ...plan, integrity: planIntegrity(plan) };
}

describe('faults: hostile input (table-driven, each: exit 1, a clear message, the database unchanged)', function () {
  this.timeout(600_000);
  const db = useFreshDatabase('tm_fault_hostile');
  let base: FleetProject;
  let validPlan: any;
  let other: { name: string; url: string };
  let baseline: string[];
  let otherBaseline: string[];
  const dirs: string[] = [];

  before(async function () {
    this.timeout(120_000);
    other = await createDatabase('tm_fault_hostile_other');
    base = fleetProject({ tenants: TENANTS, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    const migrated = await base.tm(db, ['migrate', 'base', '--force']);
    expect(migrated.code, output(migrated)).to.equal(0);
    for (const t of TENANTS) await db.query(`insert into ${t}."Note"(title, role) select 'n' || g, (case when g % 2 = 0 then 'OWNER' else 'MEMBER' end)::${t}."Role" from generate_series(1, 30) g`);
    await db.query(`create schema h_victim; create table h_victim.victim(id int primary key, secret text); insert into h_victim.victim values (1, 'still here')`);
    base.writePrisma('notes.prisma', NOTES_CHANGED);
    const planned = await base.tm(db, ['plan', '--no-sql', '--name', 'hostile', '-o', 'valid.plan.json']);
    expect(planned.code, output(planned)).to.equal(0);
    validPlan = JSON.parse(readFileSync(path.join(base.dir, 'valid.plan.json'), 'utf8'));
    baseline = await databaseDigest(db);
    const otherPool = new pg.Pool({ connectionString: other.url, max: 1 });
    otherPool.on('error', () => {});
    otherBaseline = await databaseDigest(otherPool);
    await otherPool.end();
  });
  after(async () => {
    removeFleetProjects();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (other) await dropDatabase(other.name);
  });

  it(`refuses ${CASES.length} hostile inputs with exit 1 and a clear message, changing nothing`, async () => {
    expect(CASES.length).to.be.at.least(30);
    const failures: string[] = [];
    for (const c of CASES) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-hostile-'));
      dirs.push(dir);
      cpSync(base.dir, dir, { recursive: true });
      for (const [file, text] of Object.entries(c.files ?? {})) {
        const target = path.join(dir, file);
        if (text === null) rmSync(target, { force: true });
        else writeFileSync(target, typeof text === 'function' ? text() : text);
      }
      if (c.plan) {
        const text = c.plan.length === 0 ? (c.plan as () => string)() : JSON.stringify((c.plan as (p: any) => any)(structuredClone(validPlan)), null, 2);
        writeFileSync(path.join(dir, 'hostile.plan.json'), text);
      }
      const env = { [DB_ENV]: db.url, TM_EMBEDDED: '0', ...(c.env?.(db.url, other.url) ?? {}) };
      const plansBefore = planFiles(dir);
      const started = Date.now();
      const result: TmResult = await runTm(c.args, { cwd: dir, env, timeoutMs: 120_000 });
      const seconds = (Date.now() - started) / 1000;
      figures.hostileInputs++;
      const all = output(result);
      if (process.env.FAULT_VERBOSE) console.log(`--- ${c.name} (exit ${result.code}, ${seconds.toFixed(1)} s)\n${all.slice(0, 700)}`);
      try {
        expectClean(result, c.name);
        expect(result.code, `exit code\n${all}`).to.equal(1);
        expect(all, 'message').to.match(c.message);
        for (const secret of c.notShown ?? []) expect(all, 'shows what it must not').to.not.contain(secret);
        if (c.maxOutput) expect(all.length, 'output length').to.be.at.most(c.maxOutput);
        if (c.maxSeconds) expect(seconds, 'seconds').to.be.at.most(c.maxSeconds);
        expect(planFiles(dir), 'no plan file written').to.deep.equal(plansBefore);
        expectSameDigest(await databaseDigest(db), baseline, c.name);
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message.split('\n').slice(0, 6).join('\n    ')}`);
      }
    }
    const otherPool = new pg.Pool({ connectionString: other.url, max: 1 });
    otherPool.on('error', () => {});
    expectSameDigest(await databaseDigest(otherPool), otherBaseline, 'the other database');
    await otherPool.end();
    expect(failures, `${failures.length} of ${CASES.length} cases`).to.deep.equal([]);
    const { rows } = await db.query(`select secret from h_victim.victim`);
    expect(rows).to.deep.equal([{ secret: 'still here' }]);
  });

  it('names PostgreSQL allows (quotes, semicolons, spaces, unicode) in discovered schemas and mapped tables are quoted, never executed', async () => {
    const odd = ['x_q"uote', 'x_semi; drop schema h_victim cascade; --', 'x_sp ace', 'x_ünïcödé'];
    for (const s of odd) await db.query(`create schema "${s.replace(/"/g, '""')}"`);
    const project = fleetProject({
      discover: ['x_*'],
      prismaFiles: {
        'schema.prisma': DATASOURCE_BLOCK,
        'odd.prisma': `model Odd {\n  id   Int    @id\n  note String @map("a; b -- c")\n\n  @@map("Odd table; DROP SCHEMA h_victim CASCADE; --")\n}\n`,
      },
    });
    const planned = await project.tm(db, ['plan', '--no-sql', '--name', 'odd', '-o', 'odd.plan.json']);
    expect(planned.code, output(planned)).to.equal(0);
    const plan = JSON.parse(readFileSync(path.join(project.dir, 'odd.plan.json'), 'utf8'));
    expect(plan.cohorts[0].tenants.map((t: any) => t.schema).sort()).to.deep.equal([...odd].sort());
    const applied = await project.tm(db, ['apply', 'odd.plan.json']);
    expect(applied.code, output(applied)).to.equal(0);
    for (const s of odd) {
      const { rows } = await db.query(`select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by 1`, [
        s,
        'Odd table; DROP SCHEMA h_victim CASCADE; --',
      ]);
      expect(rows.map((r) => r.column_name), s).to.deep.equal(['a; b -- c', 'id']);
    }
    const { rows } = await db.query(`select secret from h_victim.victim`);
    expect(rows).to.deep.equal([{ secret: 'still here' }]);
    const again = await project.tm(db, ['plan', '--no-sql', '--detailed-exitcode', '--name', 'odd_again']);
    expect(again.code, output(again)).to.equal(0);
    for (const f of ['text', 'markdown', 'json']) {
      const shown = await project.tm(db, ['show', 'odd.plan.json', '--format', f]);
      expect(shown.code, output(shown)).to.equal(0);
    }
    figures.hostileInputs += odd.length + 2;
  });
});

function planFiles(dir: string): string[] {
  return existsSync(path.join(dir, 'plans')) ? readdirSync(path.join(dir, 'plans')).sort() : [];
}
