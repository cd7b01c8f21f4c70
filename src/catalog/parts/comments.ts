/**
 * Comments on tables and their columns (`COMMENT ON TABLE/COLUMN`), by the
 * commented object's label. A model gets `comments` only when its schema
 * has some: models without comments, and their fingerprints, are what they
 * were before tm read comments.
 *
 * Read from pg_description directly (what obj_description and col_description
 * look up), by the index on the commented object: one lookup per relation.
 * A comment's text is data, kept as written: the schema's name inside it is
 * not a qualifier, and is not removed.
 */
import type { CommentModel } from '../model.js';
import { objectLabel, ref } from '../objectRef.js';
import { catalogPart } from './part.js';

interface CommentRow {
  schema: string;
  table: string;
  /** Null for the table's own comment. */
  column: string | null;
  text: string;
}

/** Comments on the tables of `rels` and on their columns (objsubid is the column's number, 0 the table). */
const COMMENTS = `
from rels c
join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass
left join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid and d.objsubid > 0 and not a.attisdropped
where c.relkind in ('r', 'p') and (d.objsubid = 0 or a.attname is not null)`;

/** The label a comment is known by in the model, its object's (objectRef.ts): `table "User"`, `column "User"."email"`. */
export function commentLabel(on: CommentModel['on']): string {
  return objectLabel(on.kind === 'table' ? ref.table(on.table) : ref.column(on.table, on.column));
}

export const commentsPart = catalogPart<CommentRow>({
  name: 'comments',
  query: `
select c.nspname::text as schema,
       c.relname::text as table,
       a.attname::text as column,
       d.description as text
${COMMENTS}`,
  cost: 1,
  // The rows themselves: names and texts, nothing printed.
  digest: () => `select md5(string_agg(row(c.relname, a.attname, d.description)::text, ''
      order by c.relname collate "C", a.attname collate "C" nulls first))
    ${COMMENTS}`,
  build(rows, models) {
    for (const row of rows) {
      const on: CommentModel['on'] = row.column === null ? { kind: 'table', table: row.table } : { kind: 'column', table: row.table, column: row.column };
      (models.model(row.schema).comments ??= {})[commentLabel(on)] = { on, text: row.text };
    }
  },
});
