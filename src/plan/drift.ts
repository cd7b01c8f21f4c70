/**
 * Drift: per tenant schema, what differs between the database and the Prisma
 * folder, by object name: objects only in the database (extra), only in the
 * Prisma folder (missing), and in both but defined differently (changed).
 * Tables, columns, constraints, indexes, enums, sequences and views, from the
 * same catalog models and desired model the planner uses, each schema
 * compared with its target as tm plan plans it (src/diff/equivalence.ts: what
 * Prisma's engine sees no drift in is no drift here either).
 *
 * Drift is only reported. With `prune`, each schema also gets the statements
 * that would drop its extras (and nothing else), for review: they are not run.
 * `tm plan` plans the full convergence, extras included.
 */
import { ABSENT, fingerprint } from '../catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel, type TableModel } from '../catalog/model.js';
import { connect } from '../db/connect.js';
import { diffSchemas } from '../diff/diff.js';
import { tenantTarget } from '../diff/equivalence.js';
import type { Step } from '../diff/step.js';
import { MetadataStore } from '../meta/store.js';
import { introspectFleet, type FleetContext } from './planner.js';

export type DriftObjectKind = 'table' | 'column' | 'constraint' | 'index' | 'enum' | 'sequence' | 'view' | 'comment';

export interface DriftItem {
  kind: DriftObjectKind;
  /** The object's name (for columns, constraints and indexes: within `table`). */
  name: string;
  /** The table, for columns, constraints and indexes; null otherwise. */
  table: string | null;
  /** Changed objects: what differs, `field database-value → Prisma-value`; short descriptions of extras and missing columns. */
  detail: string | null;
}

export interface ModelDrift {
  /** In the database, not in the Prisma folder. */
  extra: DriftItem[];
  /** In the Prisma folder, not in the database. */
  missing: DriftItem[];
  /** In both, defined differently. */
  changed: DriftItem[];
}

export interface SchemaDrift extends ModelDrift {
  database: string;
  schema: string;
  /** False: listed in tenants.yaml but not created (everything is missing). */
  exists: boolean;
  fingerprint: string;
  /** The after-fingerprint of the last plan tm applied here, when tm ever did. */
  lastApplied: { planId: string; afterFingerprint: string } | null;
  /** The schema is no longer in the state tm last left it in: changed outside tm. */
  changedSinceLastApply: boolean;
  /** With prune: statements that drop the extras (not run). */
  prune?: Step[];
}

export interface DriftReport {
  checkedAt: string;
  prismaSchema: { folder: string; hash: string };
  databases: string[];
  schemas: SchemaDrift[];
}

export function hasDrift(d: ModelDrift): boolean {
  return d.extra.length + d.missing.length + d.changed.length > 0;
}

const names = <T>(record: Record<string, T>) => Object.keys(record).sort();

function item(kind: DriftObjectKind, name: string, table: string | null = null, detail: string | null = null): DriftItem {
  return { kind, name, table, detail };
}

/** `field a → b` for each field that differs, or null when none does. */
function fieldChanges(fields: [string, unknown, unknown][]): string | null {
  const show = (v: unknown) => (v === null || v === undefined ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));
  const parts = fields.filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b)).map(([field, a, b]) => `${field} ${show(a)} → ${show(b)}`);
  return parts.length ? parts.join('; ') : null;
}

function columnSummary(c: TableModel['columns'][string]): string {
  return `${c.type}${c.notNull ? ' NOT NULL' : ''}${c.default !== null ? ` DEFAULT ${c.default}` : ''}`;
}

function compareTable(table: string, a: TableModel, b: TableModel, out: ModelDrift): void {
  for (const name of names(a.columns)) if (!b.columns[name]) out.extra.push(item('column', name, table, columnSummary(a.columns[name])));
  for (const name of names(b.columns)) if (!a.columns[name]) out.missing.push(item('column', name, table, columnSummary(b.columns[name])));
  for (const name of names(a.columns)) {
    const x = a.columns[name];
    const y = b.columns[name];
    if (!y) continue;
    const detail = fieldChanges([
      ['type', x.type, y.type],
      ['nullability', x.notNull ? 'NOT NULL' : 'nullable', y.notNull ? 'NOT NULL' : 'nullable'],
      ['default', x.default, y.default],
      ['identity', x.identity, y.identity],
      ['generated', x.generated, y.generated],
      ['collation', x.collation, y.collation],
    ]);
    if (detail) out.changed.push(item('column', name, table, detail));
  }
  for (const name of names(a.constraints)) if (!b.constraints[name]) out.extra.push(item('constraint', name, table, a.constraints[name].definition));
  for (const name of names(b.constraints)) if (!a.constraints[name]) out.missing.push(item('constraint', name, table, b.constraints[name].definition));
  for (const name of names(a.constraints)) {
    const x = a.constraints[name];
    const y = b.constraints[name];
    if (!y) continue;
    const detail = fieldChanges([
      ['kind', x.kind, y.kind],
      ['definition', x.definition, y.definition],
      ['deferrable', x.deferrable, y.deferrable],
      ['initially deferred', x.initiallyDeferred, y.initiallyDeferred],
      ['validated', x.validated, y.validated],
    ]);
    if (detail) out.changed.push(item('constraint', name, table, detail));
  }
  for (const name of names(a.indexes)) if (!b.indexes[name]) out.extra.push(item('index', name, table, a.indexes[name].definition));
  for (const name of names(b.indexes)) if (!a.indexes[name]) out.missing.push(item('index', name, table, b.indexes[name].definition));
  for (const name of names(a.indexes)) {
    const x = a.indexes[name];
    const y = b.indexes[name];
    if (!y) continue;
    const detail = fieldChanges([['definition', x.definition, y.definition]]);
    if (detail) out.changed.push(item('index', name, table, detail));
  }
}

/** What differs between a schema as it is (`actual`) and as the Prisma folder describes it (`desired`), by name. */
export function compareModels(actual: SchemaModel, desired: SchemaModel): ModelDrift {
  const out: ModelDrift = { extra: [], missing: [], changed: [] };
  for (const t of names(actual.tables)) if (!desired.tables[t]) out.extra.push(item('table', t, null, `${Object.keys(actual.tables[t].columns).length} columns`));
  for (const t of names(desired.tables)) if (!actual.tables[t]) out.missing.push(item('table', t, null, `${Object.keys(desired.tables[t].columns).length} columns`));
  for (const t of names(actual.tables)) if (desired.tables[t]) compareTable(t, actual.tables[t], desired.tables[t], out);

  for (const e of names(actual.enums)) if (!desired.enums[e]) out.extra.push(item('enum', e, null, actual.enums[e].values.join(', ')));
  for (const e of names(desired.enums)) if (!actual.enums[e]) out.missing.push(item('enum', e, null, desired.enums[e].values.join(', ')));
  for (const e of names(actual.enums)) {
    if (!desired.enums[e]) continue;
    const a = actual.enums[e].values.join(', ');
    const b = desired.enums[e].values.join(', ');
    if (a !== b) out.changed.push(item('enum', e, null, `values ${a} → ${b}`));
  }

  for (const s of names(actual.sequences)) if (!desired.sequences[s]) out.extra.push(item('sequence', s));
  for (const s of names(desired.sequences)) if (!actual.sequences[s]) out.missing.push(item('sequence', s));
  for (const s of names(actual.sequences)) {
    const x = actual.sequences[s];
    const y = desired.sequences[s];
    if (!y) continue;
    const detail = fieldChanges([
      ['type', x.dataType, y.dataType],
      ['start', x.start, y.start],
      ['increment', x.increment, y.increment],
      ['min', x.min, y.min],
      ['max', x.max, y.max],
      ['cache', x.cache, y.cache],
      ['cycle', x.cycle, y.cycle],
      ['owned by', x.ownedBy ? `${x.ownedBy.table}.${x.ownedBy.column}` : null, y.ownedBy ? `${y.ownedBy.table}.${y.ownedBy.column}` : null],
    ]);
    if (detail) out.changed.push(item('sequence', s, null, detail));
  }

  for (const v of names(actual.views)) if (!desired.views[v]) out.extra.push(item('view', v, null, actual.views[v].materialized ? 'materialized' : null));
  for (const v of names(desired.views)) if (!actual.views[v]) out.missing.push(item('view', v, null, desired.views[v].materialized ? 'materialized' : null));
  for (const v of names(actual.views)) {
    const x = actual.views[v];
    const y = desired.views[v];
    if (!y) continue;
    const parts: string[] = [];
    if (x.materialized !== y.materialized) parts.push(`materialized ${x.materialized} → ${y.materialized}`);
    if (x.definition.trim() !== y.definition.trim()) parts.push('definition differs');
    if (parts.length) out.changed.push(item('view', v, null, parts.join('; ')));
  }

  // Comments: named by what they are on (a table, or a column of `table`).
  const a = actual.comments ?? {};
  const b = desired.comments ?? {};
  const comment = (c: NonNullable<SchemaModel['comments']>[string], detail: string) =>
    item('comment', c.on.kind === 'table' ? c.on.table : c.on.column, c.on.kind === 'table' ? null : c.on.table, detail);
  for (const k of names(a)) if (!b[k]) out.extra.push(comment(a[k], JSON.stringify(a[k].text)));
  for (const k of names(b)) if (!a[k]) out.missing.push(comment(b[k], JSON.stringify(b[k].text)));
  for (const k of names(a)) if (b[k] && a[k].text !== b[k].text) out.changed.push(comment(a[k], `text ${JSON.stringify(a[k].text)} → ${JSON.stringify(b[k].text)}`));
  return out;
}

/** The schema with its extras removed: what `prune` would leave. */
export function withoutExtras(actual: SchemaModel, drift: ModelDrift): SchemaModel {
  const model: SchemaModel = JSON.parse(JSON.stringify(actual));
  for (const x of drift.extra) {
    if (x.kind === 'table') delete model.tables[x.name];
    else if (x.kind === 'enum') delete model.enums[x.name];
    else if (x.kind === 'sequence') delete model.sequences[x.name];
    else if (x.kind === 'view') delete model.views[x.name];
    else if (x.kind === 'comment') {
      for (const [key, c] of Object.entries(model.comments ?? {})) {
        if (c.on.table === (x.table ?? x.name) && (c.on.kind === 'table' ? x.table === null : c.on.column === x.name)) delete model.comments![key];
      }
      if (model.comments && Object.keys(model.comments).length === 0) delete model.comments;
    }
    else {
      const table = model.tables[x.table!];
      if (!table) continue;
      if (x.kind === 'column') delete table.columns[x.name];
      else if (x.kind === 'constraint') delete table.constraints[x.name];
      else delete table.indexes[x.name];
    }
  }
  // Constraints and indexes on a dropped column go with it.
  for (const table of Object.values(model.tables)) {
    for (const [name, c] of Object.entries(table.constraints)) if (c.columns.some((col) => !table.columns[col])) delete table.constraints[name];
    for (const [name, i] of Object.entries(table.indexes)) if (i.columns.some((col) => !table.columns[col])) delete table.indexes[name];
  }
  return model;
}

/** Statements that drop the extras of a schema, and nothing else. */
export function pruneSteps(actual: SchemaModel, drift: ModelDrift): Step[] {
  return drift.extra.length ? diffSchemas(actual, withoutExtras(actual, drift)) : [];
}

/** The last plan tm applied to each schema of a database (empty when tm never applied here). */
async function lastApplied(context: FleetContext, target: Parameters<typeof connect>[0]): Promise<Map<string, { planId: string; afterFingerprint: string }>> {
  const client = await connect(target, 'drift');
  try {
    return await new MetadataStore(client, context.config.metadataSchema).history.lastApplied();
  } finally {
    await client.end();
  }
}

export async function detectDrift(context: FleetContext, options: { schemas: string[]; databases: string[]; prune: boolean }): Promise<DriftReport> {
  const fleet = await introspectFleet(context, options);
  const schema = await context.schema;
  const histories = await Promise.all(fleet.map((db) => lastApplied(context, db.target)));
  const out: SchemaDrift[] = [];
  // Tenants in the same state are compared once: 10,000 identical schemas cost one comparison.
  const memo = new Map<string, { drift: ModelDrift; prune?: Step[] }>();
  fleet.forEach((db, i) => {
    const desiredFp = fingerprint(db.desired);
    for (const name of db.schemas) {
      const model = db.models.get(name);
      const fp = model ? fingerprint(model) : ABSENT;
      const key = `${fp}→${desiredFp}`;
      let result = memo.get(key);
      if (!result) {
        // Against what tm plan would make of it: what Prisma sees no drift in is no drift (src/diff/equivalence.ts).
        const drift = model ? compareModels(model, tenantTarget(model, db.desired, { ownsComments: db.ownsComments })) : compareModels(emptySchemaModel(), db.desired);
        result = { drift, prune: options.prune && model ? pruneSteps(model, drift) : options.prune ? [] : undefined };
        memo.set(key, result);
      }
      const last = histories[i].get(name) ?? null;
      out.push({
        database: db.target.config.name,
        schema: name,
        exists: model !== undefined,
        fingerprint: fp,
        lastApplied: last,
        changedSinceLastApply: last !== null && last.afterFingerprint !== fp,
        ...result.drift,
        ...(result.prune ? { prune: result.prune } : {}),
      });
    }
  });
  out.sort((a, b) => a.database.localeCompare(b.database) || a.schema.localeCompare(b.schema));
  return {
    checkedAt: new Date().toISOString(),
    prismaSchema: { folder: schema.folder, hash: schema.hash },
    databases: fleet.map((d) => d.target.config.name),
    schemas: out,
  };
}
