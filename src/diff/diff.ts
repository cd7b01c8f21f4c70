/**
 * The diff: a pure function from the model a schema has to the model it
 * should have, giving ordered steps with their hazards. No I/O, no schema
 * names: the same steps serve every tenant in the same state.
 *
 * One differ per object kind (src/diff/objects/<kind>.ts) writes its kind's
 * steps, their hazards and the objects each depends on; this core works out
 * the facts they share (differ.ts DiffContext), runs them, and orders their
 * steps by a dependency sort (order.ts), phases (differ.ts PHASES) breaking
 * ties. A new kind is a file in objects/, a line in DIFFERS and one in
 * DRIFT_KINDS (what tm drift compares of it).
 */
import type { SchemaModel } from '../catalog/model.js';
import { enumPredicate, recreatedColumns } from './columnChange.js';
import { added, kept, removed, type DiffContext, type DiffOptions, type ObjectDiffer } from './differ.js';
import type { KindDrift } from './kindDrift.js';
import { columnDiffer, columnDrift } from './objects/column.js';
import { commentDiffer, commentDrift } from './objects/comment.js';
import { constraintDiffer, constraintDrift } from './objects/constraint.js';
import { enumDiffer, enumDrift, recreatedEnums } from './objects/enum.js';
import { indexDiffer, indexDrift } from './objects/index.js';
import { sequenceDiffer, sequenceDrift } from './objects/sequence.js';
import { tableDiffer, tableDrift } from './objects/table.js';
import { viewDiffer, viewDrift } from './objects/view.js';
import { orderSteps } from './order.js';
import { tableRenames } from './renames.js';
import type { Step } from './step.js';

export type { DiffOptions } from './differ.js';
export { indexesToBuild } from './objects/index.js';

/** Every object kind's differ. Their order is the last tie-break of the sort (after phase and each differ's own order). */
const DIFFERS: readonly ObjectDiffer[] = [sequenceDiffer, viewDiffer, constraintDiffer, indexDiffer, tableDiffer, enumDiffer, columnDiffer, commentDiffer];

/**
 * Every object kind's drift declaration (kindDrift.ts), in the order `tm drift`
 * reports them. Kinds inside tables are reported table by table (a table's
 * columns, constraints and indexes together) where the first of them stands.
 */
export const DRIFT_KINDS: readonly KindDrift[] = [tableDrift, columnDrift, constraintDrift, indexDrift, enumDrift, sequenceDrift, viewDrift, commentDrift];

function diffContext(from: SchemaModel, to: SchemaModel, options: DiffOptions): DiffContext {
  const isEnum = enumPredicate(from, to);
  const keptTables = kept(from.tables, to.tables);
  return {
    from,
    to,
    options,
    droppedTables: removed(from.tables, to.tables),
    newTables: added(from.tables, to.tables),
    keptTables,
    renames: new Map(keptTables.map((t) => [t, tableRenames(from.tables[t], to.tables[t])])),
    isEnum,
    recreatedColumns: recreatedColumns(from, to, isEnum),
    recreatedEnums: recreatedEnums(from, to),
  };
}

export function diffSchemas(from: SchemaModel, to: SchemaModel, options: DiffOptions = {}): Step[] {
  const context = diffContext(from, to, options);
  return orderSteps(DIFFERS.flatMap((differ) => differ.diff(context)));
}
