/**
 * Pre-flight privilege check: before any tenant starts (and before tm
 * creates its own metadata schema), one catalog query per database works out
 * whether the role tm connects as may do everything the plan asks there, and
 * names each privilege that is missing on each object:
 *
 * - CREATE on the database, to create a schema that does not exist yet (a new
 *   tenant, tm's metadata schema, the backup schema);
 * - USAGE and CREATE on each tenant schema the plan changes, and on the
 *   metadata and backup schemas;
 * - ownership of each existing table, index, sequence, view and type a step
 *   alters or drops (ALTER TABLE, DROP …, CREATE INDEX … ON, ALTER TYPE …),
 *   read from the step's target, and of tm's own history and backups tables
 *   (which apply upgrades in place).
 *
 * Objects are looked up in pg_class / pg_type by name, never through
 * to_regclass(), which itself fails without USAGE on the schema. Ownership
 * counts as PostgreSQL counts it: the owner role or a member of it, or a
 * superuser (pg_has_role … 'USAGE').
 */
import type { ProjectEnvironment } from '../config/env.js';
import type { TenantsConfig } from '../config/tenants.js';
import { backupSchemaName } from '../config/tmSchemas.js';
import { connect } from '../db/connect.js';
import type { Queryable } from '../db/queryable.js';
import type { Step } from '../diff/step.js';
import { TmError } from '../errors.js';
import { targetsOf } from '../fleet/databases.js';
import type { Plan } from '../plan/types.js';
import { quoteIdent } from '../sql/quote.js';

export interface MissingPrivilege {
  /** `CREATE`, `USAGE`, `ownership`. */
  privilege: string;
  /** `database "app"`, `schema "tenant_a"`, `table "tenant_a"."User"` (owned by "x"). */
  object: string;
  /** What tm needs it for. */
  why: string;
  /** The statement that grants it (run by an owner or a superuser). */
  fix: string;
}

type ObjectKind = 'relation' | 'type';

interface OwnedObject {
  schema: string;
  kind: ObjectKind;
  name: string;
}

/**
 * The existing object a step must own, from its target: what it alters or
 * drops (ALTER TABLE for a column or constraint, DROP INDEX, ALTER TYPE …),
 * or the table an index is built on. Creating a table, type, sequence or
 * view needs CREATE on the schema only, and a rollback's restores (data,
 * column sequence) need no ownership; nor do the database's own steps.
 */
export function objectsToOwn(step: Step): { kind: ObjectKind; name: string }[] {
  const target = step.target;
  switch (target.kind) {
    case 'column':
    case 'constraint':
      return [{ kind: 'relation', name: target.table }];
    case 'comment':
      return [{ kind: 'relation', name: target.on.table }];
    case 'index':
      return [{ kind: 'relation', name: step.action === 'create' ? target.table : target.name }];
    case 'table':
    case 'sequence':
    case 'view':
      return step.action === 'create' ? [] : [{ kind: 'relation', name: target.name }];
    case 'enum':
      return step.action === 'create' ? [] : [{ kind: 'type', name: target.name }];
    case 'schema':
    case 'extension':
    case 'data':
    case 'column sequence':
      return [];
  }
}

/** What one database's share of a plan needs, worked out from the plan alone. */
function needsOf(plan: Plan, database: string) {
  const tenants = new Map<string, { createsSchema: boolean }>();
  const owned = new Map<string, OwnedObject>();
  let backups = false;
  for (const cohort of plan.cohorts) {
    const here = cohort.tenants.filter((t) => t.database === database);
    if (here.length === 0 || (cohort.steps.length === 0 && !cohort.createsSchema)) continue;
    if (cohort.backups?.length && !plan.settings.skipBackup) backups = true;
    const objects = cohort.createsSchema ? [] : cohort.steps.flatMap(objectsToOwn);
    for (const t of here) {
      tenants.set(t.schema, { createsSchema: cohort.createsSchema });
      for (const o of objects) owned.set(`${t.schema}\0${o.kind}\0${o.name}`, { schema: t.schema, ...o });
    }
  }
  return { tenants, owned: [...owned.values()], backups };
}

/**
 * The privileges the role lacks for this database's share of the plan, from
 * one query. Empty when it may do everything.
 */
export async function missingPrivileges(db: Queryable, plan: Plan, database: string, metadataSchema: string): Promise<{ role: string; database: string; missing: MissingPrivilege[] }> {
  const needs = needsOf(plan, database);
  const backupSchema = backupSchemaName(metadataSchema);
  const tenantNames = [...needs.tenants.keys()];
  const { rows } = await db.query(
    `with t(schema, creates_schema) as (select * from unnest($1::text[], $2::boolean[])),
          o(schema, kind, name) as (select * from unnest($3::text[], $4::text[], $5::text[])),
          m(schema, needed) as (values ($6::text, true), ($7::text, $8::boolean))
     select current_user as role, current_database() as database,
            has_database_privilege(current_database(), 'CREATE') as database_create,
            (select coalesce(json_agg(json_build_object('schema', t.schema, 'exists', n.oid is not null, 'creates', t.creates_schema,
                                                        'usage', n.oid is null or has_schema_privilege(n.oid, 'USAGE'),
                                                        'create', n.oid is null or has_schema_privilege(n.oid, 'CREATE')) order by t.schema), '[]')
               from t left join pg_namespace n on n.nspname = t.schema) as tenants,
            (select coalesce(json_agg(json_build_object('schema', m.schema, 'exists', n.oid is not null,
                                                        'usage', n.oid is null or has_schema_privilege(n.oid, 'USAGE'),
                                                        'create', n.oid is null or has_schema_privilege(n.oid, 'CREATE')) order by m.schema), '[]')
               from m left join pg_namespace n on n.nspname = m.schema where m.needed) as metadata,
            (select coalesce(json_agg(json_build_object('schema', x.schema, 'kind', x.kind, 'name', x.name, 'owner', x.owner, 'relkind', x.relkind, 'on_table', x.on_table)
                                      order by x.schema, x.name), '[]')
               from (select o.schema, o.kind, o.name, pg_get_userbyid(coalesce(c.relowner, ty.typowner)) as owner, c.relkind,
                            (select t.relname from pg_index i join pg_class t on t.oid = i.indrelid where i.indexrelid = c.oid) as on_table
                       from o join pg_namespace n on n.nspname = o.schema
                       left join pg_class c on o.kind = 'relation' and c.relnamespace = n.oid and c.relname = o.name
                       left join pg_type ty on o.kind = 'type' and ty.typnamespace = n.oid and ty.typname = o.name
                      where coalesce(c.relowner, ty.typowner) is not null
                        and not pg_has_role(current_user, coalesce(c.relowner, ty.typowner), 'USAGE')
                     union all
                     select $6::text, 'relation', x.name, pg_get_userbyid(c.relowner), c.relkind, null::name
                       from (values ('history'), ('backups')) x(name)
                       join pg_namespace n on n.nspname = $6::text
                       join pg_class c on c.relnamespace = n.oid and c.relname = x.name
                      where not pg_has_role(current_user, c.relowner, 'USAGE')) x) as not_owned`,
    [
      tenantNames,
      tenantNames.map((s) => needs.tenants.get(s)!.createsSchema),
      needs.owned.map((o) => o.schema),
      needs.owned.map((o) => o.kind),
      needs.owned.map((o) => o.name),
      metadataSchema,
      backupSchema,
      needs.backups,
    ],
  );
  const r = rows[0];
  const dbName = r.database as string;
  const role = quoteIdent(r.role);
  const missing: MissingPrivilege[] = [];
  const onDatabase: { why: string; alternative?: string }[] = [];
  for (const m of r.metadata as { schema: string; exists: boolean; usage: boolean; create: boolean }[]) {
    const what = m.schema === metadataSchema ? `tm's metadata schema ${quoteIdent(m.schema)} (history)` : `the backup schema ${quoteIdent(m.schema)} (backups before destructive steps)`;
    const schema = quoteIdent(m.schema);
    if (!m.exists) onDatabase.push({ why: `to create ${what}`, alternative: `CREATE SCHEMA ${schema} AUTHORIZATION ${role}` });
    else {
      if (!m.usage) missing.push({ privilege: 'USAGE', object: `schema ${schema}`, why: `to use ${what}`, fix: `GRANT USAGE ON SCHEMA ${schema} TO ${role}` });
      if (!m.create) missing.push({ privilege: 'CREATE', object: `schema ${schema}`, why: `to create tables in ${what}`, fix: `GRANT CREATE ON SCHEMA ${schema} TO ${role}` });
    }
  }
  const created: string[] = [];
  for (const t of r.tenants as { schema: string; exists: boolean; creates: boolean; usage: boolean; create: boolean }[]) {
    if (!t.exists) {
      if (t.creates) created.push(t.schema);
      continue; // a schema the plan does not create and that is not there is stale: the applier says so
    }
    const schema = quoteIdent(t.schema);
    if (!t.usage) missing.push({ privilege: 'USAGE', object: `schema ${schema}`, why: 'to change the tenant schema', fix: `GRANT USAGE ON SCHEMA ${schema} TO ${role}` });
    if (!t.create) missing.push({ privilege: 'CREATE', object: `schema ${schema}`, why: 'to create objects in the tenant schema', fix: `GRANT CREATE ON SCHEMA ${schema} TO ${role}` });
  }
  if (created.length) onDatabase.push({ why: `to create the tenant schema${created.length > 1 ? 's' : ''} ${listNames(created)}` });
  if (onDatabase.length && !r.database_create) {
    const alternatives = onDatabase.flatMap((d) => (d.alternative ? [d.alternative] : []));
    const grant = `GRANT CREATE ON DATABASE ${quoteIdent(dbName)} TO ${role}`;
    missing.unshift({
      privilege: 'CREATE',
      object: `database ${quoteIdent(dbName)}`,
      why: onDatabase.map((d) => d.why).join(' and '),
      // Or make the schemas once as an owner, so that the role never needs CREATE on the database.
      fix: alternatives.length === onDatabase.length ? `${grant} (or once: ${alternatives.join('; ')})` : grant,
    });
  }
  for (const o of r.not_owned as { schema: string; kind: string; name: string; owner: string; relkind: string | null; on_table: string | null }[]) {
    const kind = o.kind === 'type' ? 'type' : RELKIND[o.relkind ?? ''] ?? 'relation';
    const tm = o.schema === metadataSchema;
    const name = `${quoteIdent(o.schema)}.${quoteIdent(o.name)}`;
    // An index belongs to its table's owner: the table is what to hand over.
    const table = o.on_table ? `${quoteIdent(o.schema)}.${quoteIdent(o.on_table)}` : null;
    missing.push({
      privilege: 'ownership',
      object: `${kind} ${name} (${table ? `on table ${table}, ` : ''}owned by ${quoteIdent(o.owner)})`,
      why: tm ? 'apply creates and upgrades tm\'s own tables' : `a step alters or drops it${kind === 'table' ? ' or builds an index on it' : ''}`,
      fix: `ALTER ${table ? 'TABLE' : kind === 'type' ? 'TYPE' : kind.toUpperCase()} ${table ?? name} OWNER TO ${role}`,
    });
  }
  return { role: r.role, database: dbName, missing };
}

const RELKIND: Record<string, string> = { r: 'table', p: 'table', i: 'index', I: 'index', S: 'sequence', v: 'view', m: 'materialized view' };

function listNames(names: string[]): string {
  const shown = names.slice(0, 5).map(quoteIdent).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** One line per missing privilege, at most `limit`. */
export function describeMissing(missing: MissingPrivilege[], limit = 10): string {
  const lines = missing.slice(0, limit).map((m) => `  - ${m.privilege} on ${m.object}: ${m.why}`);
  if (missing.length > limit) lines.push(`  … and ${missing.length - limit} more`);
  return lines.join('\n');
}

/** Throws, naming every missing privilege, when the role may not apply this database's share of the plan. */
export async function checkApplyPrivileges(db: Queryable, plan: Plan, database: string, metadataSchema: string): Promise<void> {
  const { role, database: dbName, missing } = await missingPrivileges(db, plan, database, metadataSchema);
  if (missing.length === 0) return;
  const fixes = [...new Set(missing.map((m) => m.fix))];
  const backups = missing.some((m) => m.why.includes('backup schema'));
  throw new TmError(
    `Cannot apply to database "${database}" (${quoteIdent(dbName)} on the server): role ${quoteIdent(role)} lacks ${missing.length === 1 ? 'a privilege' : `${missing.length} privileges`} the plan needs:\n${describeMissing(missing)}\nNothing was changed.`,
    `As an owner or a superuser: ${fixes.slice(0, 10).join('; ')}${fixes.length > 10 ? `; … (${fixes.length - 10} more)` : ''}. ` +
      `Or run tm as the role that owns the tenant schemas${backups ? ', or plan with --skip-backup' : ''}. Then run the same tm apply again.`,
  );
}

/**
 * For `tm plan`: what `tm apply` of this plan would be refused for, as the
 * role the plan was made with, per database (a warning: the plan may be
 * applied by another role). One connection and one query per database.
 */
export async function planPrivilegeWarnings(plan: Plan, config: TenantsConfig, project: ProjectEnvironment): Promise<string[]> {
  const skipped = new Set((plan.notPlanned ?? []).map((n) => n.database));
  const targets = targetsOf({ config, ...project }, plan.databases).filter((t) => !skipped.has(t.config.name));
  const warnings = await Promise.all(
    targets.map(async (target) => {
      const database = target.config;
      const client = await connect(target, 'plan (privileges)');
      try {
        const { role, missing } = await missingPrivileges(client, plan, database.name, config.metadataSchema);
        if (missing.length === 0) return null;
        return `Warning: tm apply of this plan as role ${quoteIdent(role)} would be refused on database "${database.name}", which lacks:\n${describeMissing(missing)}`;
      } finally {
        await client.end().catch(() => {});
      }
    }),
  );
  return warnings.filter((w): w is string => w !== null);
}
