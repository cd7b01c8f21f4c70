/**
 * The statements that add a column and convert its type, as the diff writes
 * them. A plan kind that needs a variant (rollback adds a required column
 * nullable first, and converts a column back taking staged values) builds it
 * here from model data and the step's typed conversion, never by editing
 * another step's SQL.
 */
import type { ColumnModel, IdentitySequenceModel } from '../catalog/model.js';
import { ref } from '../catalog/objectRef.js';
import { quoteIdent } from '../sql/quote.js';
import { makeStep, type ColumnConversion, type Hazard, type Step } from './step.js';

const q = quoteIdent;

export function identityOptions(seq: IdentitySequenceModel): string {
  return `INCREMENT BY ${seq.increment} MINVALUE ${seq.min} MAXVALUE ${seq.max} START WITH ${seq.start} CACHE ${seq.cache}${seq.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/** `GENERATED … AS IDENTITY`, with the identity sequence's options when the model has them. */
export function identityClause(column: ColumnModel): string {
  const options = column.identitySequence ? ` (${identityOptions(column.identitySequence)})` : '';
  return `GENERATED ${column.identity!.toUpperCase()} AS IDENTITY${options}`;
}

/** `"name" type COLLATE … GENERATED … DEFAULT … NOT NULL`: a column in CREATE TABLE or ADD COLUMN. */
export function columnDefinition(name: string, column: ColumnModel): string {
  let sql = `${q(name)} ${column.type}`;
  if (column.collation) sql += ` COLLATE ${column.collation}`;
  if (column.generated !== null) sql += ` GENERATED ALWAYS AS (${column.generated}) STORED`;
  if (column.identity) sql += ` ${identityClause(column)}`;
  if (column.default !== null) sql += ` DEFAULT ${column.default}`;
  if (column.notNull) sql += ' NOT NULL';
  return sql;
}

export function addColumnSql(table: string, name: string, column: ColumnModel): string {
  return `ALTER TABLE ${q(table)} ADD COLUMN ${columnDefinition(name, column)}`;
}

/** `ALTER TABLE … ALTER COLUMN … TYPE … [COLLATE …] USING …`. */
export function convertColumnSql(table: string, column: string, conversion: ColumnConversion): string {
  const collate = conversion.collation ? ` COLLATE ${conversion.collation}` : '';
  return `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} TYPE ${conversion.type}${collate} USING ${conversion.using}`;
}

/** The step converting a column's type, carrying its conversion for readers (rollback). */
export function conversionStep(table: string, column: string, conversion: ColumnConversion, hazards: Hazard[] = []): Step {
  return { ...makeStep('alter', ref.column(table, column), convertColumnSql(table, column, conversion), hazards), conversion };
}
