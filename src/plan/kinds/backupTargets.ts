/**
 * What a plan's steps would lose, worked out from the schema's model before
 * them: pure, no I/O. A step with DATA_LOSS or TABLE_REWRITE on a table that
 * exists gets its table (every row) or its column (with the row key, so the
 * values can be put back row by row) copied first. New columns that rewrite a
 * table (volatile defaults) lose nothing and need no copy.
 */
import type { SchemaModel, TableModel } from '../../catalog/model.js';
import type { ObjectRef } from '../../catalog/objectRef.js';
import type { Step } from '../../diff/step.js';
import { quoteIdent } from '../../sql/quote.js';
import type { BackupTarget } from '../types.js';

const q = quoteIdent;

/** `(a, "b")` at the end of an index definition, with no expression or WHERE clause. */
const PLAIN_INDEX_COLUMNS = /USING \w+ \(([^()]*)\)$/;

/** Columns that identify a row: the primary key, else a unique constraint or plain unique index on NOT NULL columns; [] when there is none. */
export function rowKey(table: TableModel): string[] {
  const allNotNull = (columns: string[]) => columns.length > 0 && columns.every((c) => table.columns[c]?.notNull);
  const constraints = Object.keys(table.constraints)
    .sort()
    .map((name) => table.constraints[name]);
  const primary = constraints.find((c) => c.kind === 'primary key');
  if (primary && allNotNull(primary.columns)) return [...primary.columns];
  const unique = constraints.find((c) => c.kind === 'unique' && allNotNull(c.columns));
  if (unique) return [...unique.columns];
  for (const name of Object.keys(table.indexes).sort()) {
    const index = table.indexes[name];
    const plain = PLAIN_INDEX_COLUMNS.exec(index.definition);
    if (index.unique && plain && plain[1].split(',').length === index.columns.length && allNotNull(index.columns)) return [...index.columns];
  }
  return [];
}

/** Is the type (as the catalog model prints it) one of the schema's own enums, or an array of one? */
export function isSchemaType(model: SchemaModel, type: string): boolean {
  const base = type.replace(/(\[\])+$/, '');
  return Object.keys(model.enums).some((e) => base === q(e) || base === e);
}

/** The existing table, or column of one, a step changes; null for any other object. */
function existingTableOrColumn(before: SchemaModel, target: ObjectRef): { table: string; column: string | null } | null {
  if (target.kind === 'table' && Object.hasOwn(before.tables, target.name)) return { table: target.name, column: null };
  if (target.kind === 'column' && Object.hasOwn(before.tables, target.table) && Object.hasOwn(before.tables[target.table].columns, target.name)) {
    return { table: target.table, column: target.name };
  }
  return null;
}

export function backupTargets(before: SchemaModel, steps: Step[]): BackupTarget[] {
  const found = new Map<string, BackupTarget>();
  for (const step of steps) {
    if (step.action === 'create') continue;
    const atRisk = step.hazards.some((h) => h.type === 'DATA_LOSS' || h.type === 'TABLE_REWRITE');
    const object = existingTableOrColumn(before, step.target);
    if (!atRisk || !object) continue;
    const dataLoss = step.hazards.some((h) => h.type === 'DATA_LOSS');
    const key = `${object.table}\0${object.column ?? ''}`;
    const existing = found.get(key);
    if (existing) {
      existing.dataLoss ||= dataLoss;
      continue;
    }
    const table = before.tables[object.table];
    const all = Object.keys(table.columns).sort();
    let rowColumns = rowKey(table);
    let columns: string[];
    if (object.column === null) columns = all;
    else if (rowColumns.length === 0 || rowColumns.includes(object.column)) {
      // No key to find the rows again by (or the key itself changes): copy whole rows.
      rowColumns = [];
      columns = all;
    } else columns = [...rowColumns, object.column];
    found.set(key, {
      object: object.column === null ? 'table' : 'column',
      table: object.table,
      column: object.column,
      key: rowColumns,
      columns,
      asText: columns.filter((c) => isSchemaType(before, table.columns[c].type)),
      dataLoss,
    });
  }
  // A table copied whole needs no copy of its columns.
  const wholeTables = new Set([...found.values()].filter((t) => t.object === 'table').map((t) => t.table));
  return [...found.values()]
    .filter((t) => t.object === 'table' || !wholeTables.has(t.table))
    .sort((a, b) => a.table.localeCompare(b.table) || (a.column ?? '').localeCompare(b.column ?? ''));
}
