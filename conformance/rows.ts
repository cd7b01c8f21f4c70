/**
 * A few deterministic rows in every table of a schema Prisma made, read from
 * PostgreSQL's catalog (not from tm's model: this is the oracle's side), and
 * a checksum per table to tell afterwards whether the rows are intact.
 *
 * Row 0 is minimal: NULL where allowed, the default where there is one. The
 * others have a value in every column: by type, the first value of an enum,
 * a one-element array for a list, and for a foreign key the key of a row of
 * the referenced table (tables are filled parents first; a reference to a
 * table not filled yet, as in a cycle, is NULL where allowed). Each row is
 * inserted under a savepoint: one that breaks a constraint this generator
 * does not know of is left out and counted, not fatal.
 */
import type pg from 'pg';
import { quoteIdent } from '../src/sql/quote.js';

interface Column {
  name: string;
  /** pg_type.typname of the column (of the element for an array). */
  type: string;
  array: boolean;
  /** varchar(n) / char(n): n; else null. */
  length: number | null;
  notNull: boolean;
  hasDefault: boolean;
  enumLabels: string[] | null;
}

interface ForeignKey {
  columns: string[];
  parent: string;
  parentColumns: string[];
}

interface Table {
  name: string;
  columns: Column[];
  foreignKeys: ForeignKey[];
}

async function readTables(client: pg.ClientBase, schema: string): Promise<Table[]> {
  const { rows: columns } = await client.query(
    `select c.relname as table, a.attname as name, a.attnotnull as not_null, a.atthasdef as has_default,
            coalesce(e.typname, t.typname) as type, t.typcategory = 'A' as array,
            case when coalesce(e.typname, t.typname) in ('varchar', 'bpchar') and a.atttypmod > 4 then a.atttypmod - 4 end as length,
            (select array_agg(enumlabel::text order by enumsortorder) from pg_enum where enumtypid = coalesce(e.oid, t.oid)) as labels
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       join pg_type t on t.oid = a.atttypid
       left join pg_type e on e.oid = t.typelem and t.typcategory = 'A'
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
        and a.attidentity <> 'a' and a.attgenerated = ''
      order by c.relname, a.attnum`,
    [schema],
  );
  const { rows: fks } = await client.query(
    `select c.relname as table, p.relname as parent,
            array(select attname::text from unnest(k.conkey) with ordinality u(n, i) join pg_attribute on attrelid = k.conrelid and attnum = u.n order by u.i) as columns,
            array(select attname::text from unnest(k.confkey) with ordinality u(n, i) join pg_attribute on attrelid = k.confrelid and attnum = u.n order by u.i) as parent_columns
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_class p on p.oid = k.confrelid
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and k.contype = 'f'
      order by c.relname, k.conname`,
    [schema],
  );
  const tables = new Map<string, Table>();
  for (const c of columns) {
    const table: Table = tables.get(c.table) ?? { name: c.table, columns: [], foreignKeys: [] };
    tables.set(c.table, table);
    table.columns.push({ name: c.name, type: c.type, array: c.array, length: c.length, notNull: c.not_null, hasDefault: c.has_default, enumLabels: c.labels });
  }
  for (const f of fks) tables.get(f.table)?.foreignKeys.push({ columns: f.columns, parent: f.parent, parentColumns: f.parent_columns });
  return [...tables.values()];
}

/** A value of the type as text PostgreSQL parses, for row i (i ≥ 1), or null when this generator has none. */
function scalarValue(column: Column, i: number): string | null {
  if (column.enumLabels?.length) return column.enumLabels[0];
  switch (column.type) {
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'citext':
      return column.length !== null ? `v${i}`.slice(-column.length) : `value ${i}`;
    case 'int2':
    case 'int4':
    case 'int8':
      return String(100 + i);
    case 'numeric':
      return `${i}.25`;
    case 'float4':
    case 'float8':
      return `${i}.5`;
    case 'bool':
      return i % 2 ? 'true' : 'false';
    case 'timestamp':
      return `2024-02-2${i} 18:30:02.123`;
    case 'timestamptz':
      return `2024-02-2${i} 18:30:02.123+00`;
    case 'date':
      return `2024-02-2${i}`;
    case 'time':
    case 'timetz':
      return `18:30:0${i}`;
    case 'interval':
      return `${i} days`;
    case 'json':
    case 'jsonb':
      return JSON.stringify({ row: i, list: [i, 'x'] });
    case 'bytea':
      return `\\x0${i}ff`;
    case 'uuid':
      return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    case 'inet':
      return `10.0.0.${i}`;
    case 'xml':
      return `<row>${i}</row>`;
    default:
      return null;
  }
}

function value(column: Column, i: number): string | null {
  const scalar = scalarValue(column, i);
  if (scalar === null || !column.array) return scalar;
  return `{"${scalar.replace(/["\\]/g, (c) => '\\' + c)}"}`;
}

/**
 * Tables with every referenced table first. In a cycle, a table whose
 * missing parents are referenced only by nullable columns goes first (those
 * references are NULL); failing that, the first in the catalog's order.
 */
function parentsFirst(tables: Table[]): Table[] {
  const done = new Set<string>();
  const order: Table[] = [];
  const known = new Set(tables.map((t) => t.name));
  const missing = (t: Table) => t.foreignKeys.filter((f) => f.parent !== t.name && known.has(f.parent) && !done.has(f.parent));
  const nullable = (t: Table, f: ForeignKey) => f.columns.every((c) => !t.columns.find((x) => x.name === c)?.notNull);
  let left = [...tables];
  while (left.length) {
    const ready = left.filter((t) => missing(t).length === 0);
    const next = ready.length ? ready : [left.find((t) => missing(t).every((f) => nullable(t, f))) ?? left[0]];
    for (const t of next) {
      order.push(t);
      done.add(t.name);
    }
    left = left.filter((t) => !done.has(t.name));
  }
  return order;
}

export interface FillReport {
  rows: number;
  /** Rows left out (a constraint this generator does not satisfy), as `table: reason`. */
  skipped: string[];
}

/** Fills every table of the schema with up to `perTable` rows. */
export async function fillTables(client: pg.ClientBase, schema: string, perTable = 3): Promise<FillReport> {
  const report: FillReport = { rows: 0, skipped: [] };
  const inserted = new Map<string, Record<string, string | null>[]>();
  const asText = { getTypeParser: () => (text: string) => text };
  await client.query('BEGIN');
  try {
    for (const table of parentsFirst(await readTables(client, schema))) {
      const rows: Record<string, string | null>[] = [];
      inserted.set(table.name, rows);
      for (let i = 0; i < perTable; i++) {
        const names: string[] = [];
        const values: (string | null)[] = [];
        const set = (name: string, v: string | null) => {
          if (names.includes(name)) values[names.indexOf(name)] = v;
          else names.push(name), values.push(v);
        };
        for (const c of table.columns) {
          if (i === 0 && (!c.notNull || c.hasDefault)) continue; // NULL, or the default
          set(c.name, value(c, i === 0 ? perTable : i)); // row 0 takes the numbers after the last row's
        }
        for (const fk of table.foreignKeys) {
          const parentRows = fk.parent === table.name ? rows : inserted.get(fk.parent) ?? [];
          const parent = parentRows.length ? parentRows[(i + parentRows.length - 1) % parentRows.length] : null;
          fk.columns.forEach((c, k) => {
            const column = table.columns.find((x) => x.name === c)!;
            if (i === 0 && !column.notNull) return;
            if (parent) set(c, parent[fk.parentColumns[k]]);
            else if (!column.notNull) set(c, null);
          });
        }
        const sql = names.length
          ? `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table.name)} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map((_, k) => `$${k + 1}`).join(', ')}) RETURNING *`
          : `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table.name)} DEFAULT VALUES RETURNING *`;
        await client.query('SAVEPOINT row');
        try {
          const { rows: back } = await client.query({ text: sql, values, types: asText });
          rows.push(back[0]);
          report.rows++;
          await client.query('RELEASE SAVEPOINT row');
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT row');
          report.skipped.push(`${table.name} row ${i}: ${(error as Error).message}`);
        }
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return report;
}

/** Per table of the schema: its row count and an md5 of its rows (as text, sorted). */
export async function tableChecksums(client: pg.ClientBase, schema: string): Promise<Map<string, string>> {
  const { rows: tables } = await client.query(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
    [schema],
  );
  const out = new Map<string, string>();
  for (const { name } of tables) {
    const { rows } = await client.query(
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as sum from ${quoteIdent(schema)}.${quoteIdent(name)} t`,
    );
    out.set(name, `${rows[0].n} rows, md5 ${rows[0].sum}`);
  }
  return out;
}
