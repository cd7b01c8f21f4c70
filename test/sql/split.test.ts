/** Splitting Prisma's rendered SQL into statements (pure). */
import { expect } from 'chai';
import { splitStatements, splitTopLevelCommas } from '../../src/sql/split.js';

describe('splitStatements (pure)', () => {
  it('splits on semicolons and drops comments and blank statements', () => {
    expect(splitStatements('-- CreateTable\nCREATE TABLE "a" (id int);\n\n/* a /* nested */ comment */ SELECT 1;;\n')).to.deep.equal([
      'CREATE TABLE "a" (id int)',
      'SELECT 1',
    ]);
  });

  it('keeps semicolons inside strings, quoted identifiers and dollar quotes', () => {
    const script = `INSERT INTO "x;y" VALUES ('a;b', 'it''s;', E'c\\';d');\nDO $body$ BEGIN PERFORM 1; END $body$;\nSELECT $$;$$`;
    expect(splitStatements(script)).to.deep.equal([
      `INSERT INTO "x;y" VALUES ('a;b', 'it''s;', E'c\\';d')`,
      'DO $body$ BEGIN PERFORM 1; END $body$',
      'SELECT $$;$$',
    ]);
  });

  it('treats a backslash as an escape only in E strings', () => {
    expect(splitStatements(`SELECT 'a\\'; SELECT 2`)).to.deep.equal([`SELECT 'a\\'`, 'SELECT 2']);
  });
});

describe('splitTopLevelCommas (pure)', () => {
  it('splits a list at commas outside parentheses, strings and quoted names', () => {
    expect(splitTopLevelCommas(`a, lower(b, 'x'), "c,d" DESC, ('e,' || f),`)).to.deep.equal(['a', `lower(b, 'x')`, '"c,d" DESC', `('e,' || f)`]);
  });
});
