/**
 * What every object kind's differ (src/diff/objects/<kind>.ts) shares: the
 * facts of one diff worked out once (which tables stay, which columns are
 * dropped and added again, which enums are rebuilt…), the phases steps fall
 * in, and the step a differ gives the core: its statement, its phase, its
 * place among the phase's steps, and the objects it depends on.
 *
 * The core (diff.ts) orders all steps by a dependency sort (order.ts); the
 * phases are its tie-break and stay the order tm has always written (close to
 * Prisma's own migrations):
 */
import type { SchemaModel } from '../catalog/model.js';
import type { ObjectRef } from '../catalog/objectRef.js';
import type { Hazard, HazardType, Step } from './step.js';
import type { TableRenames } from './renames.js';

export const PHASES = [
  /** Kept sequences released from owners that go (dropping the owner would drop them). */
  'release sequences',
  'drop views',
  /** Foreign keys that go or change (and those between dropped tables). */
  'drop foreign keys',
  'drop constraints and indexes',
  'drop tables',
  /** Same definition, new name (renames.ts): after the drops, before the creates. */
  'renames',
  'enums',
  'sequences',
  /** With their primary key, unique, check and exclusion constraints inline. */
  'create tables',
  'columns',
  'add constraints and indexes',
  'sequence ownership',
  'add foreign keys',
  'drop sequences and enums',
  'create views',
  'comments',
] as const;

export type Phase = (typeof PHASES)[number];

/** A step as a differ gives it to the core. */
export interface PlannedStep {
  step: Step;
  phase: Phase;
  /** Its place among the phase's steps (compared element by element), before the order the differs gave them in. */
  order: (string | number)[];
  /**
   * Objects the step's object depends on: for a create or alter, in the model
   * the schema should have (they are created before it); for a drop, in the
   * model it has (they are dropped after it).
   */
  dependsOn: ObjectRef[];
}

export interface DiffOptions {
  /**
   * Build indexes on existing tables with CREATE INDEX CONCURRENTLY: writes go
   * on during the build, but the statement cannot run in a transaction block,
   * so the applier runs it after the tenant's transaction commits.
   */
  concurrentIndexes?: boolean;
}

/** One diff's facts, shared by the differs. */
export interface DiffContext {
  from: SchemaModel;
  to: SchemaModel;
  options: DiffOptions;
  droppedTables: string[];
  newTables: string[];
  keptTables: string[];
  /** Renamed indexes and constraints of each kept table. */
  renames: Map<string, TableRenames>;
  /** Is a printed type one of the schemas' enums? */
  isEnum: (type: string) => boolean;
  /** Columns dropped and added again, by table (columnChange.ts). */
  recreatedColumns: Map<string, Set<string>>;
  /** Enums built again under their name (values go or move). */
  recreatedEnums: Set<string>;
}

/** One object kind's differ: the steps that take `from`'s objects of its kind to `to`'s. */
export interface ObjectDiffer {
  kind: string;
  diff(context: DiffContext): PlannedStep[];
}

export function planned(phase: Phase, step: Step, order: (string | number)[] = [], dependsOn: ObjectRef[] = []): PlannedStep {
  return { step, phase, order, dependsOn };
}

export function hazard(type: HazardType, message: string): Hazard {
  return { type, message };
}

export function keys<T>(record: Record<string, T>): string[] {
  return Object.keys(record).sort();
}

export function added<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(to).filter((k) => !(k in from));
}

export function removed<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(from).filter((k) => !(k in to));
}

export function kept<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return keys(from).filter((k) => k in to);
}
