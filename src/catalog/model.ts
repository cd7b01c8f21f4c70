/**
 * The catalog model: what one PostgreSQL schema contains, with every trace of
 * the schema's own name removed so that two tenants in the same state produce
 * byte-identical models (and so the same fingerprint).
 *
 * Collections are keyed by object name rather than stored as arrays: column
 * order, catalog OIDs and creation order are deliberately not part of the
 * model, so a column added later compares equal to one created with the table.
 */

export interface SchemaModel {
  tables: Record<string, TableModel>;
  enums: Record<string, EnumModel>;
  sequences: Record<string, SequenceModel>;
  views: Record<string, ViewModel>;
  /** Comments on the schema's objects, by the commented object's label (`table "User"`, `column "User"."email"`): absent when there are none, so models without comments and their fingerprints are unchanged. */
  comments?: Record<string, CommentModel>;
}

export interface TableModel {
  columns: Record<string, ColumnModel>;
  /** Primary key, unique, check, exclusion and foreign-key constraints by name. */
  constraints: Record<string, ConstraintModel>;
  /** Indexes that do not back a constraint, by name. */
  indexes: Record<string, IndexModel>;
}

export interface ColumnModel {
  /** `format_type()` output with the schema qualifier removed, e.g. `timestamp(3) without time zone`, `"Role"[]`. */
  type: string;
  notNull: boolean;
  /** Default expression as PostgreSQL prints it, schema qualifier removed; null when none. */
  default: string | null;
  /** `always` / `by default` for identity columns, else null. */
  identity: 'always' | 'by default' | null;
  /**
   * Identity columns only: the options of the identity's sequence (its name is
   * PostgreSQL's choice, not part of the model). Absent on other columns, so
   * their canonical JSON and fingerprints are unchanged.
   */
  identitySequence?: IdentitySequenceModel;
  /** Expression of a `GENERATED ALWAYS AS (…) STORED` column, else null. */
  generated: string | null;
  /** Explicit collation when it differs from the type's default, else null. */
  collation: string | null;
}

export type ConstraintKind = 'primary key' | 'unique' | 'check' | 'foreign key' | 'exclusion';

export interface ConstraintModel {
  kind: ConstraintKind;
  /** `pg_get_constraintdef()` output, own-schema qualifiers removed. */
  definition: string;
  /** Columns the constraint is on, in constraint order. */
  columns: string[];
  /** For foreign keys: the referenced table (schema-free when it is in the same schema). */
  references: string | null;
  deferrable: boolean;
  initiallyDeferred: boolean;
  /** False for constraints added NOT VALID and never validated. */
  validated: boolean;
}

export interface IndexModel {
  /** `pg_get_indexdef()` output with the index name and own-schema qualifiers removed: `CREATE INDEX ON "User" USING btree (email)`. */
  definition: string;
  unique: boolean;
  /** Columns the index mentions directly (expression parts are in the definition only). */
  columns: string[];
  /** Present only for an index a failed CREATE INDEX CONCURRENTLY left behind (not usable, not what any plan wants). */
  invalid?: true;
}

export interface EnumModel {
  /** Labels in their sort order. */
  values: string[];
}

export interface SequenceModel {
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `table.column` that owns the sequence (SERIAL and identity columns), else null. */
  ownedBy: { table: string; column: string } | null;
}

/** A sequence's options, less its type (an identity sequence has its column's) and owner. */
export type IdentitySequenceModel = Omit<SequenceModel, 'dataType' | 'ownedBy'>;

export interface ViewModel {
  definition: string;
  materialized: boolean;
}

export interface CommentModel {
  on: { kind: 'table'; table: string } | { kind: 'column'; table: string; column: string };
  text: string;
}

export function emptySchemaModel(): SchemaModel {
  return { tables: {}, enums: {}, sequences: {}, views: {} };
}
