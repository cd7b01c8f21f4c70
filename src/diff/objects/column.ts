/**
 * Columns of kept tables: dropped, added, or altered in place (type, default,
 * NOT NULL, identity), each with its hazards. Whether a type change converts
 * the values or drops and adds the column again is columnChange.ts's (and
 * typeChange.ts's) to say. Columns of new tables are in their CREATE TABLE
 * (table.ts, with columnSql.ts's columnDefinition).
 */
import type { ColumnModel, SchemaModel, TableModel } from '../../catalog/model.js';
import { ref, type ObjectRef } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { columnChange, typeChangeHazards } from '../columnChange.js';
import { addColumnSql, conversionStep, identityClause, identityOptions } from '../columnSql.js';
import { added, hazard, keys, kept, planned, removed, type DiffContext, type ObjectDiffer, type PlannedStep } from '../differ.js';
import { fieldChanges, type TableKindDrift } from '../kindDrift.js';
import { makeStep as step, type Hazard } from '../step.js';

const q = quoteIdent;

/** Defaults that PostgreSQL must compute per row, so adding such a column rewrites the table. */
function isVolatileDefault(expression: string | null): boolean {
  return expression !== null && /\b(nextval|random|gen_random_uuid|uuid_generate_v\d\w*|clock_timestamp|timeofday)\s*\(/i.test(expression);
}


/** The enums (its type) and sequences (its default's nextval) a column needs: a name the text mentions (a false match only orders). */
export function columnDependencies(model: SchemaModel, column: ColumnModel): ObjectRef[] {
  const out: ObjectRef[] = [];
  for (const name of keys(model.enums)) if (column.type.replace(/\[\]$/, '') === q(name) || column.type.replace(/\[\]$/, '') === name) out.push(ref.enum(name));
  if (column.default !== null) for (const name of keys(model.sequences)) if (column.default.includes(name)) out.push(ref.sequence(name));
  return out;
}

export const columnDiffer: ObjectDiffer = {
  kind: 'column',
  diff(context) {
    return context.keptTables.flatMap((table) => diffColumns(context, table, context.from.tables[table], context.to.tables[table]));
  },
};

function diffColumns(context: DiffContext, table: string, from: TableModel, to: TableModel): PlannedStep[] {
  const drops: PlannedStep[] = [];
  const adds: PlannedStep[] = [];
  const alters: PlannedStep[] = [];
  const tableRef = ref.table(table);
  const alter = (column: string, sql: string, hazards: Hazard[] = []) =>
    alters.push(
      planned('columns', step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} ${sql}`, hazards), [table], [
        tableRef,
        ...columnDependencies(context.to, to.columns[column]),
      ]),
    );
  const hasRowsNote = `existing rows of ${q(table)}`;

  const dropColumn = (column: string) =>
    drops.push(
      planned(
        'columns',
        step('drop', ref.column(table, column), `ALTER TABLE ${q(table)} DROP COLUMN ${q(column)}`, [hazard('DATA_LOSS', `drops column ${q(table)}.${q(column)} and its values`)]),
        [table],
        [tableRef, ...columnDependencies(context.from, from.columns[column])],
      ),
    );
  const addColumn = (column: string, c: ColumnModel) => {
    const hazards: Hazard[] = [];
    if (c.notNull && c.default === null && c.identity === null && c.generated === null) {
      hazards.push(hazard('MAY_FAIL_ON_DATA', `adds required column ${q(column)} without a default: fails if ${q(table)} has rows`));
    }
    if (isVolatileDefault(c.default) || c.identity !== null || c.generated !== null) {
      hazards.push(hazard('TABLE_REWRITE', `fills ${q(column)} row by row, rewriting ${q(table)}`));
      hazards.push(hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} against reads and writes while it is rewritten`));
    }
    const sql = addColumnSql(table, column, c);
    adds.push(planned('columns', step('create', ref.column(table, column), sql, hazards), [table], [tableRef, ...columnDependencies(context.to, c)]));
  };

  for (const column of removed(from.columns, to.columns)) dropColumn(column);
  for (const column of added(from.columns, to.columns)) addColumn(column, to.columns[column]);

  for (const column of kept(from.columns, to.columns)) {
    const a = from.columns[column];
    const b = to.columns[column];
    // A generated expression cannot be altered in place (before PostgreSQL 17), and a type Prisma
    // does not convert is dropped and added as Prisma does: the column's values go (DATA_LOSS).
    // (An identity's kind can change in place: SET GENERATED below.)
    const change = columnChange(a, b, context.isEnum);
    if (change === 'recreate') {
      dropColumn(column);
      addColumn(column, b);
      continue;
    }
    let defaultDropped = false;
    if (change !== null) {
      // The old default may not cast to the new type: take it off first, put the target one back after.
      if (a.default !== null) {
        alter(column, 'DROP DEFAULT');
        defaultDropped = true;
      }
      const conversion = conversionStep(table, column, { type: b.type, collation: b.collation, using: `${q(column)}::${b.type}` }, typeChangeHazards(table, column, a, b, change));
      alters.push(planned('columns', conversion, [table], [tableRef, ...columnDependencies(context.to, b)]));
    }
    // Order (pg-schema-diff's column cases): an identity goes before a default can be set, a
    // default goes and NOT NULL is set before an identity can be added (PostgreSQL refuses an
    // identity on a nullable column or one with a default), and NOT NULL is dropped last.
    if (a.identity !== null && b.identity === null) alter(column, 'DROP IDENTITY');
    if (b.default === null && a.default !== null && !defaultDropped) alter(column, 'DROP DEFAULT');
    if (!a.notNull && b.notNull) {
      alter(column, 'SET NOT NULL', [
        hazard('MAY_FAIL_ON_DATA', `fails if ${q(column)} is NULL in ${hasRowsNote}`),
        hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} while every row is checked`),
      ]);
    }
    if (a.identity === null && b.identity !== null) {
      alter(column, `ADD ${identityClause(b)}`);
    } else if (a.identity !== null && b.identity !== null) {
      if (a.identity !== b.identity) alter(column, `SET GENERATED ${b.identity.toUpperCase()}`);
      const from = a.identitySequence;
      const to = b.identitySequence;
      if (to && (!from || identityOptions(from) !== identityOptions(to))) {
        // ALTER COLUMN … SET <sequence option>: the identity's sequence, whatever PostgreSQL named it.
        alter(column, `SET INCREMENT BY ${to.increment} SET MINVALUE ${to.min} SET MAXVALUE ${to.max} SET START WITH ${to.start} SET CACHE ${to.cache} SET ${to.cycle ? 'CYCLE' : 'NO CYCLE'}`);
      }
    }
    if (b.default !== null && (b.default !== a.default || defaultDropped)) {
      const enumRecreated = [...context.recreatedEnums].some((e) => b.type === q(e) || b.type === q(e) + '[]');
      // A recreated enum's column gets its unchanged default back in the enum step (enum.ts).
      if (!(enumRecreated && a.default === b.default)) alter(column, `SET DEFAULT ${b.default}`);
    }
    if (a.notNull && !b.notNull) alter(column, 'DROP NOT NULL');
  }
  return [...drops, ...adds, ...alters];
}

/** Drift: a column by its type, NOT NULL and default; changed in any of its fields. */
export const columnDrift: TableKindDrift<ColumnModel> = {
  kind: 'column',
  scope: 'table',
  objects: (table) => table.columns,
  target: (table, name) => ref.column(table, name),
  summary: (c) => `${c.type}${c.notNull ? ' NOT NULL' : ''}${c.default !== null ? ` DEFAULT ${c.default}` : ''}`,
  changes: (x, y) =>
    fieldChanges([
      ['type', x.type, y.type],
      ['nullability', x.notNull ? 'NOT NULL' : 'nullable', y.notNull ? 'NOT NULL' : 'nullable'],
      ['default', x.default, y.default],
      ['identity', x.identity, y.identity],
      ['generated', x.generated, y.generated],
      ['collation', x.collation, y.collation],
    ]),
};
