/**
 * A typed reference to one object of a tenant schema (or, for `schema` and
 * `extension`, of its database): what a plan step changes. Readers of a plan
 * (backups, rollback, privileges, apply's deferred steps) use it instead of
 * parsing a step's label or SQL; the label (`objectLabel`) is for people only.
 *
 * Names are unqualified and unquoted, as in the catalog model.
 */
import { quoteIdent } from '../sql/quote.js';
import type { CommentModel, ConstraintKind } from './model.js';

export type ObjectRef =
  | { kind: 'schema'; name: string }
  | { kind: 'extension'; name: string }
  | { kind: 'table'; name: string }
  | { kind: 'column'; table: string; name: string }
  | { kind: 'constraint'; table: string; name: string; constraintKind: ConstraintKind }
  | { kind: 'index'; table: string; name: string }
  | { kind: 'enum'; name: string }
  | { kind: 'sequence'; name: string }
  | { kind: 'view'; name: string; materialized: boolean }
  /** The values of a table (column null) or of one column, as `tm rollback` puts them back. */
  | { kind: 'data'; table: string; column: string | null }
  /** The sequence behind a serial or identity column, as `tm rollback` moves it past the values it put back. */
  | { kind: 'column sequence'; table: string; column: string }
  /** The comment on a table or a column (COMMENT ON). */
  | { kind: 'comment'; on: CommentModel['on'] };

export type ObjectKind = ObjectRef['kind'];

const q = quoteIdent;

/** What a reviewer reads: `table "User"`, `column "User"."email"`, `foreign key "x" on "Post"`. */
export function objectLabel(ref: ObjectRef): string {
  switch (ref.kind) {
    case 'column':
      return `column ${q(ref.table)}.${q(ref.name)}`;
    case 'constraint':
      return `${ref.constraintKind} ${q(ref.name)} on ${q(ref.table)}`;
    case 'view':
      return `${ref.materialized ? 'materialized view' : 'view'} ${q(ref.name)}`;
    case 'data':
      return `data of ${objectLabel(ref.column === null ? { kind: 'table', name: ref.table } : { kind: 'column', table: ref.table, name: ref.column })}`;
    case 'column sequence':
      return `sequence of ${objectLabel({ kind: 'column', table: ref.table, name: ref.column })}`;
    case 'comment':
      return `comment on ${objectLabel(ref.on.kind === 'table' ? { kind: 'table', name: ref.on.table } : { kind: 'column', table: ref.on.table, name: ref.on.column })}`;
    default:
      return `${ref.kind} ${q(ref.name)}`;
  }
}

/** Constructors, so that call sites read `ref.column(table, name)`. */
export const ref = {
  schema: (name: string): ObjectRef => ({ kind: 'schema', name }),
  extension: (name: string): ObjectRef => ({ kind: 'extension', name }),
  table: (name: string): ObjectRef => ({ kind: 'table', name }),
  column: (table: string, name: string): ObjectRef => ({ kind: 'column', table, name }),
  constraint: (table: string, name: string, constraintKind: ConstraintKind): ObjectRef => ({ kind: 'constraint', table, name, constraintKind }),
  index: (table: string, name: string): ObjectRef => ({ kind: 'index', table, name }),
  enum: (name: string): ObjectRef => ({ kind: 'enum', name }),
  sequence: (name: string): ObjectRef => ({ kind: 'sequence', name }),
  view: (name: string, materialized: boolean): ObjectRef => ({ kind: 'view', name, materialized }),
  data: (table: string, column: string | null): ObjectRef => ({ kind: 'data', table, column }),
  columnSequence: (table: string, column: string): ObjectRef => ({ kind: 'column sequence', table, column }),
  comment: (on: CommentModel['on']): ObjectRef => ({ kind: 'comment', on }),
};
