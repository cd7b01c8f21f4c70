/**
 * Tables: created with their columns and their primary key, unique, check
 * and exclusion constraints inline (foreign keys come later: constraint.ts),
 * dropped with all their rows (DATA_LOSS). Kept tables' columns are
 * column.ts's.
 */
import type { SchemaModel, TableModel } from '../../catalog/model.js';
import { ref, type ObjectRef } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { hazard, keys, planned, type ObjectDiffer, type PlannedStep } from '../differ.js';
import type { SchemaKindDrift } from '../kindDrift.js';
import { makeStep as step } from '../step.js';
import { columnDependencies } from './column.js';
import { columnDefinition } from '../columnSql.js';
import { constraintClause } from './constraint.js';

const q = quoteIdent;

/** The enums and sequences a table's columns need. */
function tableDependencies(model: SchemaModel, table: string): ObjectRef[] {
  return Object.values(model.tables[table].columns).flatMap((column) => columnDependencies(model, column));
}

export const tableDiffer: ObjectDiffer = {
  kind: 'table',
  diff({ from, to, droppedTables, newTables }) {
    const out: PlannedStep[] = [];
    for (const table of droppedTables) {
      const drop = step('drop', ref.table(table), `DROP TABLE ${q(table)}`, [hazard('DATA_LOSS', `drops table ${q(table)} and all its rows`)]);
      out.push(planned('drop tables', drop, [], tableDependencies(from, table)));
    }
    for (const table of newTables) {
      const t = to.tables[table];
      const lines = Object.entries(t.columns).map(([name, column]) => '    ' + columnDefinition(name, column));
      for (const name of keys(t.constraints)) {
        if (t.constraints[name].kind !== 'foreign key') lines.push('    ' + constraintClause(name, t.constraints[name]));
      }
      out.push(planned('create tables', step('create', ref.table(table), `CREATE TABLE ${q(table)} (\n${lines.join(',\n')}\n)`), [], tableDependencies(to, table)));
    }
    return out;
  },
};

/** Drift: a table is extra or missing; what differs inside a table in both is its columns', constraints' and indexes'. */
export const tableDrift: SchemaKindDrift<TableModel> = {
  kind: 'table',
  scope: 'schema',
  objects: (model) => model.tables,
  target: (name) => ref.table(name),
  summary: (table) => `${Object.keys(table.columns).length} columns`,
  changes: () => null,
};
