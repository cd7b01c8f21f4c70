/**
 * Views and materialized views: dropped first and created last, so the
 * tables and columns they read are in their new shape; recreated whenever
 * their definition changes, and so is every view that selects from one that
 * is recreated or dropped (PostgreSQL refuses to drop a view another one
 * reads).
 *
 * A view depends on the tables and views it names. The catalog model does
 * not record that (its canonical JSON is the tenants' fingerprints): it is
 * read here from the definition, every name in it (not after `.` or AS) that is
 * another relation of the model. A false match (an unqualified column named
 * like a view) only adds an ordering edge, or recreates a view that did not
 * need it.
 */
import type { SchemaModel, ViewModel } from '../../catalog/model.js';
import { ref, type ObjectRef } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { tokenize } from '../../sql/tokens.js';
import { keys, planned, type ObjectDiffer, type PlannedStep } from '../differ.js';
import type { SchemaKindDrift } from '../kindDrift.js';
import { makeStep as step } from '../step.js';

const q = quoteIdent;

/** The tables and other views of `model` the view's definition names. */
export function viewDependencies(model: SchemaModel, name: string): ObjectRef[] {
  const named = new Set<string>();
  const tokens = tokenize(model.views[name].definition);
  tokens.forEach((token, i) => {
    // `x.name` is a column (or another schema's relation), `AS name` an alias: neither one of the model's relations.
    const before = tokens[i - 1];
    const qualifiedOrAlias = (before?.kind === 'punct' && before.value === '.') || (before?.kind === 'word' && before.value === 'as');
    if ((token.kind === 'word' || token.kind === 'ident') && !qualifiedOrAlias) named.add(token.value);
  });
  const out: ObjectRef[] = [];
  for (const view of keys(model.views)) if (view !== name && named.has(view)) out.push(ref.view(view, model.views[view].materialized));
  for (const table of keys(model.tables)) if (named.has(table)) out.push(ref.table(table));
  return out;
}

function sameView(a: ViewModel, b: ViewModel | undefined): boolean {
  return b !== undefined && a.definition === b.definition && a.materialized === b.materialized;
}

/** Views of `from` that are dropped: those that go or change, and every kept view reading one of them. */
function droppedViews(from: SchemaModel, to: SchemaModel): Set<string> {
  const dropped = new Set(keys(from.views).filter((name) => !sameView(from.views[name], to.views[name])));
  const viewsRead = new Map(keys(from.views).map((name) => [name, viewDependencies(from, name).flatMap((d) => (d.kind === 'view' ? [d.name] : []))]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, reads] of viewsRead) {
      if (dropped.has(name) || !reads.some((r) => dropped.has(r))) continue;
      dropped.add(name);
      grew = true;
    }
  }
  return dropped;
}

function kindOf(view: ViewModel): string {
  return view.materialized ? 'MATERIALIZED VIEW' : 'VIEW';
}

export const viewDiffer: ObjectDiffer = {
  kind: 'view',
  diff({ from, to }) {
    const out: PlannedStep[] = [];
    const dropped = droppedViews(from, to);
    for (const name of keys(from.views)) {
      if (!dropped.has(name)) continue;
      const view = from.views[name];
      out.push(planned('drop views', step('drop', ref.view(name, view.materialized), `DROP ${kindOf(view)} ${q(name)}`), [name], viewDependencies(from, name)));
    }
    for (const name of keys(to.views)) {
      if (from.views[name] && !dropped.has(name)) continue;
      const view = to.views[name];
      const sql = `CREATE ${kindOf(view)} ${q(name)} AS ${view.definition.trim().replace(/;$/, '')}`;
      out.push(planned('create views', step('create', ref.view(name, view.materialized), sql), [name], viewDependencies(to, name)));
    }
    return out;
  },
};

/** Drift: a view by whether it is materialized and its definition (told apart, not printed: it is long). */
export const viewDrift: SchemaKindDrift<ViewModel> = {
  kind: 'view',
  scope: 'schema',
  objects: (model) => model.views,
  target: (name, v) => ref.view(name, v.materialized),
  // Drift has always said `view`, with `materialized` in the detail (a plan step says `materialized view`).
  label: (name) => `view ${q(name)}`,
  summary: (v) => (v.materialized ? 'materialized' : null),
  changes(x, y) {
    const parts: string[] = [];
    if (x.materialized !== y.materialized) parts.push(`materialized ${x.materialized} → ${y.materialized}`);
    if (x.definition.trim() !== y.definition.trim()) parts.push('definition differs');
    return parts.length ? parts.join('; ') : null;
  },
};
