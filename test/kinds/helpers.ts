/** Helpers for the plan-kind tests: fingerprints of real schemas and row-by-row checksums. */
import { fingerprint } from '../../src/catalog/fingerprint.js';
import type { FreshDatabase } from '../harness/database.js';
import { introspectOne } from '../support/tenants.js';

/** Each schema's catalog fingerprint ('absent' when it does not exist). */
export async function fingerprints(db: FreshDatabase, schemas: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const schema of schemas) {
    const model = await introspectOne(db.url, schema);
    out[schema] = model ? fingerprint(model) : 'absent';
  }
  return out;
}

/** md5 over every row of a table (the listed columns, as text, ordered by the first), and the row count. */
export async function checksum(db: FreshDatabase, schema: string, table: string, columns: string[]): Promise<{ rows: number; md5: string }> {
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const { rows } = await db.query(
    `select count(*)::int as rows, coalesce(md5(string_agg(r::text, E'\\n' order by r."${columns[0]}")), '') as md5
       from (select ${cols} from "${schema}"."${table}") r`,
  );
  return { rows: rows[0].rows, md5: rows[0].md5 };
}

/** The number of history rows per tenant (0 for none). */
export async function historyCount(db: FreshDatabase): Promise<number> {
  const { rows } = await db.query(`select to_regclass('tm.history') is not null as present`);
  if (!rows[0].present) return 0;
  return (await db.query(`select count(*)::int as n from tm.history`)).rows[0].n;
}
