/**
 * Renamed indexes and constraints: an object of a kept table that goes and
 * one that comes with the same definition (the name aside) are one object
 * renamed, as Prisma's engine plans it (ALTER INDEX … RENAME TO, ALTER TABLE
 * … RENAME CONSTRAINT), not a drop and a rebuild. A rename keeps the index
 * (no build, no lock held through a scan) and whatever depends on it: a
 * foreign key on a unique constraint, say.
 */
import type { ConstraintModel, IndexModel, TableModel } from '../catalog/model.js';

export interface TableRenames {
  /** Old name → new name. */
  indexes: Map<string, string>;
  constraints: Map<string, string>;
}

/**
 * Pairs what goes with what comes: each new name, in name order, takes the
 * first old name (in name order) with the same definition not taken yet, so
 * the same models always give the same renames.
 */
function pair<T>(from: Record<string, T>, to: Record<string, T>, same: (a: T, b: T) => boolean): Map<string, string> {
  const gone = Object.keys(from)
    .filter((name) => !(name in to))
    .sort();
  const renames = new Map<string, string>();
  for (const name of Object.keys(to).sort()) {
    if (name in from) continue;
    const old = gone.find((g) => !renames.has(g) && same(from[g], to[name]));
    if (old !== undefined) renames.set(old, name);
  }
  return renames;
}

export function sameConstraint(a: ConstraintModel, b: ConstraintModel): boolean {
  return a.kind === b.kind && a.definition === b.definition && a.deferrable === b.deferrable && a.initiallyDeferred === b.initiallyDeferred;
}

export function sameIndex(a: IndexModel, b: IndexModel): boolean {
  return a.definition === b.definition;
}

/** The renames on a table that is kept. An invalid index (a failed concurrent build) is never renamed: it goes. */
export function tableRenames(from: TableModel, to: TableModel): TableRenames {
  return {
    indexes: pair(from.indexes, to.indexes, (a, b) => !a.invalid && sameIndex(a, b)),
    constraints: pair(from.constraints, to.constraints, sameConstraint),
  };
}

/** The new names of a table's renamed objects: those the diff must not create. */
export function renamedTo(renames: TableRenames | undefined): Set<string> {
  return new Set(renames ? [...renames.indexes.values(), ...renames.constraints.values()] : []);
}
