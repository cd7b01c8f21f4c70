/**
 * Indexes that back no constraint: created (concurrently, outside the
 * tenant's transaction, when asked), dropped when they go or change or use a
 * column dropped and added again, renamed when only the name changes
 * (renames.ts). An index a failed concurrent build left invalid is dropped.
 */
import type { IndexModel, SchemaModel } from '../../catalog/model.js';
import { ref } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { recreatedColumns, usesAny } from '../columnChange.js';
import { hazard, keys, kept, planned, type ObjectDiffer, type PlannedStep } from '../differ.js';
import { renamedTo, sameIndex, tableRenames } from '../renames.js';
import { fieldChanges, type TableKindDrift } from '../kindDrift.js';
import { makeStep as step, type Hazard } from '../step.js';

const q = quoteIdent;

function indexSql(name: string, index: IndexModel): string {
  return index.definition.replace(/ INDEX ON /, ` INDEX ${q(name)} ON `);
}

/** Indexes on tables that exist before and after which the steps (re)create: built concurrently when asked. */
export function indexesToBuild(from: SchemaModel, to: SchemaModel): { table: string; name: string }[] {
  const out: { table: string; name: string }[] = [];
  const recreatedByTable = recreatedColumns(from, to);
  for (const table of kept(from.tables, to.tables)) {
    const a = from.tables[table].indexes;
    const b = to.tables[table].indexes;
    const recreated = recreatedByTable.get(table);
    const renamed = renamedTo(tableRenames(from.tables[table], to.tables[table]));
    for (const name of keys(b)) if (!(a[name] && sameIndex(a[name], b[name]) && !usesAny(recreated, a[name])) && !renamed.has(name)) out.push({ table, name });
  }
  return out;
}

export const indexDiffer: ObjectDiffer = {
  kind: 'index',
  diff({ from, to, keptTables, newTables, renames, recreatedColumns, options }) {
    const out: PlannedStep[] = [];
    for (const table of keptTables) {
      const a = from.tables[table].indexes;
      const b = to.tables[table].indexes;
      for (const name of keys(a)) {
        if (b[name] && sameIndex(a[name], b[name]) && !usesAny(recreatedColumns.get(table), a[name])) continue;
        if (renames.get(table)!.indexes.has(name)) continue;
        out.push(planned('drop constraints and indexes', step('drop', ref.index(table, name), `DROP INDEX ${q(name)}`), [table, 1, name], [ref.table(table)]));
      }
      for (const [old, name] of renames.get(table)!.indexes) {
        out.push(planned('renames', step('alter', ref.index(table, old), `ALTER INDEX ${q(old)} RENAME TO ${q(name)}`), [table, 0]));
      }
    }

    for (const table of [...keptTables, ...newTables]) {
      const isNew = newTables.includes(table);
      const a = from.tables[table]?.indexes ?? {};
      const b = to.tables[table].indexes;
      const renamed = renamedTo(renames.get(table));
      for (const name of keys(b)) {
        if (a[name] && sameIndex(a[name], b[name]) && !usesAny(recreatedColumns.get(table), b[name])) continue;
        if (renamed.has(name)) continue;
        const order = [isNew ? 1 : 0, table, 1, name];
        const hazards: Hazard[] = [];
        if (!isNew) {
          hazards.push(hazard('INDEX_BUILD', `builds index ${q(name)} on ${q(table)}, blocking writes while it runs`));
          if (b[name].unique) hazards.push(hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} have duplicates`));
        }
        if (!isNew && options.concurrentIndexes) {
          hazards[0] = hazard('INDEX_BUILD', `builds index ${q(name)} on ${q(table)} concurrently: slower, writes continue`);
          hazards.push(hazard('NON_TRANSACTIONAL', `runs after the tenant's transaction commits; if it fails, the invalid index it leaves is dropped and the build retried by re-running apply`));
          const sql = indexSql(name, b[name]).replace(/^CREATE (UNIQUE )?INDEX /, (m) => m + 'CONCURRENTLY ');
          out.push(planned('add constraints and indexes', step('create', ref.index(table, name), sql, hazards, false), order, [ref.table(table)]));
          continue;
        }
        out.push(planned('add constraints and indexes', step('create', ref.index(table, name), indexSql(name, b[name]), hazards), order, [ref.table(table)]));
      }
    }
    return out;
  },
};

/** Drift: an index by its definition; pruned with a column it is on. */
export const indexDrift: TableKindDrift<IndexModel> = {
  kind: 'index',
  scope: 'table',
  objects: (table) => table.indexes,
  target: (table, name) => ref.index(table, name),
  // Drift has always named the table too (a plan step's label does not).
  label: (table, name) => `index ${q(name)} on ${q(table)}`,
  summary: (i) => i.definition,
  changes: (x, y) => fieldChanges([['definition', x.definition, y.definition]]),
  orphaned: (table, i) => i.columns.some((column) => !table.columns[column]),
};
