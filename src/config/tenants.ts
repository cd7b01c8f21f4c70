/**
 * tenants.yaml: the databases tm manages and their tenant schemas.
 *
 * Checked in three passes, each error naming `tenants.yaml:<line>:<col>`:
 * YAML syntax (the `yaml` library with a LineCounter), shape (the JSON Schema
 * in schemas/tenants.schema.json, which editors can use too; unknown keys are
 * errors so that a typo such as `tenant:` is not silently ignored), then what
 * a JSON Schema cannot say (duplicates, reserved names).
 *
 * Connection strings never live in this file: `url: env(NAME)` names the
 * environment variable that holds one. Error messages never print a URL's
 * value, so a password pasted here by mistake does not end up in CI logs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { schemaValidator } from './jsonSchema.js';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { HazardType } from '../hazards.js';
import { TmError } from '../errors.js';
import type { Environment } from './env.js';
import { maskEmbeddedUrls } from './mask.js';
import { embeddedAllowed, embeddedUrl, PROJECT_DIR } from '../db/embedded.js';
import { backupSchemaName } from '../apply/backup.js';

export interface TenantEntry {
  schema: string;
  /** Label values as strings (`wave: 1` in YAML gives "1"). */
  labels: Record<string, string>;
}

export interface DatabaseConfig {
  /** The key under `databases:`, as plans and output name the database. */
  name: string;
  /** NAME of `url: env(NAME)`. */
  urlEnv: string;
  /** Listed tenants, in file order. */
  tenants: TenantEntry[];
  /** Glob patterns (* and ?) to match against the database's schemas; see globToRegExp. */
  discover: string[];
  /**
   * Where the database's extensions (citext, pg_trgm, …) live, once for all
   * its tenants: the schema tm creates a missing one in, unless the
   * datasource names another (`citext(schema: "…")`). Default public.
   */
  extensionSchema: string;
}

export interface TenantsConfig {
  /** Absolute path of the file read. */
  path: string;
  metadataSchema: string;
  /** In file order. */
  databases: DatabaseConfig[];
  policy: {
    /** Hazard types tm apply accepts without --allow-hazards (see src/plan/policy.ts); empty when not set. */
    allowHazards: HazardType[];
  };
  /**
   * Rollout order: values of the tenants' `wave` label, first to last. Tenants
   * with another or no `wave` label (discovered ones too) come last. Empty: one wave.
   */
  waves: string[];
}

export const DEFAULT_METADATA_SCHEMA = 'tm';
export const DEFAULT_EXTENSION_SCHEMA = 'public';

/**
 * Schema names tm accepts: lowercase ASCII, digits, _ and $, starting with a
 * letter or _, at most 63 bytes (PostgreSQL's identifier limit). Lowercase
 * only, because PostgreSQL folds unquoted names to lowercase: such a name
 * means the same quoted or not, in tm's SQL and in a user's psql session.
 * Anything else (`tenant-1; DROP …`) is refused before it gets near SQL.
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

const SCHEMA_NAME_RULE = 'use lowercase letters, digits, _ and $, starting with a letter or _, at most 63 characters';

/** Reads and checks tenants.yaml. `file` defaults to tenants.yaml in projectDir. */
export function loadTenantsConfig(projectDir: string, file: string = path.join(projectDir, 'tenants.yaml')): TenantsConfig {
  const absolute = path.resolve(projectDir, file);
  const shown = displayPath(projectDir, absolute);
  if (!existsSync(absolute)) {
    throw new TmError(`${shown}: file not found`, 'Create tenants.yaml with your databases and tenant schemas (see the README), or run tm from the project folder.');
  }

  const lineCounter = new LineCounter();
  // uniqueKeys is checked below: the library's own check compares every key with every other (minutes for a big file).
  const doc = parseDocument(readFileSync(absolute, 'utf8'), { lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  const syntaxError = doc.errors[0] ?? duplicateKey(doc);
  if (syntaxError) {
    throw new TmError(`${at(syntaxError.pos[0])}: ${maskEmbeddedUrls(syntaxError.message.split('\n')[0])}`, 'Fix the YAML syntax and run `tm validate` again.');
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // The yaml library refuses documents whose aliases expand without bound ("billion laughs").
    throw new TmError(`${shown}: ${(error as Error).message}`, 'tenants.yaml needs no YAML aliases (*name): write the values out.');
  }
  if (data === null || data === undefined) {
    throw new TmError(`${shown}:1:1: the file is empty`, 'List your databases under `databases:` (see the README).');
  }
  const validate = schemaValidator('tenants.schema.json');
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .filter((error) => error.keyword !== 'if') // "must match else schema": the branch's own errors say what is wrong
      .map((error) => ({ offset: offsetOf(doc, error), ...describe(error) }))
      .sort((a, b) => a.offset - b.offset);
    const [first] = problems;
    throw new TmError(`${at(first.offset)}: ${first.message}`, first.hint ?? 'Fix tenants.yaml and run `tm validate` again.');
  }

  const config = toConfig(absolute, data as TenantsYaml);
  checkNames(config, (segments) => at(nodeAt(doc, segments).offset));
  return config;
}

/**
 * The connection string of a database, from the environment. The error names
 * the variable and the database, never a value. A variable that is not set at
 * all means the project's embedded database (src/db/embedded.ts); one set to
 * the empty string (a missing CI secret) is an error.
 */
export function resolveDatabaseUrl(db: DatabaseConfig, env: Environment): string {
  const url = env[db.urlEnv];
  if (url === undefined && embeddedAllowed(env)) {
    return embeddedUrl((env as Record<symbol, string>)[PROJECT_DIR], db.name, db.urlEnv);
  }
  if (!url) {
    throw new TmError(
      `environment variable ${db.urlEnv} is not set${url === '' ? ': it is empty' : ''} (database "${db.name}" has url: env(${db.urlEnv}) in tenants.yaml)`,
      `Set ${db.urlEnv} to the database's connection string, in the environment or in .env${url === '' ? ' (or unset it to use tm\'s embedded PostgreSQL)' : ''}.`,
    );
  }
  return url;
}

/** The URL with any password replaced by ***, for display (src/config/mask.ts). */
export { maskUrl } from './mask.js';

/** A `discover` pattern as an anchored RegExp: `*` is any run of characters, `?` exactly one. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

// ---------------------------------------------------------------------------

interface TenantsYaml {
  metadataSchema?: string;
  databases: Record<
    string,
    { url: string; tenants?: Array<string | { schema: string; labels?: Record<string, string | number | boolean> }>; discover?: string[]; extensionSchema?: string }
  >;
  policy?: { allowHazards?: HazardType[] };
  waves?: string[];
}

function toConfig(absolute: string, data: TenantsYaml): TenantsConfig {
  return {
    path: absolute,
    metadataSchema: data.metadataSchema ?? DEFAULT_METADATA_SCHEMA,
    databases: Object.entries(data.databases).map(([name, db]) => ({
      name,
      urlEnv: /^env\((.+)\)$/.exec(db.url)![1],
      tenants: (db.tenants ?? []).map((entry) =>
        typeof entry === 'string'
          ? { schema: entry, labels: {} }
          : { schema: entry.schema, labels: Object.fromEntries(Object.entries(entry.labels ?? {}).map(([k, v]) => [k, String(v)])) },
      ),
      discover: db.discover ?? [],
      extensionSchema: db.extensionSchema ?? DEFAULT_EXTENSION_SCHEMA,
    })),
    policy: { allowHazards: [...new Set(data.policy?.allowHazards ?? [])] },
    waves: data.waves ?? [],
  };
}

/**
 * What the JSON Schema cannot check: duplicates, and schemas that are not
 * tenants — PostgreSQL's own (pg_*, information_schema), tm's own (the
 * metadata schema and its backup schema, which rollback needs intact) and the
 * database's extension schema. Discovery leaves the same ones out (src/plan/planner.ts).
 */
function checkNames(config: TenantsConfig, at: (segments: Array<string | number>) => string): void {
  if (isSystemSchema(config.metadataSchema)) {
    throw new TmError(`${at(['metadataSchema'])}: metadataSchema "${config.metadataSchema}" is a name PostgreSQL reserves for itself`, 'Choose another name, such as tm.');
  }
  const backupSchema = backupSchemaName(config.metadataSchema);
  for (const db of config.databases) {
    const tmOwn = db.extensionSchema === config.metadataSchema ? "tm's metadata schema" : db.extensionSchema === backupSchema ? "tm's backup schema" : undefined;
    if (tmOwn || (db.extensionSchema !== DEFAULT_EXTENSION_SCHEMA && db.tenants.some((t) => t.schema === db.extensionSchema))) {
      throw new TmError(
        `${at(['databases', db.name, 'extensionSchema'])}: extensionSchema "${db.extensionSchema}" of database "${db.name}" is ${tmOwn ?? 'one of its tenants'}`,
        'Extensions live in a schema of their own, shared by the tenants (public by default).',
      );
    }
    const firstIndex = new Map<string, number>();
    db.tenants.forEach((tenant, index) => {
      const where = at(tenantSegments(db, index));
      if (isSystemSchema(tenant.schema)) {
        throw new TmError(`${where}: "${tenant.schema}" is a schema name PostgreSQL reserves for itself (pg_*, information_schema)`, 'Tenant schemas need other names.');
      }
      if (tenant.schema === config.metadataSchema) {
        throw new TmError(
          `${where}: "${tenant.schema}" is tm's metadata schema (metadataSchema), so it cannot be a tenant of database "${db.name}"`,
          'Rename the tenant, or set metadataSchema to another name.',
        );
      }
      if (tenant.schema === backupSchema) {
        throw new TmError(
          `${where}: "${tenant.schema}" is tm's backup schema (where destructive steps keep the data tm rollback restores), so it cannot be a tenant of database "${db.name}"`,
          'Remove it from the tenants; tm manages it itself (`tm backups` lists and prunes it).',
        );
      }
      if (tenant.schema === db.extensionSchema) {
        throw new TmError(
          `${where}: "${tenant.schema}" is the extension schema of database "${db.name}" (extensionSchema, ${DEFAULT_EXTENSION_SCHEMA} by default), shared by all its tenants, so it cannot be a tenant`,
          'Remove it from the tenants, or set extensionSchema to another schema.',
        );
      }
      const earlier = firstIndex.get(tenant.schema);
      if (earlier !== undefined) {
        throw new TmError(`${where}: tenant "${tenant.schema}" is listed twice for database "${db.name}" (first at ${at(tenantSegments(db, earlier))})`, 'Remove one of the two entries.');
      }
      firstIndex.set(tenant.schema, index);
    });
  }
}

/** PostgreSQL's own schemas: pg_catalog, pg_toast, pg_temp_N…, information_schema. */
export function isSystemSchema(name: string): boolean {
  return name.startsWith('pg_') || name === 'information_schema';
}

/** The schemas of a database that are never tenants, listed or discovered: tm's own and its extension schema (system schemas aside). */
export function notTenantSchemas(metadataSchema: string, database: DatabaseConfig): string[] {
  return [metadataSchema, backupSchemaName(metadataSchema), database.extensionSchema];
}

function tenantSegments(db: DatabaseConfig, index: number): Array<string | number> {
  return ['databases', db.name, 'tenants', index];
}

/** One ajv error as a sentence, in tm's words; the field is named as a YAML path. */
function describe(error: ErrorObject): { message: string; hint?: string } {
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
function offsetOf(doc: Document, error: ErrorObject): number {
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
function nodeAt(doc: Document, segments: Array<string | number>): { node: unknown; offset: number; keyOffset: number } {
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
function duplicateKey(doc: Document): { pos: [number, number]; message: string } | undefined {
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

function displayPath(projectDir: string, absolute: string): string {
  const relative = path.relative(projectDir, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : absolute;
}

