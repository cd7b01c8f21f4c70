/** Which data a plan backs up (pure): from the model before the steps and the steps' hazards. */
import { expect } from 'chai';
import { backupTableName } from '../../src/meta/backups.js';
import { emptySchemaModel, type ColumnModel, type SchemaModel, type TableModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { backupTargets, rowKey } from '../../src/plan/kinds/backupTargets.js';

const col = (type: string, notNull = true, def: string | null = null): ColumnModel => ({ type, notNull, default: def, identity: null, generated: null, collation: null });
const pk = (columns: string[]) => ({ kind: 'primary key' as const, definition: `PRIMARY KEY (${columns.join(', ')})`, columns, references: null, deferrable: false, initiallyDeferred: false, validated: true });

function model(tables: Record<string, TableModel>, enums: SchemaModel['enums'] = {}): SchemaModel {
  return { ...emptySchemaModel(), tables, enums };
}

const USER: TableModel = {
  columns: { id: col('integer'), email: col('text'), name: col('text', false), role: col('"Role"') },
  constraints: { User_pkey: pk(['id']) },
  indexes: {},
};
const BEFORE = model({ User: USER, Tag: { columns: { label: col('text') }, constraints: {}, indexes: {} } }, { Role: { values: ['A', 'B'] } });

describe('backup targets (pure)', () => {
  it('row keys: the primary key, else a plain unique index on NOT NULL columns, else none', () => {
    expect(rowKey(USER)).to.deep.equal(['id']);
    const byIndex: TableModel = {
      columns: { code: col('text'), note: col('text', false) },
      constraints: {},
      indexes: { partial: { definition: 'CREATE UNIQUE INDEX ON "T" USING btree (note) WHERE (note IS NOT NULL)', unique: true, columns: ['note'] }, t_code: { definition: 'CREATE UNIQUE INDEX ON "T" USING btree (code)', unique: true, columns: ['code'] } },
    };
    expect(rowKey(byIndex)).to.deep.equal(['code']);
    expect(rowKey({ ...byIndex, indexes: { lower: { definition: 'CREATE UNIQUE INDEX ON "T" USING btree (lower(code))', unique: true, columns: ['code'] } } })).to.deep.equal([]);
  });

  it('a dropped column with its key, a dropped table whole, enum columns as text; nothing for what only adds', () => {
    const after = model({ User: { ...USER, columns: { id: col('integer'), email: col('text'), role: col('"Role"'), added: col('integer', false, "nextval('s'::regclass)") } } }, { Role: { values: ['A', 'B'] } });
    const targets = backupTargets(BEFORE, diffSchemas(BEFORE, after));
    expect(targets).to.deep.equal([
      { object: 'table', table: 'Tag', column: null, key: [], columns: ['label'], asText: [], dataLoss: true },
      { object: 'column', table: 'User', column: 'name', key: ['id'], columns: ['id', 'name'], asText: [], dataLoss: true },
    ]);
    const reset = backupTargets(BEFORE, diffSchemas(BEFORE, emptySchemaModel()));
    expect(reset.map((t) => [t.object, t.table, t.asText])).to.deep.equal([
      ['table', 'Tag', []],
      ['table', 'User', ['role']],
    ]);
  });

  it('a narrowed column, or one re-added for a type Prisma does not convert: backed up and lossy; a keyless table copies whole rows', () => {
    const narrowed = model({ User: { ...USER, columns: { ...USER.columns, email: col('character varying(3)') } }, Tag: BEFORE.tables.Tag }, BEFORE.enums);
    expect(backupTargets(BEFORE, diffSchemas(BEFORE, narrowed))).to.deep.equal([
      { object: 'column', table: 'User', column: 'email', key: ['id'], columns: ['id', 'email'], asText: [], dataLoss: true },
    ]);
    const retyped = model({ User: { ...USER, columns: { ...USER.columns, email: col('integer') } }, Tag: { columns: { label: col('integer') }, constraints: {}, indexes: {} } }, BEFORE.enums);
    const targets = backupTargets(BEFORE, diffSchemas(BEFORE, retyped));
    expect(targets.map((t) => [t.table, t.column, t.key, t.columns, t.dataLoss])).to.deep.equal([
      ['Tag', 'label', [], ['label'], true],
      ['User', 'email', ['id'], ['id', 'email'], true],
    ]);
  });

  it('names backup tables within 63 bytes, distinct per plan, tenant and object', () => {
    const long = 'x'.repeat(63);
    const a = backupTableName('20261125T120000.000Z_drop', long, { table: long, column: long });
    expect(Buffer.byteLength(a)).to.be.at.most(63);
    expect(a).to.match(/^b[0-9a-f]{10}_x+$/);
    const names = new Set([
      backupTableName('p1', 't', { table: 'User', column: 'name' }),
      backupTableName('p2', 't', { table: 'User', column: 'name' }),
      backupTableName('p1', 'u', { table: 'User', column: 'name' }),
      backupTableName('p1', 't', { table: 'User', column: null }),
      backupTableName('p1', 't', { table: 'User', column: 'name' }, 1),
    ]);
    expect(names.size).to.equal(5);
  });
});
