/**
 * Comments on tables and columns (COMMENT ON … IS '…'): set when the text is
 * new or changes, and again on a table or column this plan creates (a column
 * dropped and added again loses its comment); removed (IS NULL) when the
 * comment goes but its object stays: one whose object goes goes with it.
 * Last, once every commented object exists. No hazards: a comment is no data.
 */
import type { CommentModel, SchemaModel } from '../../catalog/model.js';
import { ref, type ObjectRef } from '../../catalog/objectRef.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { keys, planned, type DiffContext, type ObjectDiffer, type PlannedStep } from '../differ.js';
import type { SchemaKindDrift } from '../kindDrift.js';
import { makeStep as step } from '../step.js';

const q = quoteIdent;

function commented(on: CommentModel['on']): string {
  return on.kind === 'table' ? `TABLE ${q(on.table)}` : `COLUMN ${q(on.table)}.${q(on.column)}`;
}

function exists(model: SchemaModel, on: CommentModel['on']): boolean {
  const table = model.tables[on.table];
  return table !== undefined && (on.kind === 'table' || on.column in table.columns);
}

/** Made by this plan: a new table or column, or a column dropped and added again. */
function createdByPlan({ from, recreatedColumns }: DiffContext, on: CommentModel['on']): boolean {
  return !exists(from, on) || (on.kind === 'column' && (recreatedColumns.get(on.table)?.has(on.column) ?? false));
}

function dependencies(on: CommentModel['on']): ObjectRef[] {
  return on.kind === 'table' ? [ref.table(on.table)] : [ref.table(on.table), ref.column(on.table, on.column)];
}

export const commentDiffer: ObjectDiffer = {
  kind: 'comment',
  diff(context) {
    const a = context.from.comments ?? {};
    const b = context.to.comments ?? {};
    const out: PlannedStep[] = [];
    for (const label of keys({ ...a, ...b })) {
      const current = a[label];
      const target = b[label];
      if (target) {
        const created = createdByPlan(context, target.on);
        if (current && current.text === target.text && !created) continue;
        const sql = `COMMENT ON ${commented(target.on)} IS ${quoteLiteral(target.text)}`;
        out.push(planned('comments', step(current && !created ? 'alter' : 'create', ref.comment(target.on), sql), [label], dependencies(target.on)));
      } else if (exists(context.to, current.on) && !createdByPlan(context, current.on)) {
        out.push(planned('comments', step('drop', ref.comment(current.on), `COMMENT ON ${commented(current.on)} IS NULL`), [label], dependencies(current.on)));
      }
    }
    return out;
  },
};

/** Drift: a comment by its text, named by what it is on. */
export const commentDrift: SchemaKindDrift<CommentModel> = {
  kind: 'comment',
  scope: 'schema',
  objects: (model) => model.comments ?? {},
  target: (_label, c) => ref.comment(c.on),
  summary: (c) => JSON.stringify(c.text),
  changes: (x, y) => (x.text !== y.text ? `text ${JSON.stringify(x.text)} → ${JSON.stringify(y.text)}` : null),
};
