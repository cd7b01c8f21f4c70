/**
 * What a plan may run: only statements of the shapes tm itself writes. The
 * integrity hash (build.ts) catches a plan edited by mistake, but anyone can
 * recompute it, so `tm apply` reads every step before it connects and
 * refuses, naming cohort and step, anything a tm plan could not hold:
 *
 * - more than one statement in a step, or none;
 * - a statement that is not one of the allowed shapes (below): transaction
 *   control (BEGIN, COMMIT, SAVEPOINT…), roles, databases, GRANT, COPY, DO,
 *   SET, LOAD, functions, DML other than a rollback's restores…;
 * - a name qualified with another schema than the tenant's: steps are
 *   unqualified and run with search_path set to the tenant. Only the
 *   database's extension schemas (types and operator classes such as
 *   `public.citext`) and pg_catalog may qualify a name, and a rollback's
 *   restores read the backup tables the plan names;
 * - a call of a function that reaches outside the tenant (files, other
 *   sessions, settings, other databases), in any expression;
 * - at the database level, anything but creating an extension (or its schema).
 *
 * Steps come from src/diff/diff.ts (and its differs in src/diff/objects), src/plan/kinds/rollback.ts (with
 * src/meta/backups.ts's restores) and src/desired/extensions.ts. A statement
 * those write that this refuses is a bug here.
 */
import type { TenantsConfig } from '../config/tenants.js';
import { TmError } from '../errors.js';
import { backupSchemaName } from '../config/tmSchemas.js';
import { splitStatements } from '../sql/split.js';
import { isName, tokenize, type Token } from '../sql/tokens.js';
import type { Cohort, Plan } from './types.js';
import type { Step } from '../diff/step.js';
import type { ObjectRef } from '../catalog/objectRef.js';
import type { SchemaModel } from '../catalog/model.js';

/** Functions no tm plan calls, that reach files, other sessions or databases, settings or locks. */
const OUTSIDE_FUNCTIONS =
  /^(dblink.*|pg_read_.*|pg_ls_.*|pg_stat_file|pg_file_.*|lo_.*|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|set_config|pg_advisory.*|pg_try_advisory.*|pg_sleep.*|pg_promote|pg_switch_wal|pg_.*_replication_slot.*|pg_logical_.*|pg_replication_origin_.*|pg_stat_reset.*|(query|table|cursor|schema|database)_to_xml.*|(query|table|cursor|schema|database)_to_xmlschema|pg_import_system_collations|pg_create_restore_point|pg_backup_.*|pg_notify|lo_import|lo_export|pg_log_backend_memory_contexts|xpath_table)$/;

/** Words that end a FROM item's relation: what follows a table name but is no alias. */
const CLAUSE_WORDS = new Set([
  'where', 'on', 'using', 'join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'group', 'order', 'having', 'limit',
  'offset', 'union', 'except', 'intersect', 'window', 'set', 'as', 'lateral', 'fetch', 'for', 'returning', 'with', 'values',
]);

export interface StepProblem {
  /** `c1 step 3`, `database main step 1`. */
  where: string;
  sql: string;
  reason: string;
}

/** Refuses the plan (TmError) when any step is not what a tm plan holds; see the top of this module. */
export function assertPlanSteps(plan: Plan, config: TenantsConfig): void {
  const problems = checkPlanSteps(plan, config);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((p) => `  ${p.where}: ${oneLine(p.reason, 200)}: ${oneLine(p.sql)}`);
  if (problems.length > 5) shown.push(`  and ${problems.length - 5} more`);
  throw new TmError(
    `Refusing ${oneLine(plan.id, 80)}: it holds statements tm does not write, so it was edited after \`tm plan\` (and its integrity hash recomputed). Nothing was applied.\n${shown.join('\n')}`,
    'Apply only plans written by `tm plan` (with TM_PLAN_KEY set, tm signs them and apply refuses any other); run `tm plan` again.',
  );
}

export function checkPlanSteps(plan: Plan, config: TenantsConfig): StepProblem[] {
  const problems: StepProblem[] = [];
  const foreign = foreignSchemas(plan, config);
  for (const { database, steps } of plan.databaseSteps ?? []) {
    steps.forEach((step, i) => {
      const reason = checkDatabaseStep(step);
      if (reason) problems.push({ where: `database ${oneLine(database, 40)} step ${i + 1}`, sql: step.sql, reason });
    });
  }
  for (const cohort of plan.cohorts) {
    const context = cohortContext(plan, config, cohort, foreign);
    cohort.steps.forEach((step, i) => {
      const reason = checkTenantStep(step, context);
      if (reason) problems.push({ where: `cohort ${oneLine(cohort.id, 40)} step ${i + 1} (${oneLine(step.object, 80)})`, sql: step.sql, reason });
    });
  }
  return problems;
}

/** What a tenant step of one cohort may name. */
export interface StepContext {
  /** Schemas that may qualify a name (folded as PostgreSQL compares them). */
  schemas: Set<string>;
  /** The cohort's tables, views and sequences (after its steps): `"User".id` names a column, not a schema. */
  relations: Set<string>;
  /** Schemas known not to be the tenant's: never accepted as an alias either. */
  foreign: Set<string>;
  /** The backup schema, and the backup tables a rollback's restores may read (`data of …` steps). */
  backupSchema: string;
  backupTables: Set<string>;
}

function cohortContext(plan: Plan, config: TenantsConfig, cohort: Cohort, foreign: Set<string>): StepContext {
  const databases = new Set(cohort.tenants.map((t) => t.database));
  const schemas = new Set(['pg_catalog']);
  for (const db of config.databases) if (databases.has(db.name)) schemas.add(db.extensionSchema);
  for (const s of datasourceExtensionSchemas(plan.schema.text)) if (!foreign.has(s)) schemas.add(s);
  // A cohort of one schema name (on each database) may name it: it is the tenant's own.
  const names = new Set(cohort.tenants.map((t) => t.schema));
  if (names.size === 1) schemas.add([...names][0]);
  const relations = new Set<string>();
  for (const fp of [cohort.afterFingerprint, cohort.midFingerprint]) {
    const model = fp ? plan.afterModels[fp] : undefined;
    if (!model) continue;
    for (const name of [...Object.keys(model.tables), ...Object.keys(model.views ?? {}), ...Object.keys(model.sequences ?? {})]) relations.add(name);
  }
  const backupTables = new Set(plan.kind === 'rollback' ? (plan.rollback?.restores ?? []).map((r) => r.backupTable) : []);
  return { schemas, relations, foreign, backupSchema: backupSchemaName(config.metadataSchema), backupTables };
}

/** The context of a tenant schema's steps outside a plan (the conformance runs): its model after the steps, the other schemas. */
export function stepContext(after: SchemaModel, otherSchemas: string[], schema: string, extensionSchema = 'public'): StepContext {
  const relations = new Set([...Object.keys(after.tables), ...Object.keys(after.views ?? {}), ...Object.keys(after.sequences ?? {})]);
  const foreign = new Set(otherSchemas.filter((s) => s !== schema && s !== extensionSchema));
  return { schemas: new Set(['pg_catalog', extensionSchema, schema]), relations, foreign, backupSchema: 'tm_backup', backupTables: new Set() };
}

/** Every schema the plan or tenants.yaml names that is not a tenant's own: other tenants, tm's, the system's. */
function foreignSchemas(plan: Plan, config: TenantsConfig): Set<string> {
  return new Set([
    ...plan.cohorts.flatMap((c) => c.tenants.map((t) => t.schema)),
    ...plan.unchanged.map((t) => t.schema),
    ...config.databases.flatMap((d) => d.tenants.map((t) => t.schema)),
    config.metadataSchema,
    backupSchemaName(config.metadataSchema),
    'information_schema',
    'pg_toast',
  ]);
}

/** Schemas the datasource puts extensions in (`citext(schema: "ext")`): their types print qualified. */
function datasourceExtensionSchemas(text: string): string[] {
  const list = /extensions\s*=\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
  return [...list.matchAll(/schema\s*:\s*"([^"]+)"/g)].map((m) => m[1]);
}

/** The text on one line, shortened, its control characters shown escaped (a hostile plan's text must not drive the terminal). */
function oneLine(text: string, max = 160): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** Why the database-level step is refused, or null: only `CREATE SCHEMA IF NOT EXISTS "s"` and `CREATE EXTENSION IF NOT EXISTS "x" SCHEMA "s" [VERSION '…']`. */
export function checkDatabaseStep(step: Step): string | null {
  if (!step.transactional) return 'a database step outside a transaction';
  if (/^CREATE SCHEMA IF NOT EXISTS "(?:[^"]|"")+"$/.test(step.sql)) return null;
  const m = /^CREATE EXTENSION IF NOT EXISTS "((?:[^"]|"")+)" SCHEMA "(?:[^"]|"")+"(?: VERSION '(?:[^']|'')*')?$/.exec(step.sql);
  if (!m) return 'not a statement tm runs for a database (only CREATE EXTENSION and its schema)';
  // Extensions that reach files, other servers or run untrusted code: no datasource needs them for a tenant's tables.
  if (/^(dblink|adminpack|file_fdw|postgres_fdw|plperlu|plpython3?u|pltclu|lo|pageinspect|pg_buffercache)$/.test(m[1])) return `extension "${m[1]}" reaches outside the database's tables`;
  return null;
}

/** Why a tenant step is refused, or null when it is a statement tm writes. */
export function checkTenantStep(step: Step, context: StepContext): string | null {
  const statements = splitStatements(step.sql);
  if (statements.length !== 1) return statements.length ? `${statements.length} statements in one step` : 'no statement';
  const tokens = tokenize(statements[0]);
  const words = (from: number, count: number) =>
    tokens
      .slice(from, from + count)
      .map((t) => (t.kind === 'word' ? t.value : '\0'))
      .join(' ');
  const restore = step.target.kind === 'data';
  const shape = isCommentStatement(tokens) ? 'statement' : statementShape(words, step.target);
  if (!shape) return `not a statement tm writes (${describeStart(tokens)})`;
  if (!step.transactional && shape !== 'concurrent index') return 'outside the transaction, tm runs only CREATE INDEX CONCURRENTLY';
  if (step.transactional && shape === 'concurrent index') return 'CREATE INDEX CONCURRENTLY inside the transaction';
  if (shape === 'alter table') {
    const bad = alterTableActions(tokens);
    if (bad) return bad;
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    // PostgreSQL never prints names or strings with Unicode escapes; they would hide a name from the checks below.
    if (t.kind === 'op' && t.value === 'U&') return 'a Unicode-escaped name or string (U&"…") is not in tm\'s statements';
    // CASCADE only as a foreign key's action (ON DELETE CASCADE): a drop that cascades can reach objects of other schemas.
    const cascade = t.value === 'cascade' && !['delete', 'update'].includes(tokens[i - 1]?.value ?? '');
    if (t.kind === 'word' && (cascade || (t.value === 'owner' && tokens[i + 1]?.value === 'to'))) return `${t.value.toUpperCase()} is not in tm's statements`;
    if (t.kind === 'word' && t.value === 'set' && ['schema', 'tablespace'].includes(tokens[i + 1]?.value ?? '')) return 'moves an object out of the tenant';
    // `CREATE TABLE … ( … ) TABLESPACE x`, `USING INDEX TABLESPACE x`: tm never places objects.
    if (t.kind === 'word' && t.value === 'tablespace' && (tokens[i - 1]?.value === ')' || tokens[i - 1]?.value === 'index') && isName(tokens[i + 1])) {
      return 'TABLESPACE is not in tm\'s statements';
    }
    // A view reading the system catalogs (pg_authid, pg_stat_activity…): found on every search_path, so unqualified too.
    if (t.kind === 'word' && (t.value === 'from' || t.value === 'join')) {
      const relation = tokens[i + 1]?.value === 'pg_catalog' && tokens[i + 2]?.value === '.' ? tokens[i + 3] : tokens[i + 1];
      if (isName(relation) && relation!.value.startsWith('pg_') && tokens[i + (relation === tokens[i + 1] ? 2 : 4)]?.value !== '(') {
        return `reads the system catalog ${relation!.value}`;
      }
    }
    if (isName(t) && tokens[i + 1]?.value === '(' && tokens[i + 1].kind === 'punct' && OUTSIDE_FUNCTIONS.test(t.value)) {
      return `calls ${t.value}(), which reaches outside the tenant's schema`;
    }
  }
  return qualifiedNames(tokens, context, restore);
}

type Shape = 'statement' | 'alter table' | 'concurrent index';

function statementShape(words: (from: number, count: number) => string, target: ObjectRef): Shape | null {
  const first = words(0, 2);
  if (first === 'create table') return words(3, 1) === '\0' ? 'statement' : null; // `CREATE TABLE name (`, never `… AS SELECT`
  if (/^create (unique )?index concurrently\b/.test(words(0, 4))) return 'concurrent index';
  if (/^create (unique )?index\b/.test(words(0, 3))) return 'statement';
  if (first === 'create sequence') return 'statement';
  if (first === 'create type' && words(3, 2) === 'as enum') return 'statement';
  if (first === 'create view' || words(0, 3) === 'create materialized view') return 'statement';
  if (first === 'alter table') return 'alter table';
  if (first === 'alter index' && words(3, 2) === 'rename to') return 'statement';
  if (first === 'alter type' && ['add value', 'rename to', 'rename value'].includes(words(3, 2))) return 'statement';
  if (first === 'alter sequence') return 'statement';
  if (/^drop (table|index|type|sequence|view|materialized view)\b/.test(words(0, 3))) return 'statement';
  // A rollback's restores from the backup tables, and the sequences set past the values restored.
  if (target.kind === 'data' && (first === 'insert into' || words(0, 1) === 'update')) return 'statement';
  if (target.kind === 'column sequence' && words(0, 2) === 'select setval') return 'statement';
  return null;
}

/** `COMMENT ON TABLE t IS '…'` or `COMMENT ON COLUMN t.c IS NULL`: names (checked as any other below) and a plain literal or NULL, nothing else. */
function isCommentStatement(tokens: Token[]): boolean {
  const word = (i: number, value: string) => tokens[i]?.kind === 'word' && tokens[i].value === value;
  if (!word(0, 'comment') || !word(1, 'on') || !(word(2, 'table') || word(2, 'column'))) return false;
  let i = 3;
  if (!isName(tokens[i++])) return false;
  if (word(2, 'column')) {
    if (tokens[i]?.kind !== 'punct' || tokens[i++].value !== '.' || !isName(tokens[i++])) return false;
  }
  if (!word(i++, 'is')) return false;
  const text = tokens[i++];
  const literal = text?.kind === 'string' && text.value.startsWith("'");
  return (literal || word(i - 1, 'null')) && i === tokens.length;
}

function describeStart(tokens: Token[]): string {
  return tokens
    .slice(0, 3)
    .map((t) => (t.kind === 'word' ? t.value.toUpperCase() : t.kind === 'ident' ? `"${t.value}"` : t.value))
    .join(' ');
}

/** ALTER TABLE's actions (comma-separated, at the top level): only the ones tm writes. */
function alterTableActions(tokens: Token[]): string | null {
  let depth = 0;
  let start = 3;
  if (tokens[2]?.value === 'only' && tokens[2].kind === 'word') start = 4;
  const starts = [start];
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    if (t.value === '(') depth++;
    else if (t.value === ')') depth--;
    else if (t.value === ',' && depth === 0) starts.push(i + 1);
  }
  for (const at of starts) {
    const verb = tokens[at]?.kind === 'word' ? tokens[at].value : '';
    const what = tokens[at + 1]?.kind === 'word' ? tokens[at + 1].value : '';
    const ok =
      ((verb === 'add' || verb === 'drop') && (what === 'column' || what === 'constraint')) || (verb === 'alter' && what === 'column') || (verb === 'rename' && what === 'constraint');
    if (!ok) return `ALTER TABLE … ${[verb, what].filter(Boolean).join(' ').toUpperCase() || tokens[at]?.value} is not an action tm writes`;
  }
  return null;
}

/** `x.y` where x is not the tenant's: refused (see StepContext for what may qualify a name). */
function qualifiedNames(tokens: Token[], context: StepContext, restore: boolean): string | null {
  // Aliases the statement declares (`AS b`, `FROM "User" u`): `b.col` names a column.
  const aliases = new Set<string>();
  // Common table expressions (`WITH hierarchy AS (…)`) are relations of the statement, with aliases of their own.
  const relations = new Set(context.relations);
  tokens.forEach((t, i) => {
    if (isName(t) && tokens[i + 1]?.value === 'as' && tokens[i + 2]?.value === '(') relations.add(t.value);
  });
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (!isName(t) || tokens[i + 1]?.value === '.') continue;
    const before = tokens[i - 1];
    const declared =
      (before.kind === 'word' && before.value === 'as') ||
      (isName(before) && relations.has(before.value) && tokens[i - 2]?.value !== '.' && !(t.kind === 'word' && CLAUSE_WORDS.has(t.value)));
    if (declared) aliases.add(t.value);
  }
  const objectPosition = objectPositions(tokens);
  for (let i = 0; i < tokens.length - 2; i++) {
    const t = tokens[i];
    if (!isName(t) || tokens[i + 1].value !== '.' || tokens[i + 1].kind !== 'punct' || tokens[i - 1]?.value === '.') continue;
    const chain = [t.value];
    let j = i + 1;
    for (; tokens[j]?.value === '.' && tokens[j].kind === 'punct'; j += 2) chain.push(tokens[j + 1]?.value ?? '');
    const q = t.value;
    if (context.schemas.has(q)) continue;
    if (restore && q === context.backupSchema && chain.length === 2 && context.backupTables.has(chain[1])) continue;
    // `table.column` in an expression; never where PostgreSQL reads `schema.object` (a relation, a type, a function).
    const local = (relations.has(q) || aliases.has(q)) && !context.foreign.has(q);
    if (local && chain.length === 2 && !objectPosition.has(i) && tokens[j]?.value !== '(') continue;
    return `names ${chain.map((c) => JSON.stringify(c)).join('.')}, outside the tenant's schema (steps are unqualified)`;
  }
  return null;
}

/** Words after which PostgreSQL reads an object's name (`DROP TABLE x`, `REFERENCES x`, `FROM x`, `TYPE x`, `INTO x`…). */
const OBJECT_WORDS = new Set(['table', 'index', 'view', 'sequence', 'type', 'references', 'from', 'join', 'into', 'update', 'only', 'exists', 'concurrently', 'lateral']);

/** Where a name starts that PostgreSQL reads as an object's (possibly schema-qualified) name: by the word before it, `::`, `CREATE INDEX … ON`, or a comma in a FROM list. */
function objectPositions(tokens: Token[]): Set<number> {
  const out = new Set<number>();
  const inFrom: boolean[] = [false];
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    const before = tokens[i - 1];
    if (t.kind === 'punct' && t.value === '(') inFrom.push(false);
    else if (t.kind === 'punct' && t.value === ')') inFrom.length > 1 && inFrom.pop();
    else if (t.kind === 'word' && t.value === 'from') inFrom[inFrom.length - 1] = true;
    else if (t.kind === 'word' && CLAUSE_WORDS.has(t.value) && !['join', 'inner', 'left', 'right', 'full', 'cross', 'natural', 'lateral', 'as'].includes(t.value)) inFrom[inFrom.length - 1] = false;
    if (!isName(t)) continue;
    const afterWord = before.kind === 'word' && OBJECT_WORDS.has(before.value);
    const afterCast = before.kind === 'op' && before.value === '::';
    const indexOn = before.value === 'on' && ['index', 'concurrently', 'exists'].includes(tokens[i - 3]?.value ?? '');
    const fromList = before.kind === 'punct' && before.value === ',' && inFrom[inFrom.length - 1];
    if (afterWord || afterCast || indexOn || fromList) out.add(i);
  }
  return out;
}
