/**
 * Bulk introspection: every wanted schema of one database in a fixed number of
 * queries, one per catalog part (parts/index.ts) or one for all of them,
 * turned into schema-name-free models; in one snapshot, shared between two
 * connections; a large fleet by signature first (readByState).
 */
import type { Queryable } from '../db/queryable.js';
import { emptySchemaModel, type SchemaModel, type TableModel } from './model.js';
import * as Q from './queries.js';
import { CATALOG_PARTS, type CatalogPart, type ModelBuilding } from './parts/index.js';
import { quoteLiteral } from '../sql/quote.js';
import { fingerprint } from './fingerprint.js';
import { catalogLockedError, CATALOG_LOCK_TIMEOUT_MS, concurrentCatalogChangeError, isConcurrentCatalogChange, isLockTimeout } from './locks.js';
import { holdsQualifier } from './qualifier.js';

/** Rows of a catalog read, by part name. */
type CatalogRows = Record<string, any[]>;

/** Up to this many schemas, an introspection is one statement (see readCatalog). */
const ONE_STATEMENT_UP_TO = 20;

/**
 * Runs `read` with search_path set to pg_catalog only, local to the caller's
 * transaction: printed expressions then qualify every tenant object (see
 * parts/sql.ts), which introspection relies on.
 */
async function withCatalogSearchPath<T>(db: Queryable, read: () => Promise<T>): Promise<T> {
  const { rows: saved } = await db.query(`select current_setting('search_path') as path, set_config('search_path', 'pg_catalog', true)`);
  // Restored on success only: a failed read leaves the transaction aborted (the caller rolls it back, which
  // restores the setting too), and a query there would hide the read's own error (a lock timeout, say).
  const result = await read();
  await db.query(`select set_config('search_path', $1, true)`, [saved[0].path]);
  return result;
}

/** A part's short, stable name for named statements: its place in the registry. */
const partNumber = (part: CatalogPart) => CATALOG_PARTS.indexOf(part);

/** Runs some of the catalog parts' queries on one connection, inside the caller's transaction. */
async function readCatalog(db: Queryable, schemas: string[], parts: readonly CatalogPart[]): Promise<CatalogRows> {
  return withCatalogSearchPath(db, async () => {
    // Named statements: a connection that introspects one schema after another
    // (the applier) plans the catalog query once instead of every time.
    if (schemas.length <= ONE_STATEMENT_UP_TO) {
      // Few schemas: round trips dominate, so every part in one statement.
      const { rows } = await db.query({ name: `tm_catalog_${parts.map(partNumber).join('_')}`, text: Q.catalogQuery(parts), values: [schemas] });
      return rows[0] as CatalogRows;
    }
    // Many schemas: building JSON costs the server more than sending rows; one statement per part.
    const out: CatalogRows = {};
    for (const part of parts) {
      out[part.name] = (await db.query({ name: `tm_catalog_part_${partNumber(part)}`, text: Q.catalogPartQuery(part), values: [schemas] })).rows;
    }
    return out;
  });
}

/** Models of the wanted schemas that exist; a schema that does not exist is absent from the map. */
export async function introspectSchemas(db: Queryable, schemas: string[]): Promise<Map<string, SchemaModel>> {
  if (schemas.length === 0) return new Map();
  return buildModels(await readCatalog(db, schemas, CATALOG_PARTS));
}

/** Every part's rows into models, part after part in the registry's order. */
function buildModels(rows: CatalogRows): Map<string, SchemaModel> {
  const models = new Map<string, SchemaModel>();
  // Column names by attribute number, per table, to name the columns of constraints and indexes.
  const columnNames = new Map<TableModel, Map<number, string>>();
  const building: ModelBuilding = {
    model(schema) {
      let model = models.get(schema);
      if (!model) models.set(schema, (model = emptySchemaModel()));
      return model;
    },
    table(schema, name) {
      return (building.model(schema).tables[name] ??= { columns: {}, constraints: {}, indexes: {} });
    },
    numberColumn(table, number, name) {
      let names = columnNames.get(table);
      if (!names) columnNames.set(table, (names = new Map()));
      names.set(number, name);
    },
    columnNames(table, numbers) {
      const names = columnNames.get(table);
      return (numbers ?? []).flatMap((n) => (n > 0 && names?.has(n) ? [names.get(n)!] : []));
    },
  };
  for (const part of CATALOG_PARTS) part.build(rows[part.name], building);
  return models;
}

/** Schemas read per round of catalog queries: bounds the rows held in memory at once. */
const SNAPSHOT_BATCH = 1000;

/** From this many schemas on, schemas are first grouped by signature (see readByState). */
const GROUP_FROM = 50;

/**
 * The catalog parts shared between connections by their declared cost,
 * about the same on each: the costliest first, each to the connection with
 * the least so far.
 */
function shareParts(connections: number): CatalogPart[][] {
  const shares = Array.from({ length: connections }, () => ({ cost: 0, parts: [] as CatalogPart[] }));
  for (const part of [...CATALOG_PARTS].sort((a, b) => b.cost - a.cost)) {
    const least = shares.reduce((min, share) => (share.cost < min.cost ? share : min));
    least.parts.push(part);
    least.cost += part.cost;
  }
  return shares.map((share) => share.parts).filter((parts) => parts.length > 0);
}

/**
 * Introspects in one consistent snapshot (REPEATABLE READ, read only): every
 * query sees the same catalog even while other sessions change it. With a
 * second connection, the queries are shared between the two, which then
 * share the snapshot (pg_export_snapshot, as pg_dump does): the server reads
 * the catalog on two cores.
 *
 * Tenants in the same state share one model object, so memory grows with the
 * number of distinct states, not of tenants. Models are read-only.
 */
export async function introspectSnapshot(
  client: Queryable,
  schemas: string[],
  second?: Queryable,
  lockTimeoutMs = CATALOG_LOCK_TIMEOUT_MS,
): Promise<Map<string, SchemaModel>> {
  // An object dropped by another session in the middle of the read fails it (locks.ts): a new
  // snapshot sees it gone, so the read runs again before tm gives up.
  for (let attempt = 1; ; attempt++) {
    try {
      return await introspectOnce(client, schemas, second, lockTimeoutMs);
    } catch (error) {
      if (!isConcurrentCatalogChange(error)) throw error;
      if (attempt === CONCURRENT_CHANGE_ATTEMPTS) throw concurrentCatalogChangeError(error as Error);
    }
  }
}

/** How many times a read is tried when the catalog changes under it. */
const CONCURRENT_CHANGE_ATTEMPTS = 3;

async function introspectOnce(client: Queryable, schemas: string[], second: Queryable | undefined, lockTimeoutMs: number): Promise<Map<string, SchemaModel>> {
  if (schemas.length === 0) return new Map();
  const open = [client];
  // A table another session holds ACCESS EXCLUSIVE would otherwise keep the read waiting as long as it lasts (locks.ts).
  const lockTimeout = `SET LOCAL lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))}`; // 0: no limit, as in PostgreSQL
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query(lockTimeout);
    if (second) {
      const { rows: snapshot } = await client.query('select pg_export_snapshot() as id');
      await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open.push(second);
      await second.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot[0].id)}`);
      await second.query(lockTimeout);
    }
    const models = schemas.length < GROUP_FROM ? await readModels(open, schemas) : await readByState(open, schemas);
    for (const db of open) await db.query('COMMIT');
    return models;
  } catch (error) {
    for (const db of open) await db.query('ROLLBACK').catch(() => {});
    if (isLockTimeout(error)) throw await catalogLockedError(client, schemas, lockTimeoutMs);
    throw error;
  }
}

/**
 * Every row of these schemas, read in batches of SNAPSHOT_BATCH, the parts
 * shared between the connections; equal models are made one object.
 */
async function readModels(connections: Queryable[], schemas: string[]): Promise<Map<string, SchemaModel>> {
  const models = new Map<string, SchemaModel>();
  const byFingerprint = new Map<string, SchemaModel>();
  for (let from = 0; from < schemas.length; from += SNAPSHOT_BATCH) {
    const batch = schemas.slice(from, from + SNAPSHOT_BATCH);
    const read = await Promise.all(shareParts(connections.length).map((some, i) => readCatalog(connections[i], batch, some)));
    for (const [schema, model] of buildModels(Object.assign({}, ...read) as CatalogRows)) {
      const fp = fingerprint(model);
      if (!byFingerprint.has(fp)) byFingerprint.set(fp, model);
      models.set(schema, byFingerprint.get(fp)!);
    }
  }
  return models;
}

/**
 * A large fleet, read by state: first one short row per schema, its
 * signature (a digest the server computes of the schema's catalog rows, see
 * signatureQuery), then every row of one schema per distinct signature only.
 * The others get that schema's model: equal signatures mean the same rows but
 * for the schema's own qualifier, at the same places.
 *
 * That is the same model when the model contains no trace of the qualifier
 * outside string literals, which is checked on the schema read (a qualifier
 * left in a name or after an identifier character would be one; the `www.`
 * of a tenant `www`'s `'https://www.example.com'` is data, the same in every
 * tenant, and is not): when the check fails, every schema of
 * that signature is read in full. So is a schema whose qualifier could
 * overlap itself in a text (a '.' inside its name).
 */
async function readByState(connections: Queryable[], schemas: string[]): Promise<Map<string, SchemaModel>> {
  const signatures = await readSignatures(connections, schemas);
  const bySignature = new Map<string, { schema: string; prefix: string }[]>();
  const alone: string[] = [];
  for (const [schema, { prefix, signature }] of signatures) {
    if (!shareablePrefix(prefix)) alone.push(schema);
    else if (bySignature.has(signature)) bySignature.get(signature)!.push({ schema, prefix });
    else bySignature.set(signature, [{ schema, prefix }]);
  }
  const read = await readModels(connections, [...[...bySignature.values()].map((same) => same[0].schema), ...alone]);
  const models = new Map<string, SchemaModel>(alone.map((schema) => [schema, read.get(schema)!]));
  const readInFull: string[] = [];
  for (const same of bySignature.values()) {
    const model = read.get(same[0].schema)!;
    if (same.length > 1 && !shareable(model, same[0].prefix)) {
      readInFull.push(...same.slice(1).map((s) => s.schema));
      models.set(same[0].schema, model);
      continue;
    }
    for (const { schema } of same) models.set(schema, model);
  }
  for (const [schema, model] of await readModels(connections, readInFull)) models.set(schema, model);
  return models;
}

/**
 * A qualifier that cannot overlap itself in a text (its only '.' is its last
 * character) and holds no single quote (exchanging it for another could then
 * move where string literals start and end).
 */
function shareablePrefix(prefix: string): boolean {
  return prefix.indexOf('.') === prefix.length - 1 && !prefix.includes("'");
}

/**
 * Whether a model read from one schema is the model of every schema with the
 * same signature: the model holds no trace of the schema's qualifier (see
 * readByState).
 */
function shareable(model: SchemaModel, prefix: string): boolean {
  return shareablePrefix(prefix) && !mentionsQualifier(model, prefix);
}

/** Whether a name or printed text of the model holds the qualifier other than inside a string literal (see holdsQualifier). */
function mentionsQualifier(value: unknown, prefix: string): boolean {
  if (typeof value === 'string') return holdsQualifier(value, prefix);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => mentionsQualifier(item, prefix));
  return Object.entries(value).some(([key, item]) => key.includes(prefix) || mentionsQualifier(item, prefix));
}

/**
 * What sets search_path as catalog queries need it (see parts/sql.ts), for the
 * rest of the caller's transaction; KnownStates.read expects it.
 */
export const CATALOG_SEARCH_PATH = 'SET LOCAL search_path = pg_catalog';

/**
 * The applier reads one schema after another, each before and after its
 * steps, and most of them are in states it has seen: by signature first,
 * every row only for a signature not seen yet. One per database, shared by
 * its connections.
 */
export class KnownStates {
  /** Models by signature: states read in full once, whose model any schema with that signature has. */
  private readonly models = new Map<string, SchemaModel>();
  /** The signatures seen for each fingerprint (a state has several: another column order, say). */
  private readonly signatures = new Map<string, Set<string>>();
  private catalogColumns: Q.CatalogColumns | null = null;

  /** Reads what signatures need from this server (see CATALOG_COLUMNS); read() does so by itself. */
  async prepare(db: Queryable): Promise<void> {
    this.catalogColumns ??= await readCatalogColumns(db);
  }

  /** The signature query of one schema, named by the SQL expression `schema` (see signatureQuery); after prepare(). */
  signatureQuery(schema: string): string {
    if (!this.catalogColumns) throw new Error('KnownStates.prepare() has not run');
    return Q.signatureQuery(this.catalogColumns, `n.nspname = (${schema})::name`);
  }

  /**
   * The schema's model as the caller's transaction sees it; undefined when
   * the schema does not exist. The caller has set CATALOG_SEARCH_PATH: the
   * applier does so with the statements that open a tenant's transaction,
   * which saves two round trips per read.
   */
  async read(db: Queryable, schema: string): Promise<SchemaModel | undefined> {
    await this.prepare(db);
    const { rows } = await db.query({ name: 'tm_signature', text: this.signatureQuery('$1::text'), values: [schema] });
    if (rows.length === 0) return undefined;
    const { signature, prefix } = rows[0];
    const known = this.models.get(signature);
    if (known) return known;
    const model = (await introspectSchemas(db, [schema])).get(schema);
    if (model && shareable(model, prefix)) {
      this.models.set(signature, model);
      const fp = fingerprint(model);
      if (!this.signatures.has(fp)) this.signatures.set(fp, new Set());
      this.signatures.get(fp)!.add(signature);
    }
    return model;
  }

  /** The signatures seen for states with this fingerprint. */
  signaturesOf(fp: string): string[] {
    return [...(this.signatures.get(fp) ?? [])];
  }

  /** The model of a state seen with this fingerprint. */
  modelOf(fp: string): SchemaModel | undefined {
    const [signature] = this.signatures.get(fp) ?? [];
    return signature === undefined ? undefined : this.models.get(signature);
  }
}

async function readCatalogColumns(db: Queryable): Promise<Q.CatalogColumns> {
  const { rows } = await db.query(Q.CATALOG_COLUMNS);
  return Object.fromEntries(rows.map((row) => [row.catalog, { columns: row.columns, nodeTrees: row.node_trees ?? [] }])) as Q.CatalogColumns;
}

/**
 * Each existing schema's quoted qualifier and signature, in the callers'
 * transactions. The fleet is split between the connections rather than the
 * parts: every part of a schema shares one reading of its relations, and the
 * halves cost the same.
 */
export async function readSignatures(connections: Queryable[], schemas: string[]): Promise<Map<string, { prefix: string; signature: string }>> {
  const query = Q.signatureQuery(await readCatalogColumns(connections[0]));
  const share = Math.ceil(schemas.length / connections.length);
  const read = await Promise.all(
    connections.map((db, i) => withCatalogSearchPath(db, async () => (await db.query(query, [schemas.slice(i * share, (i + 1) * share)])).rows)),
  );
  const signatures = new Map<string, { prefix: string; signature: string }>();
  for (const row of read.flat()) signatures.set(row.schema, { prefix: row.prefix, signature: row.signature });
  return signatures;
}

/** Schemas matching tenants.yaml discovery patterns (`*` and `?` globs), other than those excluded. */
export async function discoverSchemas(db: Queryable, patterns: string[], exclude: string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  const likePatterns = patterns.map(globToLike);
  const { rows } = await db.query(Q.MATCHING_SCHEMAS, [likePatterns, exclude]);
  return rows.map((row) => row.schema);
}

/** `tenant_*` → `tenant\_%`: LIKE's own wildcards in the glob are matched literally. */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, (c) => '\\' + c).replace(/\*/g, '%').replace(/\?/g, '_');
}
