/**
 * A schema's fingerprint: sha256 of its model as canonical JSON (object keys
 * sorted at every level), so equal models give equal fingerprints whatever
 * order the catalog returned things in.
 */
import { createHash } from 'node:crypto';
import type { SchemaModel } from './model.js';

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as any)[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function fingerprint(model: SchemaModel): string {
  return sha256(canonicalJson(model));
}

/** The fingerprint recorded for a schema that does not exist. */
export const ABSENT = 'absent';

/** Short form for people: the first 12 hex digits. */
export function shortFingerprint(fp: string): string {
  return fp === ABSENT ? ABSENT : fp.slice(0, 12);
}
