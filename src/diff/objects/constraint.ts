/**
 * Constraints of tables: primary key, unique, check and exclusion (inline in
 * a new table's CREATE TABLE, table.ts; added and dropped on kept tables) and
 * foreign keys (added once every table and unique index they need exists,
 * dropped first: also those between dropped tables, so tables can go in any
 * order). A constraint whose definition changes, or that uses a column
 * dropped and added again, is dropped and added; one renamed keeps its index
 * (renames.ts).
 */
import type { ConstraintModel, TableModel } from '../../catalog/model.js';
import { ref, type ObjectRef } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { foreignKeyUsesAny, usesAny } from '../columnChange.js';
import { hazard, keys, planned, type DiffContext, type ObjectDiffer, type PlannedStep } from '../differ.js';
import { renamedTo, sameConstraint } from '../renames.js';
import { fieldChanges, type TableKindDrift } from '../kindDrift.js';
import { makeStep as step, type Hazard } from '../step.js';

const q = quoteIdent;

/** `CONSTRAINT "name" …` as CREATE TABLE and ADD write it. */
export function constraintClause(name: string, constraint: ConstraintModel): string {
  let sql = `CONSTRAINT ${q(name)} ${constraint.definition}`;
  // pg_get_constraintdef already prints DEFERRABLE / INITIALLY DEFERRED for foreign keys; not for the others.
  if (constraint.kind !== 'foreign key' && constraint.deferrable && !/DEFERRABLE/.test(constraint.definition)) {
    sql += constraint.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
  }
  return sql;
}

/** A constraint needs its table, and a foreign key the table it references. */
function dependencies(table: string, constraint: ConstraintModel): ObjectRef[] {
  return constraint.kind === 'foreign key' && constraint.references !== null ? [ref.table(table), ref.table(constraint.references)] : [ref.table(table)];
}

/** Is the constraint unchanged: the same definition, and no column `checked` uses dropped and added again? */
function unchanged(context: DiffContext, table: string, a: ConstraintModel | undefined, b: ConstraintModel | undefined, checked: ConstraintModel): boolean {
  if (!a || !b || !sameConstraint(a, b)) return false;
  return checked.kind === 'foreign key' ? !foreignKeyUsesAny(context.recreatedColumns, table, checked) : !usesAny(context.recreatedColumns.get(table), checked);
}

export const constraintDiffer: ObjectDiffer = {
  kind: 'constraint',
  diff(context) {
    const { from, to, keptTables, newTables, droppedTables, renames } = context;
    const out: PlannedStep[] = [];
    const drop = (table: string, name: string, c: ConstraintModel) => step('drop', ref.constraint(table, name, c.kind), `ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(name)}`);

    for (const table of keptTables) {
      const a = from.tables[table].constraints;
      const b = to.tables[table].constraints;
      for (const name of keys(a)) {
        if (unchanged(context, table, a[name], b[name], a[name])) continue;
        if (renames.get(table)!.constraints.has(name)) continue;
        if (a[name].kind === 'foreign key') out.push(planned('drop foreign keys', drop(table, name, a[name]), [0, table, name], dependencies(table, a[name])));
        else out.push(planned('drop constraints and indexes', drop(table, name, a[name]), [table, 0, name], dependencies(table, a[name])));
      }
      for (const [old, name] of renames.get(table)!.constraints) {
        const kind = a[old].kind;
        out.push(planned('renames', step('alter', ref.constraint(table, old, kind), `ALTER TABLE ${q(table)} RENAME CONSTRAINT ${q(old)} TO ${q(name)}`), [table, 1]));
      }
    }
    for (const table of droppedTables) {
      const a = from.tables[table].constraints;
      for (const name of keys(a)) {
        if (a[name].kind === 'foreign key' && a[name].references !== table && droppedTables.includes(a[name].references ?? '')) {
          out.push(planned('drop foreign keys', drop(table, name, a[name]), [1, table, name], dependencies(table, a[name])));
        }
      }
    }

    for (const table of [...keptTables, ...newTables]) {
      const isNew = newTables.includes(table);
      const a: TableModel['constraints'] = from.tables[table]?.constraints ?? {};
      const b = to.tables[table].constraints;
      const renamed = renamedTo(renames.get(table));
      for (const name of keys(b)) {
        const c = b[name];
        // A new table's other constraints are in its CREATE TABLE.
        if ((isNew && c.kind !== 'foreign key') || unchanged(context, table, a[name], c, c) || renamed.has(name)) continue;
        if (c.kind === 'foreign key') {
          const hazards = isNew ? [] : [hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} reference missing rows of ${q(c.references ?? '')}`)];
          const add = step('create', ref.constraint(table, name, c.kind), `ALTER TABLE ${q(table)} ADD ${constraintClause(name, c)}`, hazards);
          out.push(planned('add foreign keys', add, [isNew ? 1 : 0, table, name], dependencies(table, c)));
          continue;
        }
        const hazards: Hazard[] = [hazard('MAY_FAIL_ON_DATA', `fails if existing rows of ${q(table)} violate ${c.kind} ${q(name)}`)];
        if (c.kind !== 'check') hazards.push(hazard('INDEX_BUILD', `builds an index on ${q(table)}, blocking writes while it runs`));
        hazards.push(hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} while existing rows are checked`));
        const add = step('create', ref.constraint(table, name, c.kind), `ALTER TABLE ${q(table)} ADD ${constraintClause(name, c)}`, hazards);
        out.push(planned('add constraints and indexes', add, [0, table, 0, name], dependencies(table, c)));
      }
    }
    return out;
  },
};

/** Drift: a constraint by its definition; pruned with a column it is on. */
export const constraintDrift: TableKindDrift<ConstraintModel> = {
  kind: 'constraint',
  scope: 'table',
  objects: (table) => table.constraints,
  target: (table, name, c) => ref.constraint(table, name, c.kind),
  // Drift has always said `constraint` (a plan step says which: `foreign key "…" on "…"`).
  label: (table, name) => `constraint ${q(name)} on ${q(table)}`,
  summary: (c) => c.definition,
  changes: (x, y) =>
    fieldChanges([
      ['kind', x.kind, y.kind],
      ['definition', x.definition, y.definition],
      ['deferrable', x.deferrable, y.deferrable],
      ['initially deferred', x.initiallyDeferred, y.initiallyDeferred],
      ['validated', x.validated, y.validated],
    ]),
  orphaned: (table, c) => c.columns.some((column) => !table.columns[column]),
};
