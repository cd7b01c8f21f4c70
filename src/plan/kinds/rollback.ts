/**
 * `tm rollback <name> --schema <s>`: one schema back to the model history
 * recorded before `<name>` was applied, undoing every later plan too, with
 * the data those plans dropped or cut put back from their backups.
 *
 * The plan is an ordinary one-tenant plan: the diff from the schema's current
 * model to the recorded one, plus restore steps placed where they can run:
 *
 *   re-created table   INSERT … SELECT from its backup, right after its CREATE TABLE
 *                      (foreign keys are added later, so the order of tables does not matter)
 *   re-added column    added nullable, UPDATE … FROM its backup by row key, then SET NOT NULL
 *   column cut short   UPDATE … FROM its backup at the end (narrowed type, removed enum values)
 *   sequences          set past the highest restored value, at the end
 *
 * What each undone plan lost is worked out again from the recorded models
 * (the same rule the planner uses to decide backups), so a loss without a
 * backup (`--skip-backup`, or pruned) is found and refused before anything
 * runs, unless `--schema-only` says to bring the objects back empty.
 */
import { introspectSnapshot } from '../../catalog/introspect.js';
import { emptySchemaModel, type SchemaModel } from '../../catalog/model.js';
import { backupSchemaName } from '../../config/tmSchemas.js';
import { connect } from '../../db/connect.js';
import { diffSchemas } from '../../diff/diff.js';
import { addColumnSql, conversionStep } from '../../diff/columnSql.js';
import { makeStep, type Hazard, type Step } from '../../diff/step.js';
import { objectLabel, ref, type ObjectRef } from '../../catalog/objectRef.js';
import { TmError } from '../../errors.js';
import { restoreColumnSql, restoreTableSql, type BackupRow } from '../../meta/backups.js';
import type { AppliedPlan } from '../../meta/history.js';
import { MetadataStore } from '../../meta/store.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { buildPlan } from '../build.js';
import { selectFleet } from '../../fleet/select.js';
import type { FleetContext } from '../planner.js';
import type { BackupTarget, HistoryRef, Plan, RollbackInfo } from '../types.js';
import { backupTargets, rowKey } from './backupTargets.js';
import { reseal, schemaSource } from './seal.js';

const q = quoteIdent;

export interface RollbackOptions {
  /** A migration name (the latest applied with that name) or a plan id. */
  name: string;
  schema: string;
  databases: string[];
  lockTimeoutMs: number;
  skipBackup: boolean;
  /** Roll the schema back without putting data back (objects whose backup is missing come back empty). */
  schemaOnly: boolean;
}

function historyRef(row: AppliedPlan): HistoryRef {
  return { planId: row.planId, kind: row.kind, name: row.name, appliedAt: new Date(row.appliedAt).toISOString() };
}

/** Labels, for messages and the restores list. */
const tableObject = (table: string) => objectLabel(ref.table(table));
const columnObject = (table: string, column: string) => objectLabel(ref.column(table, column));

/** Does the step change this table, or this column? (By its target: labels are for people.) */
const onTable = (s: Step, table: string) => s.target.kind === 'table' && s.target.name === table;
const onColumn = (s: Step, table: string, column: string) => s.target.kind === 'column' && s.target.table === table && s.target.name === column;

/** Where a value comes from: a backup, and the key columns its rows are matched by. */
interface Source {
  backup: BackupRow;
  key: string[];
}

type Found = { source: Source } | { problem: string } | null;

export async function planRollback(context: FleetContext, options: RollbackOptions): Promise<Plan> {
  const metadataSchema = context.config.metadataSchema;
  const { schema } = options;

  // The database the schema is a tenant of.
  const selected = await selectFleet(context, { databases: options.databases, schemas: [] }, { purpose: 'rollback (plan)', doing: 'planning' });
  await Promise.all(selected.map((d) => d.client.end()));
  const holders = selected.filter((d) => d.schemas.includes(schema)).map((d) => d.target);
  if (holders.length === 0) {
    throw new TmError(`Not a tenant in tenants.yaml (listed or discovered): ${schema}.`, 'Give the --schema of a tenant tm manages.');
  }
  if (holders.length > 1) {
    throw new TmError(`${schema} is a tenant of several databases (${holders.map((h) => h.config.name).join(', ')}).`, 'Choose one with --database.');
  }
  const target = holders[0];
  const database = target.config.name;

  let current: SchemaModel | undefined;
  let history: AppliedPlan[];
  let backups: BackupRow[];
  let at: number;
  const client = await connect(target, 'rollback (plan)');
  try {
    current = (await introspectSnapshot(client, [schema])).get(schema);
    if (!current) throw new TmError(`${schema} does not exist in database "${database}": there is nothing to roll back.`, '`tm status` lists the tenant schemas and what was applied to each.');
    const meta = new MetadataStore(client, metadataSchema);
    history = await meta.history.ofTenant(schema);
    at = history.map((h) => h.planId === options.name || h.name === options.name).lastIndexOf(true);
    if (at < 0) {
      const names = history.slice(-10).map((h) => (h.kind === 'migrate' ? h.name : `${h.name} (${h.kind})`));
      throw new TmError(
        `${schema} has no applied plan named "${options.name}".`,
        history.length ? `Its latest plans, oldest first: ${names.join(', ')}.` : 'tm has not applied any plan to it.',
      );
    }
    backups = await meta.backups.list({ tenants: [schema], planIds: history.slice(at).map((h) => h.planId) });
  } finally {
    await client.end();
  }

  const undone = history.slice(at);
  const goal = undone[0].beforeModel ?? emptySchemaModel();
  const now = current;

  // What each undone plan lost, by the planner's own rule, and the backups it took.
  const lost: BackupTarget[][] = undone.map((row, k) => {
    if (!row.beforeModel) return [];
    const after = k + 1 < undone.length ? undone[k + 1].beforeModel ?? emptySchemaModel() : now;
    return backupTargets(row.beforeModel, diffSchemas(row.beforeModel, after));
  });
  const backupOf = (k: number, table: string, column: string | null): BackupRow | undefined =>
    backups
      .filter((b) => b.planId === undone[k].planId && b.table === table && b.column === column)
      .sort((a, b) => b.id - a.id)[0];
  const why = (k: number, object: string) =>
    `${object} was ${undone[k].skipBackup ? 'changed without a backup by' : 'backed up by'} ${undone[k].name} (${undone[k].planId})${
      undone[k].skipBackup ? ', applied with --skip-backup' : ', but that backup no longer exists (pruned?)'
    }`;

  /** Where the values of a column come from: the first undone plan that dropped or cut it (or dropped its table). */
  const findColumn = (table: string, column: string, options: { lossyOnly: boolean; columnBackupsOnly: boolean }): Found => {
    const key = rowKey(goal.tables[table]);
    for (let k = 0; k < undone.length; k++) {
      const asColumn = lost[k].find((t) => t.table === table && t.column === column);
      const asTable = options.columnBackupsOnly ? undefined : lost[k].find((t) => t.table === table && t.object === 'table');
      const columnBackup = backupOf(k, table, column);
      const tableBackup = options.columnBackupsOnly ? undefined : backupOf(k, table, null);
      if (!asColumn && !asTable && !columnBackup && !tableBackup) continue;
      if (options.lossyOnly && !undone.slice(k).some((_, i) => lost[k + i].some((t) => t.table === table && t.column === column && t.dataLoss))) return null;
      if (columnBackup) {
        if (columnBackup.key.length === 0) return { problem: `${columnObject(table, column)} was backed up by ${undone[k].name} without a row key to match its values by` };
        return { source: { backup: columnBackup, key: columnBackup.key } };
      }
      if (tableBackup && tableBackup.columns.includes(column)) {
        if (key.length === 0 || !key.every((c) => tableBackup.columns.includes(c))) {
          return { problem: `${columnObject(table, column)} is in a backup of its table by ${undone[k].name} that lacks the row key to match its values by` };
        }
        return { source: { backup: tableBackup, key } };
      }
      return { problem: why(k, columnObject(table, column)) };
    }
    return null;
  };
  const findTable = (table: string): Found => {
    for (let k = 0; k < undone.length; k++) {
      const backup = backupOf(k, table, null);
      if (backup) return { source: { backup, key: [] } };
      if (lost[k].some((t) => t.table === table && t.object === 'table')) return { problem: why(k, tableObject(table)) };
    }
    return null;
  };

  const plan = buildPlan({
    kind: 'rollback',
    name: undone[0].name,
    createdAt: new Date(),
    schema: await schemaSource(context),
    databases: [{ name: database, desired: goal, tenants: [{ schema, model: now }] }],
    lockTimeoutMs: options.lockTimeoutMs,
    skipBackup: options.skipBackup,
    scope: { schemas: [schema], databases: [database] },
  });

  const info: RollbackInfo = { database, schema, target: historyRef(undone[0]), undoes: undone.map(historyRef), restores: [], notes: [] };
  if (!undone[0].beforeModel) info.notes.push(`${schema} did not exist before ${undone[0].name}: it is emptied, not dropped.`);
  const cohort = plan.cohorts[0];
  if (!cohort) return reseal({ ...plan, rollback: info });

  const backupSchema = backupSchemaName(metadataSchema);
  const steps: Step[] = [...cohort.steps];
  const atEnd: Step[] = [];
  const problems: string[] = [];
  const typed = (table: string, column: string) => ({ name: column, type: goal.tables[table].columns[column].type });
  const place = (after: (s: Step) => boolean, added: Step[]) => {
    const index = steps.findIndex(after);
    if (index < 0) atEnd.unshift(...added);
    else steps.splice(index + 1, 0, ...added);
  };
  const restoredColumns: { table: string; column: string }[] = [];

  const columnRestore = (table: string, column: string, source: Source): Step[] => {
    const c = goal.tables[table].columns[column];
    const sql = restoreColumnSql(backupSchema, source.backup.backupTable, table, typed(table, column), source.key.map((k) => typed(table, k)));
    info.restores.push({ object: columnObject(table, column), fromPlanId: source.backup.planId, backupTable: source.backup.backupTable, rows: source.backup.rows });
    restoredColumns.push({ table, column });
    const restore = step('alter', ref.data(table, column), sql);
    if (c.identity !== 'always') return [restore];
    // An identity column GENERATED ALWAYS takes no values from UPDATE: by default for the time of the restore.
    const alter = (what: string) => step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} ${what}`);
    return [alter('SET GENERATED BY DEFAULT'), restore, alter('SET GENERATED ALWAYS')];
  };
  /**
   * A column a lossy conversion changed, converted back: converting the
   * current values again would not give the old ones (a rounded bigint may
   * not even fit). The backed-up values go into a staging column of the old
   * type first; the conversion takes a row's staged value, and converts only
   * rows the backup does not have (added since).
   */
  const convertBackFromBackup = (table: string, column: string, source: Source) => {
    const at = steps.findIndex((s) => onColumn(s, table, column) && s.conversion !== undefined);
    if (at < 0) {
      atEnd.push(...columnRestore(table, column, source));
      return;
    }
    const existing = new Set([...Object.keys(goal.tables[table].columns), ...Object.keys(now.tables[table].columns)]);
    let staging = 'tm_rollback_value';
    for (let n = 2; existing.has(staging); n++) staging = `tm_rollback_value_${n}`;
    const want = goal.tables[table].columns[column];
    // The same conversion, taking a row's staged value where the backup has one.
    const convert = steps[at];
    const conversion = convert.conversion!;
    steps.splice(
      at,
      1,
      step('create', ref.column(table, staging), `ALTER TABLE ${q(table)} ADD COLUMN ${q(staging)} ${want.type}`),
      step('alter', ref.data(table, column), restoreColumnSql(backupSchema, source.backup.backupTable, table, typed(table, column), source.key.map((k) => typed(table, k)), staging)),
      conversionStep(table, column, { ...conversion, using: `COALESCE(${q(staging)}, ${conversion.using})` }, convert.hazards),
      step('drop', ref.column(table, staging), `ALTER TABLE ${q(table)} DROP COLUMN ${q(staging)}`),
    );
    info.restores.push({ object: columnObject(table, column), fromPlanId: source.backup.planId, backupTable: source.backup.backupTable, rows: source.backup.rows });
    restoredColumns.push({ table, column });
  };
  const handle = (found: Found, object: string, onSource: (source: Source) => void) => {
    if (found === null) return false;
    if ('problem' in found) {
      if (options.schemaOnly) info.notes.push(`Not restored (--schema-only): ${found.problem}.`);
      else problems.push(found.problem);
      return false;
    }
    if (options.schemaOnly) {
      info.notes.push(`Not restored (--schema-only): ${object}, backed up by ${found.source.backup.planId} (${found.source.backup.rows} rows).`);
      return false;
    }
    onSource(found.source);
    return true;
  };

  // Tables the rollback creates again.
  for (const table of Object.keys(goal.tables).filter((t) => !(t in now.tables)).sort()) {
    const found = findTable(table);
    if (found === null) {
      info.notes.push(`${tableObject(table)} comes back empty: no plan after ${undone[0].name} dropped it with tm (dropped by hand?).`);
      continue;
    }
    handle(found, tableObject(table), ({ backup }) => {
      const columns = Object.keys(goal.tables[table].columns)
        .sort()
        .filter((c) => goal.tables[table].columns[c].generated === null && backup.columns.includes(c));
      const added: Step[] = [
        step('create', ref.data(table, null), restoreTableSql(backupSchema, backup.backupTable, table, columns.map((c) => typed(table, c)))),
      ];
      info.restores.push({ object: tableObject(table), fromPlanId: backup.planId, backupTable: backup.backupTable, rows: backup.rows });
      restoredColumns.push(...columns.map((column) => ({ table, column })));
      // Columns the table backup does not have (dropped earlier than the table): from their own backups.
      for (const column of Object.keys(goal.tables[table].columns).sort()) {
        if (columns.includes(column) || goal.tables[table].columns[column].generated !== null) continue;
        const own = findColumn(table, column, { lossyOnly: false, columnBackupsOnly: true });
        if (own === null) info.notes.push(`${columnObject(table, column)} comes back with its default: its table's backup does not have it.`);
        else handle(own, columnObject(table, column), (source) => added.push(...columnRestore(table, column, source)));
      }
      place((s) => s.action === 'create' && onTable(s, table), added);
    });
  }

  // Columns of kept tables: re-added, or changed back to a type that held more.
  for (const table of Object.keys(goal.tables).filter((t) => t in now.tables).sort()) {
    for (const column of Object.keys(goal.tables[table].columns).sort()) {
      const want = goal.tables[table].columns[column];
      const have = now.tables[table].columns[column];
      if (want.generated !== null) continue;
      // Re-added: the column is gone, or the way back drops and adds it (a type Prisma does not convert).
      const readded = !have || steps.some((s) => s.action === 'drop' && onColumn(s, table, column));
      if (readded) {
        const found = findColumn(table, column, { lossyOnly: false, columnBackupsOnly: false });
        if (found === null) {
          if (!have) info.notes.push(`${columnObject(table, column)} comes back with its default: no plan after ${undone[0].name} dropped it with tm.`);
          continue;
        }
        handle(found, columnObject(table, column), (source) => {
          const added = columnRestore(table, column, source);
          const addStep = (s: Step) => s.action === 'create' && onColumn(s, table, column);
          const index = steps.findIndex(addStep);
          if (index >= 0 && want.notNull && want.default === null && want.identity === null) {
            // Added nullable, filled, then required: rows added since the migration have no old value.
            steps[index] = step('create', ref.column(table, column), addColumnSql(table, column, { ...want, notNull: false }));
            added.push(
              step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} SET NOT NULL`, [
                { type: 'MAY_FAIL_ON_DATA', message: `fails if rows added to ${q(table)} since ${undone[0].name} have no value for ${q(column)}` },
                { type: 'ACCESS_EXCLUSIVE_LOCK', message: `locks table ${q(table)} while every row is checked` },
              ]),
            );
          }
          place(addStep, added);
        });
      } else if (have.type !== want.type || have.collation !== want.collation) {
        // Converted back: the values a lossy conversion changed come from the backup, not from converting them again.
        const found = findColumn(table, column, { lossyOnly: true, columnBackupsOnly: false });
        handle(found, columnObject(table, column), (source) => convertBackFromBackup(table, column, source));
      }
    }
  }

  if (problems.length) {
    throw new TmError(
      `Cannot roll back ${schema} to before ${undone[0].name} with its data: ${problems.join('; ')}.`,
      'Restore that data by hand, or roll back with --schema-only to bring those objects back without it.',
    );
  }

  // Sequences past the highest value put back (serial and identity columns).
  for (const { table, column } of restoredColumns) {
    const c = goal.tables[table].columns[column];
    if (c.identity === null && !/\bnextval\(/.test(c.default ?? '')) continue;
    atEnd.push(
      step(
        'alter',
        ref.columnSequence(table, column),
        `SELECT setval(pg_get_serial_sequence(${quoteLiteral(q(table))}, ${quoteLiteral(column)}), max(${q(column)})) FROM ${q(table)} HAVING max(${q(column)}) IS NOT NULL`,
      ),
    );
  }

  const cohorts = [{ ...cohort, steps: [...steps, ...atEnd] }];
  return reseal({ ...plan, cohorts, rollback: info });
}

function step(action: Step['action'], target: ObjectRef, sql: string, hazards: Hazard[] = []): Step {
  return makeStep(action, target, sql, hazards);
}
