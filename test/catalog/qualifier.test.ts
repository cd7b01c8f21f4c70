/**
 * The schema's own qualifier is removed on the client (stripSchemaQualifier)
 * and marked on the server (signatures) by two implementations of one rule:
 * outside plain string literals only. They must agree on PostgreSQL's own
 * printing, or two tenants in one state would get two signatures (or worse,
 * two states one).
 */
import { expect } from 'chai';
import { holdsQualifier, markQualifierOutsideLiteralsSql, stripSchemaQualifier } from '../../src/catalog/qualifier.js';
import { useFreshDatabase } from '../harness/database.js';

/** [text as PostgreSQL prints it, qualifier, the text without it]. */
const CASES: Array<[string, string, string]> = [
  [`'https://www.example.com'::text`, 'www.', `'https://www.example.com'::text`],
  [`'see www.example.com'::www."Kind"`, 'www.', `'see www.example.com'::"Kind"`],
  [`nextval('www."User_id_seq"'::regclass)`, 'www.', `nextval('"User_id_seq"'::regclass)`],
  [`nextval('"Acme"."User_id_seq"'::regclass)`, '"Acme".', `nextval('"User_id_seq"'::regclass)`],
  [`'it''s www.x'::text || www.f('www.')`, 'www.', `'it''s www.x'::text || f('www.')`],
  [`CHECK ((url <> 'example.org'::text) AND (xexample.y > 0))`, 'example.', `CHECK ((url <> 'example.org'::text) AND (xexample.y > 0))`],
  [`SELECT 1 AS "xwww.z", "it's".a FROM www.t`, 'www.', `SELECT 1 AS "xwww.z", "it's".a FROM t`],
];

describe('the schema qualifier, outside string literals', () => {
  const db = useFreshDatabase();

  it('is removed from SQL, never from a string, and is still removed inside a ::regclass constant', () => {
    for (const [text, prefix, stripped] of CASES) expect(stripSchemaQualifier(text, prefix), text).to.equal(stripped);
    expect(holdsQualifier(`'www.example.com'::text`, 'www.')).to.equal(false);
    expect(holdsQualifier(`SELECT 1 AS "xwww.z"`, 'www.')).to.equal(true);
  });

  it('is marked by the server exactly where the client removes it', async () => {
    for (const [text, prefix] of CASES) {
      const { rows } = await db.query(`select ${markQualifierOutsideLiteralsSql('x.t', 'x.q')} as marked from (select $1::text as t, $2::text as q) x`, [text, prefix]);
      // Where the marker is, the client removed the qualifier: taking the markers out gives the client's text
      // wherever the client removed every qualifier it could.
      const marked: string = rows[0].marked;
      expect(marked.replaceAll('\x01\x02', prefix), text).to.equal(text);
      if (!holdsQualifier(stripSchemaQualifier(text, prefix), prefix)) expect(marked.replaceAll('\x01\x02', ''), text).to.equal(stripSchemaQualifier(text, prefix));
    }
  });
});
