/**
 * `tm drift` kind by kind: every kind a differ declares drift for
 * (src/diff/kindDrift.ts, diff.ts DRIFT_KINDS) is reported with the same
 * names, details and order as it always was, in the text view and in the JSON
 * format 1.0 (kind, name, table, detail, derived from the item's target),
 * and the JSON schema names every kind. Pure: models built in memory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ConstraintModel, SchemaModel, SequenceModel } from '../../src/catalog/model.js';
import { ref } from '../../src/catalog/objectRef.js';
import { DRIFT_KINDS } from '../../src/diff/diff.js';
import { driftItemToJson } from '../../src/output/driftJson.js';
import { driftObject } from '../../src/output/driftText.js';
import { compareModels, pruneSteps, type DriftItem } from '../../src/plan/drift.js';
import { column } from '../support/synthetic-plan.js';

const schemaFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas/drift-json-output.schema.json');

const constraint = (kind: ConstraintModel['kind'], definition: string, columns: string[]): ConstraintModel => ({
  kind,
  definition,
  columns,
  references: null,
  deferrable: false,
  initiallyDeferred: false,
  validated: true,
});
const sequence = (options: Partial<SequenceModel> = {}): SequenceModel => ({
  dataType: 'integer',
  start: '1',
  increment: '1',
  min: '1',
  max: '2147483647',
  cache: '1',
  cycle: false,
  ownedBy: null,
  ...options,
});

/** A database with one of everything changed by hand, against its Prisma folder. */
function models(): { actual: SchemaModel; desired: SchemaModel } {
  const actual: SchemaModel = {
    tables: {
      Zed: { columns: { id: column('integer') }, constraints: {}, indexes: {} },
      User: {
        columns: { id: column('integer'), legacy: column('integer', false) },
        constraints: { User_legacy_check: constraint('check', 'CHECK (legacy > 0)', ['legacy']), User_u: constraint('unique', 'UNIQUE (id)', ['id']) },
        indexes: {
          User_legacy_idx: { definition: 'CREATE INDEX ON "User" USING btree (legacy)', unique: false, columns: ['legacy'] },
          User_pair_idx: { definition: 'CREATE INDEX ON "User" USING btree (legacy)', unique: false, columns: ['legacy'] },
        },
      },
    },
    enums: {},
    sequences: { s_extra: sequence(), s_changed: sequence({ increment: '2', ownedBy: { table: 'User', column: 'id' } }) },
    views: { mv_extra: { definition: 'SELECT 1', materialized: true }, v_changed: { definition: 'SELECT 2', materialized: true } },
    comments: {
      'table "Zed"': { on: { kind: 'table', table: 'Zed' }, text: 'zed' },
      'column "User"."id"': { on: { kind: 'column', table: 'User', column: 'id' }, text: 'old "id"' },
    },
  };
  const desired: SchemaModel = {
    tables: {
      User: {
        columns: { id: column('integer') },
        constraints: { User_u: constraint('primary key', 'PRIMARY KEY (id)', ['id']) },
        indexes: { User_pair_idx: { definition: 'CREATE INDEX ON "User" USING btree (id)', unique: false, columns: ['id'] } },
      },
    },
    enums: {},
    sequences: { s_changed: sequence() },
    views: { v_changed: { definition: 'SELECT 3', materialized: false }, v_missing: { definition: 'SELECT 4', materialized: false } },
    comments: {
      'column "User"."id"': { on: { kind: 'column', table: 'User', column: 'id' }, text: 'new id' },
      'table "User"': { on: { kind: 'table', table: 'User' }, text: 'users' },
    },
  };
  return { actual, desired };
}

const lines = (items: DriftItem[]) => items.map((x) => `${driftObject(x)}${x.detail ? `: ${x.detail}` : ''}`);

describe('tm drift, kind by kind (pure)', () => {
  it('reports every kind by name, in the order and with the labels and details it always had', () => {
    const { actual, desired } = models();
    const drift = compareModels(actual, desired);
    expect(lines(drift.extra)).to.deep.equal([
      'table "Zed": 1 columns',
      'column "User"."legacy": integer',
      'constraint "User_legacy_check" on "User": CHECK (legacy > 0)',
      'index "User_legacy_idx" on "User": CREATE INDEX ON "User" USING btree (legacy)',
      'sequence "s_extra"',
      'view "mv_extra": materialized',
      'comment on table "Zed": "zed"',
    ]);
    expect(lines(drift.missing)).to.deep.equal(['view "v_missing"', 'comment on table "User": "users"']);
    expect(lines(drift.changed)).to.deep.equal([
      'constraint "User_u" on "User": kind unique → primary key; definition UNIQUE (id) → PRIMARY KEY (id)',
      'index "User_pair_idx" on "User": definition CREATE INDEX ON "User" USING btree (legacy) → CREATE INDEX ON "User" USING btree (id)',
      'sequence "s_changed": increment 2 → 1; owned by User.id → none',
      'view "v_changed": materialized true → false; definition differs',
      'comment on column "User"."id": text "old \\"id\\"" → "new id"',
    ]);
  });

  it('carries each object as an ObjectRef, from which the JSON names it: kind, name, the table it is in', () => {
    const { actual, desired } = models();
    const drift = compareModels(actual, desired);
    expect(drift.extra.map((x) => x.target)).to.deep.include.members([
      ref.constraint('User', 'User_legacy_check', 'check'),
      ref.view('mv_extra', true),
      ref.comment({ kind: 'table', table: 'Zed' }),
    ]);
    expect(drift.changed.map(driftItemToJson)).to.deep.equal([
      { kind: 'constraint', name: 'User_u', table: 'User', detail: 'kind unique → primary key; definition UNIQUE (id) → PRIMARY KEY (id)' },
      { kind: 'index', name: 'User_pair_idx', table: 'User', detail: 'definition CREATE INDEX ON "User" USING btree (legacy) → CREATE INDEX ON "User" USING btree (id)' },
      { kind: 'sequence', name: 's_changed', table: null, detail: 'increment 2 → 1; owned by User.id → none' },
      { kind: 'view', name: 'v_changed', table: null, detail: 'materialized true → false; definition differs' },
      { kind: 'comment', name: 'id', table: 'User', detail: 'text "old \\"id\\"" → "new id"' },
    ]);
    expect(drift.extra.map(driftItemToJson).slice(-1)).to.deep.equal([{ kind: 'comment', name: 'Zed', table: null, detail: '"zed"' }]);
  });

  it('prunes the extras of every kind, and an index on a dropped column with it (not the changed ones otherwise)', () => {
    const { actual, desired } = models();
    const steps = pruneSteps(actual, compareModels(actual, desired));
    expect(steps.map((s) => s.sql)).to.have.members([
      'DROP MATERIALIZED VIEW "mv_extra"',
      'ALTER TABLE "User" DROP CONSTRAINT "User_legacy_check"',
      'DROP INDEX "User_legacy_idx"',
      'DROP INDEX "User_pair_idx"',
      'DROP TABLE "Zed"',
      'ALTER TABLE "User" DROP COLUMN "legacy"',
      'DROP SEQUENCE "s_extra"',
    ]);
  });

  it('the JSON schema names every kind drift compares', () => {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
    expect(schema.definitions.item.properties.kind.enum).to.have.members(DRIFT_KINDS.map((k) => k.kind));
  });
});
