/**
 * A schema's fingerprint: sha256 of its model as canonical JSON (object keys
 * sorted at every level), so equal models give equal fingerprints whatever
 * order the catalog returned things in.
 */
import { createHash } from 'node:crypto';
import type { SchemaModel } from './model.js';

export function canonicalJson(value: unknown): string {
  // Plain loops and string concatenation: this runs over every tenant's model on each plan.
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const item = (value as Record<string, unknown>)[keys[i]];
    if (item === undefined) continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(keys[i]) + ':' + canonicalJson(item);
  }
  return out + '}';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Models are read-only once built, so a model's fingerprint is computed once (tenants in the same state share a model). */
const computed = new WeakMap<SchemaModel, string>();

export function fingerprint(model: SchemaModel): string {
  let fp = computed.get(model);
  if (fp === undefined) {
    fp = sha256(canonicalJson(model));
    computed.set(model, fp);
  }
  return fp;
}

/** The fingerprint recorded for a schema that does not exist. */
export const ABSENT = 'absent';

/** Short form for people: the first 12 hex digits. */
export function shortFingerprint(fp: string): string {
  return fp === ABSENT ? ABSENT : fp.slice(0, 12);
}
