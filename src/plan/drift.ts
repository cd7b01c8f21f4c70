/**
 * Drift: per tenant schema, what differs between the database and the Prisma
 * folder, by object name: objects only in the database (extra), only in the
 * Prisma folder (missing), and in both but defined differently (changed).
 * Each object kind declares how its objects compare beside its differ
 * (src/diff/kindDrift.ts, registered in diff.ts's DRIFT_KINDS); this module
 * runs them on the same catalog models and desired model the planner uses,
 * each schema compared with its target as tm plan plans it
 * (src/diff/equivalence.ts: what Prisma's engine sees no drift in is no drift
 * here either).
 *
 * Drift is only reported. With `prune`, each schema also gets the statements
 * that would drop its extras (and nothing else), for review: they are not run.
 * `tm plan` plans the full convergence, extras included.
 */
import { ABSENT, fingerprint } from '../catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel } from '../catalog/model.js';
import { objectLabel, type ObjectRef } from '../catalog/objectRef.js';
import { connect } from '../db/connect.js';
import { diffSchemas, DRIFT_KINDS } from '../diff/diff.js';
import { tenantTarget } from '../diff/equivalence.js';
import type { KindDrift, SchemaKindDrift, TableKindDrift } from '../diff/kindDrift.js';
import type { Step } from '../diff/step.js';
import { MetadataStore } from '../meta/store.js';
import { introspectFleet, type FleetContext } from './planner.js';

export interface DriftItem {
  /** The object: a table, a column of a table, a comment on a column… */
  target: ObjectRef;
  /** The object for people: `column "User"."email"` (objectLabel of the target, unless its kind's drift names it otherwise). */
  object: string;
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

/** How a drift item names its object: the ObjectRef, and the label people read. */
type Describe = (name: string, object: unknown) => Pick<DriftItem, 'target' | 'object'>;

/** One kind's objects compared by name: the database's (`actual`) against the Prisma folder's (`desired`). */
function compareObjects(kind: KindDrift, actual: Record<string, unknown>, desired: Record<string, unknown>, describe: Describe, out: ModelDrift): void {
  for (const name of names(actual)) if (!desired[name]) out.extra.push({ ...describe(name, actual[name]), detail: kind.summary(actual[name]) });
  for (const name of names(desired)) if (!actual[name]) out.missing.push({ ...describe(name, desired[name]), detail: kind.summary(desired[name]) });
  for (const name of names(actual)) {
    if (!desired[name]) continue;
    const detail = kind.changes(actual[name], desired[name]);
    if (detail) out.changed.push({ ...describe(name, actual[name]), detail });
  }
}

function schemaObject(kind: SchemaKindDrift<unknown>): Describe {
  return (name, object) => {
    const target = kind.target(name, object);
    return { target, object: kind.label?.(name, object) ?? objectLabel(target) };
  };
}

function tableObject(kind: TableKindDrift<unknown>, table: string): Describe {
  return (name, object) => {
    const target = kind.target(table, name, object);
    return { target, object: kind.label?.(table, name, object) ?? objectLabel(target) };
  };
}

const insideTables = (kind: KindDrift): kind is TableKindDrift<unknown> => kind.scope === 'table';

/** What differs between a schema as it is (`actual`) and as the Prisma folder describes it (`desired`), kind by kind (diff.ts DRIFT_KINDS), by name. */
export function compareModels(actual: SchemaModel, desired: SchemaModel): ModelDrift {
  const out: ModelDrift = { extra: [], missing: [], changed: [] };
  const tableKinds = DRIFT_KINDS.filter(insideTables);
  for (const kind of DRIFT_KINDS) {
    if (kind.scope === 'schema') {
      compareObjects(kind, kind.objects(actual), kind.objects(desired), schemaObject(kind), out);
    } else if (kind === tableKinds[0]) {
      // Table by table, in tables both models have: a table's columns, constraints and indexes together.
      for (const table of names(actual.tables)) {
        if (!desired.tables[table]) continue;
        for (const k of tableKinds) compareObjects(k, k.objects(actual.tables[table]), k.objects(desired.tables[table]), tableObject(k, table), out);
      }
    }
  }
  return out;
}

/** Every object of a model by its target (as JSON), with the record holding it: where prune removes it from. */
function objectsByTarget(model: SchemaModel): Map<string, { record: Record<string, unknown>; name: string }> {
  const out = new Map<string, { record: Record<string, unknown>; name: string }>();
  const add = (record: Record<string, unknown>, target: (name: string, object: unknown) => ObjectRef) => {
    for (const [name, object] of Object.entries(record)) out.set(JSON.stringify(target(name, object)), { record, name });
  };
  for (const kind of DRIFT_KINDS) {
    if (kind.scope === 'schema') add(kind.objects(model), kind.target);
    else for (const [table, t] of Object.entries(model.tables)) add(kind.objects(t), (name, o) => kind.target(table, name, o));
  }
  return out;
}

/** The schema with its extras removed: what `prune` would leave. */
export function withoutExtras(actual: SchemaModel, drift: ModelDrift): SchemaModel {
  const model: SchemaModel = JSON.parse(JSON.stringify(actual));
  const objects = objectsByTarget(model);
  for (const x of drift.extra) {
    const found = objects.get(JSON.stringify(x.target));
    if (found) delete found.record[found.name];
  }
  // What stands on a removed object goes with it: constraints and indexes on a dropped column.
  for (const kind of DRIFT_KINDS.filter(insideTables)) {
    if (!kind.orphaned) continue;
    for (const table of Object.values(model.tables)) {
      const record = kind.objects(table);
      for (const [name, object] of Object.entries(record)) if (kind.orphaned(table, object)) delete record[name];
    }
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
