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
import { LineCounter, parseDocument } from 'yaml';
import { describe, duplicateKey, nodeAt, offsetOf } from './yamlErrors.js';
import type { HazardType } from '../hazards.js';
import { TmError } from '../errors.js';
import { maskEmbeddedUrls } from './mask.js';
import { backupSchemaName, DEFAULT_METADATA_SCHEMA } from './tmSchemas.js';

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
  /**
   * `///` documentation of models and fields becomes the tables' and columns'
   * comments (COMMENT ON) in every tenant, and tm owns them: one the schema
   * does not document is removed. Off (the default): tm leaves comments
   * alone, as Prisma does.
   */
  documentationComments: boolean;
}

export const DEFAULT_EXTENSION_SCHEMA = 'public';

/**
 * Schema names tm accepts: lowercase ASCII, digits, _ and $, starting with a
 * letter or _, at most 63 bytes (PostgreSQL's identifier limit). Lowercase
 * only, because PostgreSQL folds unquoted names to lowercase: such a name
 * means the same quoted or not, in tm's SQL and in a user's psql session.
 * Anything else (`tenant-1; DROP …`) is refused before it gets near SQL.
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

/** Reads and checks tenants.yaml. `file` defaults to tenants.yaml in projectDir. */
export function loadTenantsConfig(projectDir: string, file: string = path.join(projectDir, 'tenants.yaml')): TenantsConfig {
  const absolute = path.resolve(projectDir, file);
  const shown = displayPath(projectDir, absolute);
  if (!existsSync(absolute)) {
    throw new TmError(
      // The folder is shown whole: a user in the wrong folder sees where tm looked.
      `No ${path.basename(absolute)} in ${path.dirname(absolute)}.`,
      'Run `tm init` to write one (it lists your databases and tenant schemas), or run tm from the project folder.',
    );
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
  documentationComments?: boolean;
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
    documentationComments: data.documentationComments ?? false,
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
 * database's extension schema. Discovery leaves the same ones out (src/fleet/tenants.ts).
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

function displayPath(projectDir: string, absolute: string): string {
  const relative = path.relative(projectDir, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : absolute;
}

