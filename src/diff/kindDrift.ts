/**
 * What each object kind declares for `tm drift` (beside its differ, in
 * src/diff/objects/<kind>.ts): where its objects are in a model, the
 * ObjectRef of one, how it is described when it is extra or missing, and what
 * differs when it is in both. The drift core (src/plan/drift.ts) compares the
 * kinds registered in diff.ts's DRIFT_KINDS by name, and removes extras for
 * `--prune` through the same declarations.
 *
 * Drift is by name, not a plan: an object whose definition differs is
 * "changed", where the differ may drop and create it.
 */
import type { SchemaModel, TableModel } from '../catalog/model.js';
import type { ObjectKind, ObjectRef } from '../catalog/objectRef.js';

interface KindDriftBase<M> {
  kind: ObjectKind;
  /** Extra and missing objects: a short description (a column's type, a constraint's definition), or null. */
  summary(object: M): string | null;
  /** An object in both: what differs, `field database-value → Prisma-value` joined by `; `, or null when nothing does. */
  changes(actual: M, desired: M): string | null;
}

/** A kind whose objects are the schema's (tables, enums, views, comments…). */
export interface SchemaKindDrift<M> extends KindDriftBase<M> {
  scope: 'schema';
  /** The kind's objects in a model, by name (the record itself, so prune can remove from it). */
  objects(model: SchemaModel): Record<string, M>;
  /** The object the drift item is about; for an object in both, made from the database's. */
  target(name: string, object: M): ObjectRef;
  /** How drift names it for people, where that is not as a plan step does (the default: objectLabel of its target). */
  label?(name: string, object: M): string;
}

/**
 * A kind whose objects belong to a table (columns, constraints, indexes…):
 * compared within each table in both models (a missing or extra table's are
 * the table's), table by table.
 */
export interface TableKindDrift<M> extends KindDriftBase<M> {
  scope: 'table';
  objects(table: TableModel): Record<string, M>;
  target(table: string, name: string, object: M): ObjectRef;
  label?(table: string, name: string, object: M): string;
  /** Prune: does the object stand on something the extras took with them (a dropped column)? Then it goes too. */
  orphaned?(table: TableModel, object: M): boolean;
}

/**
 * One kind's drift declaration. Method syntax on purpose: a registry of
 * kinds of different model types is a `KindDrift[]` (parameters bivariant).
 */
export type KindDrift<M = unknown> = SchemaKindDrift<M> | TableKindDrift<M>;

/** How drift prints a value: none for null, strings as they are, anything else as JSON. */
function show(value: unknown): string {
  return value === null || value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value);
}

/** `field a → b` for each field that differs, joined by `; `, or null when none does. */
export function fieldChanges(fields: [field: string, actual: unknown, desired: unknown][]): string | null {
  const parts = fields.filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b)).map(([field, a, b]) => `${field} ${show(a)} → ${show(b)}`);
  return parts.length ? parts.join('; ') : null;
}
