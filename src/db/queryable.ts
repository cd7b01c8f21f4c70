import type pg from 'pg';

/** Anything tm can send a query to: a pg.Client, a pool client, a pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
}
