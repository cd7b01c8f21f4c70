/**
 * What one catalog part is: the rows of one kind of object, read for every
 * wanted schema at once, and how they make that kind's piece of each
 * schema's model. The core (introspect.ts) runs every part of CATALOG_PARTS
 * (index.ts); adding a kind is one module here and one line there.
 */
import type { SchemaModel, TableModel } from '../model.js';

export interface CatalogPart<Row = any> {
  /** Names the part's rows in a catalog read (a SQL column name: lowercase letters). */
  name: string;
  /**
   * The SQL of its rows: a SELECT over `wanted` and `rels` (sql.ts) with a
   * `schema` column, rows for every wanted schema at once.
   */
  query: string;
  /**
   * What the query costs, relative to the other parts' (their times on a
   * fleet of tenants of a typical Prisma schema with one view: tables 16,
   * constraints 11, indexes 10, sequences 6, views 4): two connections
   * share the parts so that each has about the same total.
   */
  cost: number;
  /**
   * Its contribution to a schema's signature (queries.ts): the SQL of an md5
   * (null when the schema has no such rows) of what the part's rows of one
   * schema are made of, with the schema `o` and its relations in `rels`. It
   * must determine the part's rows but for the schema's own name: two
   * schemas with equal digests must build the same piece of model. So
   * objects are named, not numbered, where they belong to the schema; a
   * built-in or shared object may be an OID (the same OID is the same object
   * in one database); a node tree (defaults, check constraints, index
   * expressions) may be raw text, as it names objects by OID; a text
   * PostgreSQL printed goes through withoutOwnQualifier (sql.ts). Rows are
   * taken in the order of their names, so that tenants made by other paths
   * to one state still share a digest. A digest may differ for schemas whose
   * rows are the same: that only reads one more schema in full.
   *
   * `whole(alias)` is the row of `wholeRow`'s catalog under that alias.
   * Absent for a part that needs none (the schemas themselves).
   */
  digest?: (whole: (alias: string) => string) => string;
  /**
   * A catalog whose rows go whole into the digest, less the columns that
   * hold the OIDs of the row's own objects (they differ from tenant to
   * tenant; what they point to is in the digest by name). So a column a later
   * PostgreSQL adds is part of the digest without anyone remembering to add it.
   */
  wholeRow?: { catalog: string; leftOut: string[] };
  /** Puts its rows into the models, after the parts of `after` have put theirs. */
  build: (rows: Row[], models: ModelBuilding) => void;
  /** The parts whose pieces its build uses (tables' columns, say): the registry lists it after them. */
  after?: readonly CatalogPart[];
}

/** The models being built from one catalog read, and what parts share while building them. */
export interface ModelBuilding {
  /** The model of a schema of the read, made empty when first named. */
  model(schema: string): SchemaModel;
  /** A table of that schema's model, made empty when first named. */
  table(schema: string, name: string): TableModel;
  /** Records a table's column's attribute number (the tables part), by which constraints and indexes name columns. */
  numberColumn(table: TableModel, number: number, name: string): void;
  /** The names of these attribute numbers of the table; 0 (an expression) and unknown numbers are left out. */
  columnNames(table: TableModel, numbers: number[] | null): string[];
}

/** A part as written, its row type checked against its build. */
export function catalogPart<Row>(part: CatalogPart<Row>): CatalogPart<Row> {
  return part;
}
