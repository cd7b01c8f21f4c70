/**
 * Plans built in memory with buildPlan, no database: a fixed plan for the
 * golden files (fixed createdAt, so byte-identical output), and fleets of any
 * size for the `tm show` speed test and bench.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ColumnModel, ConstraintModel, SchemaModel, TableModel } from '../../src/catalog/model.js';
import { emptySchemaModel } from '../../src/catalog/model.js';
import { buildPlan, type DatabaseState } from '../../src/plan/build.js';
import { writePlan } from '../../src/plan/file.js';
import type { Plan } from '../../src/plan/types.js';

export const FIXED_CREATED_AT = new Date('2026-11-25T12:00:00.000Z');

export function column(type: string, notNull = true, defaultValue: string | null = null): ColumnModel {
  return { type, notNull, default: defaultValue, identity: null, generated: null, collation: null };
}

function constraint(kind: ConstraintModel['kind'], definition: string, columns: string[], references: string | null = null): ConstraintModel {
  return { kind, definition, columns, references, deferrable: false, initiallyDeferred: false, validated: true };
}

function table(name: string, columns: Record<string, ColumnModel>, extra: Partial<TableModel> = {}): TableModel {
  return {
    columns,
    constraints: { [`${name}_pkey`]: constraint('primary key', 'PRIMARY KEY (id)', ['id']), ...extra.constraints },
    indexes: { ...extra.indexes },
  };
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** Where the golden fleet's tenants start: a User table. */
export function goldenOld(): SchemaModel {
  return { ...emptySchemaModel(), tables: { User: table('User', { id: column('integer'), email: column('text') }) } };
}

/** What the golden Prisma folder says: a Role enum, two new columns, a unique index and an Order table with a foreign key. */
export function goldenDesired(): SchemaModel {
  return {
    ...emptySchemaModel(),
    enums: { Role: { values: ['OWNER', 'ADMIN', 'MEMBER'] } },
    tables: {
      User: table(
        'User',
        { id: column('integer'), email: column('text'), name: column('text', false), role: column('"Role"', true, `'MEMBER'::"Role"`) },
        { indexes: { User_email_key: { definition: 'CREATE UNIQUE INDEX ON "User" USING btree (email)', unique: true, columns: ['email'] } } },
      ),
      Order: table(
        'Order',
        { id: column('text'), userId: column('integer'), placedAt: column('timestamp(3) without time zone', true, 'CURRENT_TIMESTAMP') },
        {
          constraints: {
            Order_userId_fkey: constraint('foreign key', 'FOREIGN KEY ("userId") REFERENCES "User"(id) ON UPDATE CASCADE ON DELETE CASCADE', ['userId'], 'User'),
          },
        },
      ),
    },
  };
}

/**
 * The golden plan: 24 tenants in the usual state (c1), 2 listed but not
 * created (c2), one changed by hand with an extra column (c3, an outlier
 * whose plan drops it: DATA_LOSS), one already up to date.
 */
export function goldenPlan(): Plan {
  const old = goldenOld();
  const drifted = clone(old);
  drifted.tables.User.columns.legacy = column('integer', false);
  const tenants: DatabaseState['tenants'] = [];
  for (let i = 1; i <= 24; i++) tenants.push({ schema: `tenant_${String(i).padStart(3, '0')}`, model: clone(old) });
  tenants.push({ schema: 'tenant_new_a', model: undefined }, { schema: 'tenant_new_b', model: undefined });
  tenants.push({ schema: 'tenant_legacy', model: drifted });
  tenants.push({ schema: 'tenant_done', model: goldenDesired() });
  return buildPlan({
    kind: 'migrate',
    name: 'add_orders',
    createdAt: FIXED_CREATED_AT,
    schema: {
      folder: 'prisma/schema',
      files: ['prisma/schema/schema.prisma', 'prisma/schema/user.prisma', 'prisma/schema/order.prisma'],
      hash: 'sha256:' + 'ab'.repeat(32),
      text: '// the merged Prisma schema',
    },
    databases: [{ name: 'main', desired: goldenDesired(), tenants }],
    lockTimeoutMs: 5000,
  });
}

/** A fleet of `count` identical tenants (`tenant_00000`…) with one change of ten tables: one cohort. */
export function identicalFleetPlan(count: number, tables = 10): Plan {
  const before: SchemaModel = emptySchemaModel();
  for (let t = 0; t < tables; t++) {
    before.tables[`Model${t}`] = table(`Model${t}`, { id: column('integer'), name: column('text'), status: column('text', true, `'new'::text`) });
  }
  const after = clone(before);
  after.tables.Model0.columns.note = column('text', false);
  after.tables.Model0.indexes.Model0_note_idx = { definition: 'CREATE INDEX ON "Model0" USING btree (note)', unique: false, columns: ['note'] };
  const tenants = Array.from({ length: count }, (_, i) => ({ schema: `tenant_${String(i).padStart(5, '0')}`, model: before }));
  return buildPlan({
    kind: 'migrate',
    name: 'add_note',
    createdAt: FIXED_CREATED_AT,
    schema: { folder: 'prisma/schema', files: ['prisma/schema/models.prisma'], hash: 'sha256:' + 'cd'.repeat(32), text: '// models' },
    databases: [{ name: 'main', desired: after, tenants }],
    lockTimeoutMs: 5000,
  });
}

/** Writes a plan to a fresh temp folder; returns the file's path. */
export function writeTempPlan(plan: Plan, prefix = 'tm-show-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, `${plan.id}.plan.json`);
  writePlan(file, plan);
  return file;
}

