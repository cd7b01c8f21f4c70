/**
 * Statement batches (src/db/batch.ts): a transaction sent in one round trip,
 * each statement its own on the server, nothing run after a failure.
 */
import { expect } from 'chai';
import pg from 'pg';
import { runBatch } from '../../src/db/batch.js';
import { isConnectionLost } from '../../src/db/connect.js';
import { useFreshDatabase } from '../harness/database.js';

describe('statement batches (one round trip, real server)', function () {
  this.timeout(60_000);
  const db = useFreshDatabase();
  let client: pg.Client;

  before(async () => {
    await db.query(`
      CREATE TABLE seen (id serial PRIMARY KEY, query text, value text);
      -- What the server holds as the client's statement while each one runs.
      CREATE FUNCTION note_query(value text) RETURNS void LANGUAGE sql AS $$ INSERT INTO seen (query, value) VALUES (current_query(), value) $$;
    `);
    client = new pg.Client({ connectionString: db.url });
    // The harness drops the database (closing this connection) before this file's own after hook may run.
    client.on('error', () => {});
    await client.connect();
  });
  after(() => client?.end());
  beforeEach(() => db.query('TRUNCATE seen'));

  it('runs the statements in order, each one alone on the server, with their parameters', async () => {
    const result = await runBatch(client, [
      { text: 'BEGIN' },
      { text: 'SELECT note_query($1)', values: ['first'] },
      { text: 'SELECT note_query($1::text[]::text)', values: [['a', 'b"c', null]] },
      { text: 'SELECT note_query($1::boolean::text || coalesce($2, \'-\'))', values: [true, null] },
      { text: 'COMMIT' },
    ]);
    expect(result.error).to.equal(undefined);
    expect(result.commands).to.deep.equal(['BEGIN', 'SELECT 1', 'SELECT 1', 'SELECT 1', 'COMMIT']);
    expect(result.transactionStatus).to.equal('I');
    const { rows } = await db.query('SELECT query, value FROM seen ORDER BY id');
    expect(rows).to.deep.equal([
      { query: 'SELECT note_query($1)', value: 'first' },
      { query: 'SELECT note_query($1::text[]::text)', value: '{a,"b\\"c",NULL}' },
      { query: "SELECT note_query($1::boolean::text || coalesce($2, '-'))", value: 'true-' },
    ]);
  });

  it('stops at the first failing statement: nothing after it runs, COMMIT included', async () => {
    const result = await runBatch(client, [
      { text: 'BEGIN' },
      { text: "SELECT note_query('before')" },
      { text: 'SELECT 1/0' },
      { text: "SELECT note_query('after')" },
      { text: 'COMMIT' },
    ]);
    expect(result.error?.message).to.equal('division by zero');
    expect(result.error?.code).to.equal('22012');
    expect(result.failedAt).to.equal(2);
    expect(result.commands).to.deep.equal(['BEGIN', 'SELECT 1']);
    expect(result.transactionStatus).to.equal('E');
    // The transaction is still open, failed: the client goes on with ROLLBACK, then anything.
    expect((await client.query('ROLLBACK')).command).to.equal('ROLLBACK');
    expect((await db.query('SELECT count(*)::int AS n FROM seen')).rows[0].n).to.equal(0);
    expect((await client.query('SELECT 2 AS two')).rows[0].two).to.equal(2);
  });

  it('rejects when the connection is lost (not a statement error to roll back)', async () => {
    const victim = new pg.Client({ connectionString: db.url });
    victim.on('error', () => {});
    await victim.connect();
    const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const running = runBatch(victim, [{ text: 'BEGIN' }, { text: 'SELECT pg_sleep(30)' }, { text: 'COMMIT' }]).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await running;
    expect(error, 'the batch rejects').to.be.an('error');
    expect(isConnectionLost(error), `${error?.message} (${error?.code}) is a lost connection`).to.equal(true);
    await victim.end().catch(() => {});
  });
});
