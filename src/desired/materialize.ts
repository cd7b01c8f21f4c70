/**
 * The desired model: run the sources' SQL (source.ts; Prisma's first) inside
 * a transaction in a scratch schema, introspect it with the very code that
 * introspects tenants, then roll back. Nothing persists, and desired and
 * actual states are normalised by the same PostgreSQL, so they compare equal
 * exactly when a tenant is what the sources would have created.
 *
 * Extensions the datasource lists are not Prisma's to create in the scratch
 * schema: the statements tm plans for the database (extensions.ts) run first,
 * and the extension schemas follow the scratch schema on search_path, as they
 * are there for the tenants.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { introspectSchemas } from '../catalog/introspect.js';
import type { SchemaModel } from '../catalog/model.js';
import { DESIRED_SCHEMA_PREFIX } from '../config/tmSchemas.js';
import type { Step } from '../diff/step.js';
import { isReadOnlyError } from '../db/readOnly.js';
import { TmError } from '../errors.js';
import { quoteIdent } from '../sql/quote.js';
import { extensionSearchPath, extensionSteps } from './extensions.js';
import type { DesiredSource, SourceSql } from './source.js';

/** A source's statements, as it rendered them. */
export interface RenderedSource {
  source: DesiredSource;
  sql: SourceSql;
}

/** Every statement of every source is one its source may hand over (source.ts `allowed`), before any runs. */
function checkAllowed(rendered: RenderedSource[]): void {
  for (const { source, sql } of rendered) {
    const unexpected = sql.statements.find((s) => !source.allowed.test(s));
    if (!unexpected) continue;
    const shown = unexpected.replace(/\s+/g, ' ').slice(0, 80);
    throw new TmError(`The SQL ${source.author} has a statement tm will not run: "${shown}${unexpected.length > 80 ? '…' : ''}"`, source.refusedHint);
  }
}

export interface Materialized {
  model: SchemaModel;
  /** What the database needs once, before its tenants: the extensions the datasource lists that it lacks (extensions.ts). */
  databaseSteps: Step[];
}

/**
 * The scratch transaction is READ WRITE whatever the database's default: it
 * is rolled back, so a database read-only by default (a maintenance window)
 * can still be planned, checked for drift and shown by tm status. A standby
 * cannot run it at all: said plainly, not as a server error.
 */
async function beginScratch(client: pg.ClientBase): Promise<void> {
  try {
    await client.query('BEGIN READ WRITE');
  } catch (error) {
    if (!isReadOnlyError(error)) throw error;
    await client.query('ROLLBACK').catch(() => {});
    throw new TmError(
      'The server is a read-only standby (a replica in recovery): tm works out what Prisma would create in a scratch schema it rolls back, and a standby allows not even that.',
      'Point the database\'s url at the primary server (tm plan, status and drift only read the tenants and roll back their scratch work).',
    );
  }
}

/** SQLSTATE out_of_memory: "out of shared memory" when the lock table is full. */
const OUT_OF_MEMORY = '53200';

interface LockBudget {
  perTransaction: number;
  slots: number;
}

/** The server's lock table: max_locks_per_transaction × (max_connections + max_prepared_transactions) locks, shared by all sessions. */
async function lockBudget(client: pg.ClientBase): Promise<LockBudget> {
  const { rows } = await client.query(
    `select current_setting('max_locks_per_transaction')::int as per_transaction,
            current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int as slots`,
  );
  return { perTransaction: rows[0].per_transaction, slots: rows[0].slots };
}

/**
 * The scratch transaction holds a lock on every relation it creates (each
 * table, index, sequence and TOAST table) until it rolls back: a schema of a
 * few thousand models needs more than the lock table holds. PostgreSQL says
 * "out of shared memory"; the cause and the fix are the lock table's size.
 */
function lockTableFull(statements: string[], budget: LockBudget): TmError {
  const count = (kind: RegExp) => statements.filter((s) => kind.test(s)).length;
  const tables = count(/^CREATE\s+TABLE\b/i);
  const indexes = count(/^CREATE\s+(UNIQUE\s+)?INDEX\b/i);
  const total = budget.perTransaction * budget.slots;
  // About five locks per table (itself, its primary key index, a sequence, a TOAST table and its index), one per index.
  const needed = tables * 5 + indexes;
  const suggested = Math.max(128, 2 ** Math.ceil(Math.log2((needed * 1.5) / budget.slots)));
  return new TmError(
    `Working out the desired state ran out of the server's lock table ("out of shared memory"): tm creates Prisma's ${tables} tables and ${indexes} indexes in one transaction it rolls back, ` +
      `which holds a lock on each relation it creates (about ${needed} here), more than the lock table holds ` +
      `(max_locks_per_transaction ${budget.perTransaction} × ${budget.slots} connection slots = ${total} locks, shared by all sessions).`,
    `Raise max_locks_per_transaction on the server (e.g. ALTER SYSTEM SET max_locks_per_transaction = ${suggested}, then restart PostgreSQL), or plan against a server configured so.`,
  );
}

export async function materializeDesired(client: pg.ClientBase, rendered: RenderedSource[], extensionSchema: string): Promise<Materialized> {
  checkAllowed(rendered);
  const extensions = rendered.flatMap((r) => r.sql.extensions);
  const statements = rendered.flatMap((r) => r.sql.statements);
  const scratch = `${DESIRED_SCHEMA_PREFIX}${randomBytes(6).toString('hex')}`;
  await beginScratch(client);
  try {
    const databaseSteps = await extensionSteps(client, extensions, extensionSchema);
    try {
      for (const step of databaseSteps) await client.query(step.sql);
    } catch (error) {
      throw new TmError(
        `Creating the extensions the datasource lists failed on the server: ${(error as Error).message}`,
        'tm plan tries them in a transaction it rolls back; the role it connects as needs the privileges CREATE EXTENSION needs (and the server the extension\'s files).',
      );
    }
    await client.query(`CREATE SCHEMA ${quoteIdent(scratch)}`);
    const path = [scratch, ...extensionSearchPath(extensions, extensionSchema)];
    await client.query(`SET LOCAL search_path TO ${path.map(quoteIdent).join(', ')}`);
    const budget = await lockBudget(client);
    for (const { source, sql } of rendered) {
      try {
        for (const statement of sql.statements) await client.query({ text: statement, queryMode: 'extended' } as pg.QueryConfig);
      } catch (error) {
        if (error instanceof TmError) throw error;
        if ((error as { code?: string }).code === OUT_OF_MEMORY && /shared memory/i.test((error as Error).message)) throw lockTableFull(statements, budget);
        throw new TmError(`The SQL ${source.author} failed on the server: ${(error as Error).message}`, source.failedHint(path.slice(1)));
      }
    }
    const models = await introspectSchemas(client, [scratch]);
    return { model: models.get(scratch)!, databaseSteps };
  } finally {
    await client.query('ROLLBACK');
  }
}
