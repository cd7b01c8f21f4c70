/**
 * The type-change rules as a pure function (the matrix test runs them on a
 * real server): the cases reported from real projects.
 */
import { expect } from 'chai';
import { emptySchemaModel, type ColumnModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { typeChange } from '../../src/diff/typeChange.js';

const noEnums = () => false;
const change = (from: string, to: string) => typeChange(from, to, noEnums);

describe('type-change rules (no database)', () => {
  it('drops and re-adds where Prisma does: no cast PostgreSQL lacks is ever planned', () => {
    for (const [from, to] of [
      ['timestamp(3) without time zone', 'boolean'],
      ['timestamp(3) without time zone', 'integer'],
      ['integer', 'timestamp(3) without time zone'],
      ['integer', 'jsonb'],
      ['boolean', 'numeric(65,30)'],
      ['text', 'integer'],
      ['integer', 'integer[]'],
    ]) {
      expect(change(from, to), `${from} → ${to}`).to.deep.equal({ kind: 'recreate' });
    }
    expect(typeChange('"Role"', 'text', (t) => t === '"Role"')).to.deep.equal({ kind: 'recreate' });
  });

  it('flags every conversion that can change a value', () => {
    for (const [from, to] of [
      ['timestamp(3) with time zone', 'date'],
      ['bigint', 'double precision'],
      ['double precision', 'real'],
      ['numeric(38,18)', 'integer'],
      ['double precision', 'integer'],
      ['text', 'character varying(5)'],
      ['integer', 'real'],
      ['json', 'jsonb'],
      ['character(10)', 'text'],
      ['timestamp(6) without time zone', 'timestamp(3) without time zone'],
      ['timestamp(3) without time zone', 'timestamp(3) with time zone'],
      ['numeric(10,2)', 'numeric(10,3)'],
    ]) {
      const result = change(from, to);
      expect(result, `${from} → ${to}`).to.deep.include({ kind: 'cast', keepsValues: false });
    }
  });

  it('leaves only proven-lossless conversions unflagged, and knows which need no rewrite', () => {
    const lossless = (from: string, to: string, inPlace: boolean) => expect(change(from, to), `${from} → ${to}`).to.deep.equal({ kind: 'cast', keepsValues: true, inPlace });
    lossless('integer', 'bigint', false);
    lossless('smallint', 'integer', false);
    lossless('character varying(10)', 'character varying(20)', true);
    lossless('character varying(10)', 'text', true);
    lossless('numeric(10,2)', 'numeric(12,2)', true);
    lossless('numeric(10,2)', 'numeric(12,4)', false);
    lossless('timestamp(3) without time zone', 'timestamp(6) without time zone', true);
    lossless('integer', 'text', false);
    lossless('integer', 'numeric(65,30)', false);
    lossless('real', 'double precision', false);
  });

  it('sees no change where Prisma sees none', () => {
    expect(change('timestamp without time zone', 'timestamp(6) without time zone')).to.deep.equal({ kind: 'none' });
    expect(change('integer', 'integer')).to.deep.equal({ kind: 'none' });
  });

  it('plans a Boolean over a timestamp column as drop + add with DATA_LOSS, as Prisma does', () => {
    const column = (type: string): ColumnModel => ({ type, notNull: false, default: null, identity: null, generated: null, collation: null });
    const from = emptySchemaModel();
    const to = emptySchemaModel();
    from.tables.user = { columns: { id: column('integer'), email_verified: column('timestamp(3) without time zone') }, constraints: {}, indexes: {} };
    to.tables.user = { columns: { id: column('integer'), email_verified: column('boolean') }, constraints: {}, indexes: {} };
    const steps = diffSchemas(from, to);
    expect(steps.map((s) => s.sql)).to.deep.equal(['ALTER TABLE "user" DROP COLUMN "email_verified"', 'ALTER TABLE "user" ADD COLUMN "email_verified" boolean']);
    expect(steps[0].hazards.map((h) => h.type)).to.deep.equal(['DATA_LOSS']);
  });
});
