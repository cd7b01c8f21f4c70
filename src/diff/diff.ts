/**
 * The diff: a pure function from the model a schema has to the model it
 * should have, giving ordered steps with their hazards. No I/O, no schema
 * names: the same steps serve every tenant in the same state.
 *
 * Order (close to Prisma's own migrations):
 *   0. release kept sequences from owners that go (dropping the owner would drop them)
 *   1. drop views that go or change
 *   2. drop foreign keys that go or change (and those between dropped tables)
 *   3. drop indexes and constraints that go or change
 *   4. drop tables that go
 *  4b. rename indexes and constraints (same definition, new name: renames.ts)
 *   5. enums: create, add values, or recreate when values go or move
 *   6. sequences: create, alter
 *   7. create tables (primary key, unique, check constraints inline)
 *   8. columns of kept tables: drop, add, alter
 *   9. add constraints and create indexes
 *  10. sequence ownership
 *  11. add foreign keys
 *  12. drop sequences and enums that go
 *  13. create views
 */
import type {
  ColumnModel,
  ConstraintModel,
  EnumModel,
  IdentitySequenceModel,
  IndexModel,
  SchemaModel,
  SequenceModel,
  TableModel,
} from '../catalog/model.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { renamedTo, sameConstraint, sameIndex, tableRenames, type TableRenames } from './renames.js';
import { makeStep, type Hazard, type HazardType, type Step } from './step.js';
import { ref } from '../catalog/objectRef.js';
import { columnChange, enumPredicate, foreignKeyUsesAny, recreatedColumns, typeChangeHazards, usesAny } from './columnChange.js';

const q = quoteIdent;

function hazard(type: HazardType, message: string): Hazard {
  return { type, message };
}

const step = makeStep;

function keys<T>(record: Record<string, T>): string[] {
  return Object.keys(record).sort();
}

function added<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(to).filter((k) => !(k in from));
}

function removed<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(from).filter((k) => !(k in to));
}

function kept<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(from).filter((k) => k in to);
}

/** Defaults that PostgreSQL must compute per row, so adding such a column rewrites the table. */
function isVolatileDefault(expression: string | null): boolean {
  return expression !== null && /\b(nextval|random|gen_random_uuid|uuid_generate_v\d\w*|clock_timestamp|timeofday)\s*\(/i.test(expression);
}

function identityOptions(seq: IdentitySequenceModel): string {
  return `INCREMENT BY ${seq.increment} MINVALUE ${seq.min} MAXVALUE ${seq.max} START WITH ${seq.start} CACHE ${seq.cache}${seq.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/** `GENERATED … AS IDENTITY`, with the identity sequence's options when the model has them. */
function identityClause(column: ColumnModel): string {
  const options = column.identitySequence ? ` (${identityOptions(column.identitySequence)})` : '';
  return `GENERATED ${column.identity!.toUpperCase()} AS IDENTITY${options}`;
}

function columnDefinition(name: string, column: ColumnModel): string {
  let sql = `${q(name)} ${column.type}`;
  if (column.collation) sql += ` COLLATE ${column.collation}`;
  if (column.generated !== null) sql += ` GENERATED ALWAYS AS (${column.generated}) STORED`;
  if (column.identity) sql += ` ${identityClause(column)}`;
  if (column.default !== null) sql += ` DEFAULT ${column.default}`;
  if (column.notNull) sql += ' NOT NULL';
  return sql;
}

function constraintClause(name: string, constraint: ConstraintModel): string {
  let sql = `CONSTRAINT ${q(name)} ${constraint.definition}`;
  // pg_get_constraintdef already prints DEFERRABLE / INITIALLY DEFERRED for foreign keys; not for the others.
  if (constraint.kind !== 'foreign key' && constraint.deferrable && !/DEFERRABLE/.test(constraint.definition)) {
    sql += constraint.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
  }
  return sql;
}

function indexSql(name: string, index: IndexModel): string {
  return index.definition.replace(/ INDEX ON /, ` INDEX ${q(name)} ON `);
}

function sequenceOptions(seq: SequenceModel): string {
  return `AS ${seq.dataType} INCREMENT BY ${seq.increment} MINVALUE ${seq.min} MAXVALUE ${seq.max} START WITH ${seq.start} CACHE ${seq.cache}${seq.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/** Columns of `model` whose type is the enum (or an array of it). */
function columnsOfEnum(model: SchemaModel, enumName: string): { table: string; column: string; array: boolean }[] {
  const typeName = q(enumName);
  const out: { table: string; column: string; array: boolean }[] = [];
  for (const table of keys(model.tables)) {
    for (const column of keys(model.tables[table].columns)) {
      const type = model.tables[table].columns[column].type;
      if (type === typeName || type === enumName) out.push({ table, column, array: false });
      else if (type === typeName + '[]' || type === enumName + '[]') out.push({ table, column, array: true });
    }
  }
  return out;
}

/** True when `to` keeps every value of `from` in the same relative order (so values can just be added). */
function onlyAddsValues(from: EnumModel, to: EnumModel): boolean {
  const kept = to.values.filter((v) => from.values.includes(v));
  return kept.length === from.values.length && kept.every((v, i) => v === from.values[i]);
}

/** Does any default the plan sets use one of these new enum values? (PostgreSQL forbids that in the transaction that added them.) */
function newValueUsedByNewDefault(from: SchemaModel, to: SchemaModel, enumName: string, newValues: string[]): boolean {
  for (const { table, column } of columnsOfEnum(to, enumName)) {
    const target = to.tables[table].columns[column].default;
    const current = from.tables[table]?.columns[column]?.default ?? null;
    if (target !== null && target !== current && newValues.some((v) => target.includes(quoteLiteral(v)))) return true;
  }
  return false;
}

export interface DiffOptions {
  /**
   * Build indexes on existing tables with CREATE INDEX CONCURRENTLY: writes go
   * on during the build, but the statement cannot run in a transaction block,
   * so the applier runs it after the tenant's transaction commits.
   */
  concurrentIndexes?: boolean;
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

export function diffSchemas(from: SchemaModel, to: SchemaModel, options: DiffOptions = {}): Step[] {
  const releases: Step[] = [];
  const dropViews: Step[] = [];
  const dropForeignKeys: Step[] = [];
  const dropIndexes: Step[] = [];
  const dropTables: Step[] = [];
  const renameSteps: Step[] = [];
  const enums: Step[] = [];
  const sequences: Step[] = [];
  const createTables: Step[] = [];
  const columns: Step[] = [];
  const addIndexes: Step[] = [];
  const ownership: Step[] = [];
  const addForeignKeys: Step[] = [];
  const dropLast: Step[] = [];
  const createViews: Step[] = [];
  const isEnum = enumPredicate(from, to);
  const recreated = recreatedColumns(from, to, isEnum);

  // 1 / 13. Views: recreated whenever their definition changes.
  for (const name of keys(from.views)) {
    const target = to.views[name];
    if (target && target.definition === from.views[name].definition && target.materialized === from.views[name].materialized) continue;
    const kind = from.views[name].materialized ? 'MATERIALIZED VIEW' : 'VIEW';
    dropViews.push(step('drop', ref.view(name, from.views[name].materialized), `DROP ${kind} ${q(name)}`));
  }
  for (const name of keys(to.views)) {
    const current = from.views[name];
    if (current && current.definition === to.views[name].definition && current.materialized === to.views[name].materialized) continue;
    const kind = to.views[name].materialized ? 'MATERIALIZED VIEW' : 'VIEW';
    createViews.push(step('create', ref.view(name, to.views[name].materialized), `CREATE ${kind} ${q(name)} AS ${to.views[name].definition.trim().replace(/;$/, '')}`));
  }

  const droppedTables = removed(from.tables, to.tables);
  const newTables = added(from.tables, to.tables);
  const keptTables = kept(from.tables, to.tables);
  const renames = new Map<string, TableRenames>(keptTables.map((t) => [t, tableRenames(from.tables[t], to.tables[t])]));

  // 2. Foreign keys that go or change; between dropped tables too, so the tables can go in any order.
  for (const table of keptTables) {
    const a = from.tables[table].constraints;
    const b = to.tables[table].constraints;
    for (const name of keys(a)) {
      if (a[name].kind !== 'foreign key') continue;
      if (b[name] && sameConstraint(a[name], b[name]) && !foreignKeyUsesAny(recreated, table, a[name])) continue;
      if (renames.get(table)!.constraints.has(name)) continue;
      dropForeignKeys.push(step('drop', ref.constraint(table, name, 'foreign key'), `ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(name)}`));
    }
  }
  for (const table of droppedTables) {
    const a = from.tables[table].constraints;
    for (const name of keys(a)) {
      if (a[name].kind === 'foreign key' && a[name].references !== table && droppedTables.includes(a[name].references ?? '')) {
        dropForeignKeys.push(step('drop', ref.constraint(table, name, 'foreign key'), `ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(name)}`));
      }
    }
  }

  // 3. Other constraints and indexes that go or change, on kept tables.
  for (const table of keptTables) {
    const a = from.tables[table];
    const b = to.tables[table];
    for (const name of keys(a.constraints)) {
      if (a.constraints[name].kind === 'foreign key') continue;
      if (b.constraints[name] && sameConstraint(a.constraints[name], b.constraints[name]) && !usesAny(recreated.get(table), a.constraints[name])) continue;
      if (renames.get(table)!.constraints.has(name)) continue;
      dropIndexes.push(step('drop', ref.constraint(table, name, a.constraints[name].kind), `ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(name)}`));
    }
    for (const name of keys(a.indexes)) {
      if (b.indexes[name] && sameIndex(a.indexes[name], b.indexes[name]) && !usesAny(recreated.get(table), a.indexes[name])) continue;
      if (renames.get(table)!.indexes.has(name)) continue;
      dropIndexes.push(step('drop', ref.index(table, name), `DROP INDEX ${q(name)}`));
    }
  }

  // 4. Tables that go.
  for (const table of droppedTables) {
    dropTables.push(step('drop', ref.table(table), `DROP TABLE ${q(table)}`, [hazard('DATA_LOSS', `drops table ${q(table)} and all its rows`)]));
  }

  // 4b. Renames: after the drops (the new name may be one that goes), before the creates (the old one may come back).
  for (const table of keptTables) {
    const { indexes, constraints } = renames.get(table)!;
    for (const [old, name] of indexes) renameSteps.push(step('alter', ref.index(table, old), `ALTER INDEX ${q(old)} RENAME TO ${q(name)}`));
    for (const [old, name] of constraints) {
      const kind = from.tables[table].constraints[old].kind;
      renameSteps.push(step('alter', ref.constraint(table, old, kind), `ALTER TABLE ${q(table)} RENAME CONSTRAINT ${q(old)} TO ${q(name)}`));
    }
  }

  // 5. Enums.
  const recreatedEnums = new Set<string>();
  for (const name of added(from.enums, to.enums)) {
    const values = to.enums[name].values.map(quoteLiteral).join(', ');
    enums.push(step('create', ref.enum(name), `CREATE TYPE ${q(name)} AS ENUM (${values})`));
  }
  for (const name of kept(from.enums, to.enums)) {
    const a = from.enums[name];
    const b = to.enums[name];
    if (a.values.join('\0') === b.values.join('\0')) continue;
    const newValues = b.values.filter((v) => !a.values.includes(v));
    if (onlyAddsValues(a, b) && !newValueUsedByNewDefault(from, to, name, newValues)) {
      for (const value of newValues) {
        const index = b.values.indexOf(value);
        const next = b.values.slice(index + 1).find((v) => a.values.includes(v));
        const position = next === undefined ? '' : ` BEFORE ${quoteLiteral(next)}`;
        enums.push(step('alter', ref.enum(name), `ALTER TYPE ${q(name)} ADD VALUE ${quoteLiteral(value)}${position}`));
      }
      continue;
    }
    // Values go or move: build the new type, move every column over, swap names.
    recreatedEnums.add(name);
    const gone = a.values.filter((v) => !b.values.includes(v));
    const temp = `${name}_new`;
    const hazards = gone.length
      ? [
          hazard('DATA_LOSS', `removes value${gone.length > 1 ? 's' : ''} ${gone.map(quoteLiteral).join(', ')} from enum ${q(name)}`),
          hazard('MAY_FAIL_ON_DATA', `fails if a row still uses ${gone.map(quoteLiteral).join(', ')}`),
        ]
      : [];
    enums.push(step('create', ref.enum(temp), `CREATE TYPE ${q(temp)} AS ENUM (${b.values.map(quoteLiteral).join(', ')})`));
    const users = columnsOfEnum(from, name);
    for (const { table, column, array } of users) {
      const current = from.tables[table].columns[column];
      if (current.default !== null) {
        enums.push(step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} DROP DEFAULT`));
      }
      const cast = array ? `${q(column)}::text[]::${q(temp)}[]` : `${q(column)}::text::${q(temp)}`;
      enums.push(
        step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} TYPE ${q(temp)}${array ? '[]' : ''} USING (${cast})`, [
          ...hazards,
          hazard('TABLE_REWRITE', `rewrites table ${q(table)} to change the type of ${q(column)}`),
          hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} against reads and writes while it is rewritten`),
        ]),
      );
    }
    enums.push(step('alter', ref.enum(name), `ALTER TYPE ${q(name)} RENAME TO ${q(name + '_old')}`));
    enums.push(step('alter', ref.enum(temp), `ALTER TYPE ${q(temp)} RENAME TO ${q(name)}`));
    enums.push(step('drop', ref.enum(name + '_old'), `DROP TYPE ${q(name + '_old')}`, users.length ? [] : hazards));
    for (const { table, column } of users) {
      const target = to.tables[table]?.columns[column];
      const current = from.tables[table].columns[column];
      // Put back a default that stays the same; changed defaults are set with the other column changes.
      if (current.default !== null && target && target.default === current.default) {
        enums.push(step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} SET DEFAULT ${target.default}`));
      }
    }
  }

  // 6. Sequences (before tables: defaults call nextval on them).
  for (const name of added(from.sequences, to.sequences)) {
    sequences.push(step('create', ref.sequence(name), `CREATE SEQUENCE ${q(name)} ${sequenceOptions(to.sequences[name])}`));
  }
  for (const name of kept(from.sequences, to.sequences)) {
    const a = from.sequences[name];
    const b = to.sequences[name];
    if (sequenceOptions(a) !== sequenceOptions(b)) {
      sequences.push(step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} ${sequenceOptions(b)}`));
    }
  }

  // 7. New tables, with their primary key, unique, check and exclusion constraints inline.
  for (const table of newTables) {
    const t = to.tables[table];
    const lines = Object.entries(t.columns).map(([name, column]) => '    ' + columnDefinition(name, column));
    for (const name of keys(t.constraints)) {
      if (t.constraints[name].kind !== 'foreign key') lines.push('    ' + constraintClause(name, t.constraints[name]));
    }
    createTables.push(step('create', ref.table(table), `CREATE TABLE ${q(table)} (\n${lines.join(',\n')}\n)`));
  }

  // 8. Columns of kept tables.
  for (const table of keptTables) {
    columns.push(...diffColumns(table, from.tables[table], to.tables[table], recreatedEnums, isEnum));
  }

  // 9. Constraints (other than foreign keys) on kept tables, and indexes everywhere.
  for (const table of [...keptTables, ...newTables]) {
    const isNew = newTables.includes(table);
    const a: TableModel = from.tables[table] ?? { columns: {}, constraints: {}, indexes: {} };
    const b = to.tables[table];
    const renamed = renamedTo(renames.get(table));
    if (!isNew) {
      for (const name of keys(b.constraints)) {
        const c = b.constraints[name];
        if (c.kind === 'foreign key') continue;
        if (a.constraints[name] && sameConstraint(a.constraints[name], c) && !usesAny(recreated.get(table), c)) continue;
        if (renamed.has(name)) continue;
        const hazards: Hazard[] = [hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} violate ${c.kind} ${q(name)}`)];
        if (c.kind !== 'check') hazards.push(hazard('INDEX_BUILD', `builds an index on ${q(table)}, blocking writes while it runs`));
        hazards.push(hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} while existing rows are checked`));
        addIndexes.push(step('create', ref.constraint(table, name, c.kind), `ALTER TABLE ${q(table)} ADD ${constraintClause(name, c)}`, hazards));
      }
    }
    for (const name of keys(b.indexes)) {
      if (a.indexes[name] && sameIndex(a.indexes[name], b.indexes[name]) && !usesAny(recreated.get(table), b.indexes[name])) continue;
      if (renamed.has(name)) continue;
      const hazards: Hazard[] = [];
      if (!isNew) {
        hazards.push(hazard('INDEX_BUILD', `builds index ${q(name)} on ${q(table)}, blocking writes while it runs`));
        if (b.indexes[name].unique) hazards.push(hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} have duplicates`));
      }
      if (!isNew && options.concurrentIndexes) {
        hazards[0] = hazard('INDEX_BUILD', `builds index ${q(name)} on ${q(table)} concurrently: slower, writes continue`);
        hazards.push(hazard('NON_TRANSACTIONAL', `runs after the tenant's transaction commits; if it fails, the invalid index it leaves is dropped and the build retried by re-running apply`));
        const sql = indexSql(name, b.indexes[name]).replace(/^CREATE (UNIQUE )?INDEX /, (m) => m + 'CONCURRENTLY ');
        addIndexes.push(step('create', ref.index(table, name), sql, hazards, false));
        continue;
      }
      addIndexes.push(step('create', ref.index(table, name), indexSql(name, b.indexes[name]), hazards));
    }
  }

  // 0. A kept sequence whose owning column or table goes would go with it (pg-schema-diff's
  // sequence ownership cases): release it first; step 10 gives it its new owner.
  const released = new Set<string>();
  for (const name of kept(from.sequences, to.sequences)) {
    const owner = from.sequences[name].ownedBy;
    if (!owner) continue;
    const column = to.tables[owner.table]?.columns[owner.column];
    const fromColumn = from.tables[owner.table]?.columns[owner.column];
    if (column && fromColumn && column.generated === fromColumn.generated) continue;
    released.add(name);
    releases.push(step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} OWNED BY NONE`));
  }

  // 10. Sequence ownership, once the owning columns exist.
  for (const name of keys(to.sequences)) {
    const owner = to.sequences[name].ownedBy;
    const current = released.has(name) ? null : (from.sequences[name]?.ownedBy ?? null);
    if (JSON.stringify(owner) === JSON.stringify(current)) continue;
    const target = owner ? `${q(owner.table)}.${q(owner.column)}` : 'NONE';
    ownership.push(step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} OWNED BY ${target}`));
  }

  // 11. Foreign keys, once every table and unique index they need exists.
  for (const table of [...keptTables, ...newTables]) {
    const isNew = newTables.includes(table);
    const a = from.tables[table]?.constraints ?? {};
    const b = to.tables[table].constraints;
    const renamed = renamedTo(renames.get(table));
    for (const name of keys(b)) {
      if (b[name].kind !== 'foreign key') continue;
      if (a[name] && sameConstraint(a[name], b[name]) && !foreignKeyUsesAny(recreated, table, b[name])) continue;
      if (renamed.has(name)) continue;
      const hazards = isNew ? [] : [hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} reference missing rows of ${q(b[name].references ?? '')}`)];
      addForeignKeys.push(step('create', ref.constraint(table, name, 'foreign key'), `ALTER TABLE ${q(table)} ADD ${constraintClause(name, b[name])}`, hazards));
    }
  }

  // 12. Sequences and enums that go. A sequence owned by a dropped column or table went with it.
  for (const name of removed(from.sequences, to.sequences)) {
    const owner = from.sequences[name].ownedBy;
    if (owner && !to.tables[owner.table]?.columns[owner.column]) continue;
    // Its current value goes too: a sequence made again starts over and hands out used ids.
    dropLast.push(step('drop', ref.sequence(name), `DROP SEQUENCE ${q(name)}`, [hazard('DATA_LOSS', `drops sequence ${q(name)} and its current value`)]));
  }
  for (const name of removed(from.enums, to.enums)) {
    dropLast.push(step('drop', ref.enum(name), `DROP TYPE ${q(name)}`));
  }

  return [
    ...releases,
    ...dropViews,
    ...dropForeignKeys,
    ...dropIndexes,
    ...dropTables,
    ...renameSteps,
    ...enums,
    ...sequences,
    ...createTables,
    ...columns,
    ...addIndexes,
    ...ownership,
    ...addForeignKeys,
    ...dropLast,
    ...createViews,
  ];
}

function diffColumns(table: string, from: TableModel, to: TableModel, recreatedEnums: Set<string>, isEnum: (type: string) => boolean): Step[] {
  const drops: Step[] = [];
  const adds: Step[] = [];
  const alters: Step[] = [];
  const alter = (column: string, sql: string, hazards: Hazard[] = []) =>
    alters.push(step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} ${sql}`, hazards));
  const hasRowsNote = `existing rows of ${q(table)}`;

  const dropColumn = (column: string) =>
    drops.push(
      step('drop', ref.column(table, column), `ALTER TABLE ${q(table)} DROP COLUMN ${q(column)}`, [
        hazard('DATA_LOSS', `drops column ${q(table)}.${q(column)} and its values`),
      ]),
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
    adds.push(step('create', ref.column(table, column), `ALTER TABLE ${q(table)} ADD COLUMN ${columnDefinition(column, c)}`, hazards));
  };

  for (const column of removed(from.columns, to.columns)) dropColumn(column);
  for (const column of added(from.columns, to.columns)) addColumn(column, to.columns[column]);

  for (const column of kept(from.columns, to.columns)) {
    const a = from.columns[column];
    const b = to.columns[column];
    // A generated expression cannot be altered in place (before PostgreSQL 17), and a type Prisma
    // does not convert is dropped and added as Prisma does: the column's values go (DATA_LOSS).
    // (An identity's kind can change in place: SET GENERATED below.)
    const change = columnChange(a, b, isEnum);
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
      const collate = b.collation ? ` COLLATE ${b.collation}` : '';
      alter(column, `TYPE ${b.type}${collate} USING ${q(column)}::${b.type}`, typeChangeHazards(table, column, a, b, change));
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
      const enumRecreated = [...recreatedEnums].some((e) => b.type === q(e) || b.type === q(e) + '[]');
      // A recreated enum's column gets its unchanged default back in the enum step.
      if (!(enumRecreated && a.default === b.default)) alter(column, `SET DEFAULT ${b.default}`);
    }
    if (a.notNull && !b.notNull) alter(column, 'DROP NOT NULL');
  }
  return [...drops, ...adds, ...alters];
}
