/**
 * Where in tenants.yaml a problem is, and how to say it: ajv's errors as
 * sentences in tm's words with the field named as a YAML path, the offset in
 * the file each points at, and duplicate keys (which YAML parsers accept).
 */
import type { ErrorObject } from 'ajv';
import { isMap, isPair, isScalar, isSeq, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';

const SCHEMA_NAME_RULE = 'use lowercase letters, digits, _ and $, starting with a letter or _, at most 63 characters';

/** One ajv error as a sentence, in tm's words; the field is named as a YAML path. */
export function describe(error: ErrorObject): { message: string; hint?: string } {
  const segments = pointerSegments(error.instancePath);
  const field = fieldName(segments);
  const last = segments[segments.length - 1];
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      if (error.instancePath === '/databases') {
        return { message: `"${key}" is not a database name tm accepts: use letters, digits, _ and -, starting with a letter or _` };
      }
      if (last === 'labels') {
        return { message: `"${key}" is not a label name tm accepts: use letters, digits, _, . and -, starting with a letter or _` };
      }
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      return { message: `unknown key "${key}"${field ? ` in ${field}` : ''} (allowed: ${allowed.join(', ')})` };
    }
    case 'required':
      return { message: `${field || 'the file'} needs "${String(error.params.missingProperty)}"` };
    case 'type': {
      if (error.schemaPath.endsWith('/else/type')) return { message: `${field} must be a schema name or a mapping { schema, labels }` };
      const expected = { object: 'a mapping (key: value)', array: 'a list', string: 'a string' }[String(error.params.type)] ?? `a ${String(error.params.type).replace(/,/g, ' or ')}`;
      return { message: `${field || 'the file'} must be ${expected}` };
    }
    case 'enum':
      return { message: `${field} "${String(error.data)}" is not one of ${((error.params.allowedValues as unknown[]) ?? []).join(', ')}` };
    case 'minProperties':
      return { message: `${field} must list at least one database` };
    case 'pattern':
      if (last === 'url') {
        // Never echo the value: it may be a connection string with a password.
        return {
          message: `${field} must be env(NAME): use url: env(NAME) and put the connection string in the environment or .env`,
          hint: 'tm never reads connection strings from tenants.yaml, so that they stay out of the repository.',
        };
      }
      if (segments.includes('discover')) {
        return { message: `${field} "${String(error.data)}" is not a discover pattern tm accepts: lowercase letters, digits, _, $ and the wildcards * and ?` };
      }
      return { message: `${field} "${String(error.data)}" is not a schema name tm accepts: ${SCHEMA_NAME_RULE}` };
    default:
      return { message: `${field} ${error.message ?? 'is invalid'}` };
  }
}

/** `/databases/main/tenants/1` → ['databases', 'main', 'tenants', 1]. */
function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** ['databases', 'main', 'tenants', 1] → `databases.main.tenants[1]`. */
function fieldName(segments: Array<string | number>): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Where in the file an ajv error points: an unknown key at the key itself, anything else at the value. */
export function offsetOf(doc: Document, error: ErrorObject): number {
  const segments = pointerSegments(error.instancePath);
  if (error.keyword === 'additionalProperties') {
    const key = String(error.params.additionalProperty);
    const container = nodeAt(doc, segments).node;
    const pair = isMap(container) ? pairByKey(container, key) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return pair.key.range[0];
  }
  if (error.keyword === 'required') return nodeAt(doc, segments).keyOffset;
  return nodeAt(doc, segments).offset;
}

/**
 * The YAML node at a path, with the offset to report: the value's start, or
 * its key's when the value is empty (`tenants:` with nothing after it).
 * `keyOffset` is the start of the key that holds the node (the node itself at
 * the top level), where "this mapping lacks a key" is best shown.
 */
export function nodeAt(doc: Document, segments: Array<string | number>): { node: unknown; offset: number; keyOffset: number } {
  let node: unknown = doc.contents;
  let keyOffset = rangeStart(node) ?? 0;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = pairByKey(node, String(segment));
      if (!pair) break;
      keyOffset = rangeStart(pair.key) ?? keyOffset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      keyOffset = rangeStart(node) ?? keyOffset;
    } else {
      break;
    }
  }
  return { node, offset: rangeStart(node) ?? keyOffset, keyOffset };
}

/** The first key repeated in a mapping, as the yaml library reports one (`Map keys must be unique`), found in linear time. */
export function duplicateKey(doc: Document): { pos: [number, number]; message: string } | undefined {
  let found: { pos: [number, number]; message: string } | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const item of map.items) {
        const key = isScalar(item.key) ? item.key.value : item.key;
        if (seen.has(key)) {
          const start = rangeStart(item.key) ?? 0;
          found = { pos: [start, start + 1], message: 'Map keys must be unique' };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

/**
 * A mapping's pair by key, through an index built once per mapping: a file
 * with 300,000 unknown keys has as many errors to place, and a linear search
 * for each took minutes.
 */
const pairIndexes = new WeakMap<object, Map<string, Pair>>();
function pairByKey(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) if (isPair(item) && isScalar(item.key) && !index.has(String(item.key.value))) index.set(String(item.key.value), item);
    pairIndexes.set(map, index);
  }
  return index.get(key);
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

