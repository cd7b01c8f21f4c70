/**
 * What a step must own (src/apply/privileges.ts objectsToOwn), read from its
 * target: the table a column, constraint or index build belongs to, the
 * relation or type altered or dropped, and nothing for what a step creates.
 * Pure: hand-made models through the real diff, no database. (The refusal
 * itself, against a real server, is in test/faults/permissions.fault.ts.)
 */
import { expect } from 'chai';
import { emptySchemaModel, type ColumnModel, type SchemaModel, type SequenceModel } from '../../src/catalog/model.js';
import { objectsToOwn } from '../../src/apply/privileges.js';
import { diffSchemas } from '../../src/diff/diff.js';

function column(type: string, extra: Partial<ColumnModel> = {}): ColumnModel {
  return { type, notNull: false, default: null, identity: null, generated: null, collation: null, ...extra };
}

function sequence(max: string): SequenceModel {
  return { dataType: 'bigint', start: '1', increment: '1', min: '1', max, cache: '1', cycle: false, ownedBy: null };
}

function model(build: (m: SchemaModel) => void): SchemaModel {
  const m = emptySchemaModel();
  build(m);
  return m;
}

describe('objects a step must own (from its target)', () => {
  it('owns what a step alters or drops, or builds an index on; nothing for what it creates', () => {
    const before = model((m) => {
      m.enums.Kind = { values: ['a'] };
      m.sequences.counter = sequence('100');
      m.views.recent = { definition: 'SELECT 1 AS one', materialized: false };
      m.tables.Gone = { columns: { id: column('integer') }, constraints: {}, indexes: {} };
      m.tables.T = {
        columns: { id: column('integer', { notNull: true }), n: column('integer'), old: column('text') },
        constraints: {},
        indexes: { T_n_idx: { definition: 'CREATE INDEX ON "T" USING btree (n)', unique: false, columns: ['n'] } },
      };
    });
    const after = model((m) => {
      m.enums.Kind = { values: ['a', 'b'] };
      m.enums.Fresh = { values: ['x'] };
      m.sequences.counter = sequence('200');
      m.views.latest = { definition: 'SELECT 2 AS two', materialized: false };
      m.tables.New = { columns: { id: column('integer') }, constraints: {}, indexes: {} };
      m.tables.T = {
        columns: { id: column('integer', { notNull: true }), n: column('bigint'), added: column('text') },
        constraints: {
          T_pkey: { kind: 'primary key', definition: 'PRIMARY KEY (id)', columns: ['id'], references: null, deferrable: false, initiallyDeferred: false, validated: true },
        },
        indexes: { T_added_idx: { definition: 'CREATE INDEX ON "T" USING btree (added)', unique: false, columns: ['added'] } },
      };
    });
    const owned = diffSchemas(before, after).map((s) => [s.sql.split(' (')[0].split(' AS ')[0], objectsToOwn(s).map((o) => `${o.kind} ${o.name}`)]);
    expect(owned).to.deep.equal([
      ['DROP VIEW "recent"', ['relation recent']],
      ['DROP INDEX "T_n_idx"', ['relation T_n_idx']],
      ['DROP TABLE "Gone"', ['relation Gone']],
      ['CREATE TYPE "Fresh"', []],
      [`ALTER TYPE "Kind" ADD VALUE 'b'`, ['type Kind']],
      ['ALTER SEQUENCE "counter"', ['relation counter']],
      ['CREATE TABLE "New"', []],
      ['ALTER TABLE "T" DROP COLUMN "old"', ['relation T']],
      ['ALTER TABLE "T" ADD COLUMN "added" text', ['relation T']],
      ['ALTER TABLE "T" ALTER COLUMN "n" TYPE bigint USING "n"::bigint', ['relation T']],
      ['ALTER TABLE "T" ADD CONSTRAINT "T_pkey" PRIMARY KEY', ['relation T']],
      ['CREATE INDEX "T_added_idx" ON "T" USING btree', ['relation T']],
      ['CREATE VIEW "latest"', []],
    ]);
  });
});
