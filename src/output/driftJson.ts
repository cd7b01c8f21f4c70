/**
 * `tm drift --json`: a documented, versioned shape (schemas/drift-json-output.schema.json),
 * versioned like `tm show --format json`: `format_version` "MAJOR.MINOR",
 * minor versions only add fields. Every schema is listed, in sync or not.
 */
import type { DriftItem, DriftReport } from '../plan/drift.js';
import { hasDrift } from '../plan/drift.js';
import { TM_VERSION } from '../version.js';
import { driftTotals } from './driftText.js';

export const DRIFT_JSON_FORMAT_VERSION = '1.0';

/**
 * An item as format 1.0 has it, from its target whatever its kind: `name` is
 * the object's own, `table` the table it is in (null for an object that is not
 * in one, a table included). A comment is named by what it is on.
 */
export function driftItemToJson({ target, detail }: DriftItem) {
  const named = 'on' in target ? target.on : target;
  const name = 'name' in named ? named.name : 'column' in named && named.column !== null ? named.column : named.table;
  const table = named.kind !== 'table' && 'table' in named ? named.table : null;
  return { kind: target.kind, name, table, detail };
}

export function driftToJson(report: DriftReport) {
  const t = driftTotals(report);
  return {
    format_version: DRIFT_JSON_FORMAT_VERSION,
    tm_version: TM_VERSION,
    checked_at: report.checkedAt,
    prisma_schema: { folder: report.prismaSchema.folder, hash: report.prismaSchema.hash },
    databases: [...report.databases],
    summary: {
      schemas: t.schemas,
      drifted: t.drifted,
      in_sync: t.inSync,
      not_created: t.notCreated,
      extra: t.extra,
      missing: t.missing,
      changed: t.changed,
      changed_since_last_apply: t.changedSinceLastApply,
    },
    schemas: report.schemas.map((s) => ({
      database: s.database,
      schema: s.schema,
      exists: s.exists,
      in_sync: s.exists && !hasDrift(s),
      fingerprint: s.fingerprint,
      last_applied: s.lastApplied ? { plan_id: s.lastApplied.planId, after_fingerprint: s.lastApplied.afterFingerprint } : null,
      changed_since_last_apply: s.changedSinceLastApply,
      extra: s.extra.map(driftItemToJson),
      missing: s.missing.map(driftItemToJson),
      changed: s.changed.map(driftItemToJson),
      ...(s.prune
        ? { prune: s.prune.map((p) => ({ action: p.action, object: p.object, sql: p.sql, transactional: p.transactional, hazards: p.hazards.map((h) => ({ type: h.type, message: h.message })) })) }
        : {}),
    })),
  };
}

export type DriftJson = ReturnType<typeof driftToJson>;
