/**
 * Diff and hazard rules as a pure function: hand-made models, no database.
 */
import { expect } from 'chai';
import { emptySchemaModel, type ColumnModel, type SchemaModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';

function column(type: string, extra: Partial<ColumnModel> = {}): ColumnModel {
  return { type, notNull: false, default: null, identity: null, generated: null, collation: null, ...extra };
}

function model(build: (m: SchemaModel) => void): SchemaModel {
  const m = emptySchemaModel();
  build(m);
  return m;
}

const withUserAndRole = (values: string[], roleDefault: string | null = null) =>
  model((m) => {
    m.enums.Role = { values };
    m.tables.User = { columns: { id: column('integer', { notNull: true }), role: column('"Role"', { default: roleDefault }) }, constraints: {}, indexes: {} };
  });

describe('diff rules (no database)', () => {
  it('widening a varchar is a step without hazards; narrowing it is data loss', () => {
    const at = (type: string) => model((m) => (m.tables.T = { columns: { c: column(type) }, constraints: {}, indexes: {} }));
    const widen = diffSchemas(at('character varying(10)'), at('character varying(20)'));
    expect(widen).to.have.length(1);
    expect(widen[0].hazards).to.deep.equal([]);
    const narrow = diffSchemas(at('character varying(20)'), at('character varying(10)'));
    expect(narrow[0].hazards.map((h) => h.type)).to.include('DATA_LOSS');
  });

  it('adds foreign keys after every table exists, and never creates a table twice', () => {
    const to = model((m) => {
      m.tables.A = {
        columns: { id: column('integer', { notNull: true }), b: column('integer') },
        constraints: {
          A_pkey: { kind: 'primary key', definition: 'PRIMARY KEY (id)', columns: ['id'], references: null, deferrable: false, initiallyDeferred: false, validated: true },
          A_b_fkey: { kind: 'foreign key', definition: 'FOREIGN KEY (b) REFERENCES "B"(id)', columns: ['b'], references: 'B', deferrable: false, initiallyDeferred: false, validated: true },
        },
        indexes: {},
      };
      m.tables.B = {
        columns: { id: column('integer', { notNull: true }) },
        constraints: { B_pkey: { kind: 'primary key', definition: 'PRIMARY KEY (id)', columns: ['id'], references: null, deferrable: false, initiallyDeferred: false, validated: true } },
        indexes: {},
      };
    });
    const sql = diffSchemas(emptySchemaModel(), to).map((s) => s.sql);
    const fk = sql.findIndex((s) => s.includes('A_b_fkey'));
    expect(fk).to.be.greaterThan(sql.findIndex((s) => s.startsWith('CREATE TABLE "B"')));
    expect(fk).to.be.greaterThan(sql.findIndex((s) => s.startsWith('CREATE TABLE "A"')));
    expect(sql.filter((s) => s.startsWith('CREATE TABLE'))).to.have.length(2);
  });

  it('adds an enum value in place, but rebuilds the enum when the new value becomes a default in the same plan', () => {
    const plain = diffSchemas(withUserAndRole(['A', 'B']), withUserAndRole(['A', 'B', 'C']));
    expect(plain.map((s) => s.sql)).to.deep.equal([`ALTER TYPE "Role" ADD VALUE 'C'`]);
    // PostgreSQL refuses to use a value in the transaction that added it: rebuild instead.
    const used = diffSchemas(withUserAndRole(['A', 'B']), withUserAndRole(['A', 'B', 'C'], `'C'::"Role"`)).map((s) => s.sql);
    expect(used[0]).to.equal(`CREATE TYPE "Role_new" AS ENUM ('A', 'B', 'C')`);
    expect(used).to.include(`ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'C'::"Role"`);
    expect(used.join('\n')).not.to.contain('ADD VALUE');
  });

  it('leaves out DROP SEQUENCE for a sequence that went with its table', () => {
    const from = model((m) => {
      m.tables.T = { columns: { id: column('integer', { default: `nextval('"T_id_seq"'::regclass)` }) }, constraints: {}, indexes: {} };
      m.sequences.T_id_seq = { dataType: 'integer', start: '1', increment: '1', min: '1', max: '2147483647', cache: '1', cycle: false, ownedBy: { table: 'T', column: 'id' } };
    });
    expect(diffSchemas(from, emptySchemaModel()).map((s) => s.sql)).to.deep.equal(['DROP TABLE "T"']);
  });

  it('quotes every identifier, whatever it contains', () => {
    const to = model((m) => (m.tables['we"ird; DROP'] = { columns: { 'a b': column('text') }, constraints: {}, indexes: {} }));
    expect(diffSchemas(emptySchemaModel(), to)[0].sql).to.equal('CREATE TABLE "we""ird; DROP" (\n    "a b" text\n)');
  });

  it('gives nothing for equal models', () => {
    expect(diffSchemas(withUserAndRole(['A']), withUserAndRole(['A']))).to.deep.equal([]);
  });
});
