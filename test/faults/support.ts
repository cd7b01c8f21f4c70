/**
 * Shared by the fault suite (test/faults/*.fault.ts): running tm so that it
 * can be killed, waiting for the server to be quiet, and a digest of a whole
 * database (catalog and data) to prove that a refused command changed nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import pg from 'pg';
import { TM_BIN, type TmResult } from '../harness/cli.js';
import { fingerprint } from '../../src/catalog/fingerprint.js';
import { introspectSnapshot } from '../../src/catalog/introspect.js';
import { figures } from './figures.js';

/** Anything with pg's query(): a pool, a client, a FreshDatabase. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult<any>>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Running {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved). */
  readonly output: string;
  done: Promise<TmResult>;
  finished(): boolean;
}

/** Starts the real tm without waiting for it, so that a test can kill it. */
export function startTm(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Running {
  const child = spawn(process.execPath, [TM_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', TM_EMBEDDED: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let all = '';
  let finished = false;
  child.stdout!.on('data', (chunk) => {
    stdout += chunk;
    all += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    all += chunk;
  });
  const done = new Promise<TmResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      finished = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get output() {
      return all;
    },
    done,
    finished: () => finished,
  };
}

/** A pool on a database URL, ending with the test file. */
export function poolFor(url: string, max = 3): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {}); // a restarted server or a terminated backend must not crash the test process
  return pool;
}

/** Fingerprints of schemas, read in one snapshot ('absent' for a schema that does not exist). */
export async function fingerprintsOf(url: string, schemas: string[]): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    const models = await introspectSnapshot(client, schemas);
    const out = new Map<string, string>();
    for (const s of schemas) {
      const model = models.get(s);
      out.set(s, model ? fingerprint(model) : 'absent');
    }
    figures.schemasChecked += schemas.length;
    return out;
  } finally {
    await client.end();
  }
}

const USER_NAMESPACES = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;

/**
 * Everything a user could notice in a database, as sorted lines: schemas,
 * relations, columns, constraints, indexes, enums, owners and privileges,
 * plus row count and md5 of the rows of every table and sequence. Two equal
 * digests mean nothing changed.
 */
export async function databaseDigest(query: Queryable): Promise<string[]> {
  const { rows: catalog } = await query.query(`
    select line from (
      select 'database acl ' || coalesce(datacl::text, '') as line from pg_database where datname = current_database()
      union all
      select 'schema ' || n.nspname || ' owner ' || pg_get_userbyid(n.nspowner) || ' acl ' || coalesce(n.nspacl::text, '') from pg_namespace n where ${USER_NAMESPACES}
      union all
      select 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' owner ' || pg_get_userbyid(c.relowner) || ' acl ' || coalesce(c.relacl::text, '')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${USER_NAMESPACES}
      union all
      select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
             || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm') and ${USER_NAMESPACES}
      union all
      select 'constraint ' || n.nspname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid) || ' validated=' || co.convalidated
        from pg_constraint co join pg_namespace n on n.oid = co.connamespace where ${USER_NAMESPACES}
      union all
      select 'index ' || pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where ${USER_NAMESPACES}
      union all
      select 'enum ' || n.nspname || '.' || t.typname || ' ' || e.enumsortorder || ' ' || e.enumlabel
        from pg_enum e join pg_type t on t.oid = e.enumtypid join pg_namespace n on n.oid = t.typnamespace where ${USER_NAMESPACES}
    ) x order by line`);
  const { rows: relations } = await query.query(
    `select format('%I.%I', n.nspname, c.relname) as name, c.relkind = 'S' as sequence from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'S', 'm') and ${USER_NAMESPACES} order by 1`,
  );
  const lines = catalog.map((r) => r.line as string);
  // One query for the data of every table, in chunks to keep the statement small.
  for (let i = 0; i < relations.length; i += 200) {
    const chunk = relations.slice(i, i + 200);
    const { rows } = await query.query(
      chunk
        .map((r) =>
          r.sequence
            ? `select ${pgLiteral(r.name)} as name, 0::bigint as n, md5(last_value || ':' || is_called) as md5 from ${r.name}`
            : `select ${pgLiteral(r.name)} as name, count(*)::bigint as n, coalesce(md5(string_agg(t::text, E'\\n' order by t::text)), '') as md5 from ${r.name} t`,
        )
        .join('\nunion all\n'),
    );
    for (const r of rows) {
      lines.push(`data ${r.name} rows=${r.n} md5=${r.md5}`);
      figures.rowsVerified += Number(r.n);
    }
  }
  return lines.sort();
}

function pgLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}

/** Asserts that two digests are equal, showing only the lines that differ. */
export function expectSameDigest(actual: string[], expected: string[], what: string): void {
  const a = new Set(actual);
  const e = new Set(expected);
  const gone = expected.filter((l) => !a.has(l));
  const added = actual.filter((l) => !e.has(l));
  expect({ gone, added }, `${what}: the database changed`).to.deep.equal({ gone: [], added: [] });
}

/** The run ended on its own (no signal), with no bug report. */
export function expectClean(result: TmResult, what: string): void {
  expect(result.signal, `${what} was killed`).to.equal(null);
  expect(result.stdout + result.stderr, `${what} printed a bug report:\n${result.stdout}\n${result.stderr}`).to.not.contain('unexpected error (a bug in tm');
  expect(result.stderr, `${what} printed a stack trace`).to.not.match(/\n\s+at [^\n]+:\d+:\d+\)?\n/);
}

export interface OwnDatabase extends Queryable {
  readonly url: string;
  readonly name: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A database of its own on a given server (a dedicated throwaway server), with a pool for the test. */
export async function createDatabaseOn(adminUrl: string, prefix: string): Promise<OwnDatabase> {
  const name = `${prefix}_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  const pool = poolFor(url.toString(), 4);
  return {
    url: url.toString(),
    name,
    pool,
    query: (text, values) => pool.query(text, values as any[]),
    async drop() {
      await pool.end().catch(() => {});
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Retries a query while the server restarts (connection refused, shutting down, starting up). */
export async function queryWhenUp(db: Queryable, text: string, values?: unknown[], timeoutMs = 30_000): Promise<pg.QueryResult<any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await db.query(text, values);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** A one-model Prisma schema (with a column to drop) and the same model changed: the fault tests' fleet. */
export const NOTES = `model Note {
  id     Int     @id @default(autoincrement())
  title  String
  legacy String?
}
`;
export const NOTES_CHANGED = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?
}
`;
