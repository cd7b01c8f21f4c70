/**
 * Comments on tables and columns (`COMMENT ON TABLE/COLUMN`) are read into
 * the model (src/catalog/parts/comments.ts), by the commented object's label.
 * A model without comments has no `comments` field, so its canonical JSON and
 * fingerprint are those tm gave it before it read comments; and a schema's
 * signature covers its comments, or a large fleet read by state would hand a
 * tenant another tenant's comments.
 */
import { expect } from 'chai';
import pg from 'pg';
import { canonicalJson, fingerprint } from '../../src/catalog/fingerprint.js';
import { introspectSnapshot, readSignatures } from '../../src/catalog/introspect.js';
import type { SchemaModel } from '../../src/catalog/model.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { useFreshDatabase } from '../harness/database.js';

const BASE = `
CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, "displayName" text);
CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL);
CREATE VIEW titles AS SELECT title FROM post;
COMMENT ON TABLE "User" IS 'Someone who can sign in.';
COMMENT ON COLUMN "User".email IS 'Unique per tenant.';
`;

/** One schema each: the base state and one change to its comments; `same` when the model stays the base's. */
const VARIANTS: { name: string; sql: string; same?: boolean }[] = [
  { name: 'text', sql: `COMMENT ON COLUMN "User".email IS 'Unique per tenant!'` },
  { name: 'more', sql: `COMMENT ON COLUMN post.title IS 'Shown in lists.'` },
  { name: 'table_comment', sql: `COMMENT ON TABLE post IS 'Shown in lists.'` },
  { name: 'fewer', sql: `COMMENT ON TABLE "User" IS NULL` },
  // The same text on the other column: a signature of texts alone would not tell them apart.
  { name: 'moved', sql: `COMMENT ON COLUMN "User".email IS NULL; COMMENT ON COLUMN "User"."displayName" IS 'Unique per tenant.'` },
  { name: 'column_renamed', sql: `ALTER TABLE "User" RENAME COLUMN email TO mail` },
  // Set again to the same text: nothing changes.
  { name: 'set_again', sql: `COMMENT ON TABLE "User" IS 'Someone who can sign in.'`, same: true },
];

/** Enough schemas for the fleet to be read by state (introspect.ts GROUP_FROM is 50). */
const BASE_COPIES = 50;

async function withClients<T>(url: string, count: number, run: (clients: pg.Client[]) => Promise<T>): Promise<T> {
  const clients = Array.from({ length: count }, () => new pg.Client({ connectionString: url }));
  await Promise.all(clients.map((c) => c.connect()));
  try {
    return await run(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

describe('comments on tables and columns', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  const base = Array.from({ length: BASE_COPIES }, (_, i) => `cm_base_${i}`);
  const variants = VARIANTS.map((v) => `cm_${v.name}`);
  // Each holds a comment naming its own schema: data, kept as written, so these two have different models.
  const ownName = ['cm_own_a', 'cm_own_b'];
  const all = [...base, ...variants, ...ownName];

  before(async () => {
    const ddl: string[] = [];
    for (const schema of all) ddl.push(`CREATE SCHEMA ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)};\n${BASE}`);
    VARIANTS.forEach((v, i) => ddl.push(`SET search_path TO ${quoteIdent(variants[i])}; ${v.sql};`));
    for (const schema of ownName) ddl.push(`COMMENT ON TABLE ${schema}.post IS 'Copied to ${schema}.post_archive nightly; it''s big.';`);
    // A schema without comments, and one whose comments were all removed: models as tm made them before comments.
    ddl.push(`CREATE SCHEMA cm_none; SET search_path TO cm_none; ${BASE.replace(/COMMENT .*\n/g, '')}`);
    ddl.push(`CREATE SCHEMA cm_removed; SET search_path TO cm_removed; ${BASE} COMMENT ON TABLE "User" IS NULL; COMMENT ON COLUMN "User".email IS '';`);
    await db.query(ddl.join('\n'));
  });

  async function readEachAlone(schemas: string[]): Promise<Map<string, SchemaModel>> {
    return withClients(db.url, 1, async ([client]) => {
      const models = new Map<string, SchemaModel>();
      for (const schema of schemas) models.set(schema, (await introspectSnapshot(client, [schema])).get(schema)!);
      return models;
    });
  }

  it('reads each comment into the model, by the label of the table or column it is on', async () => {
    const models = await readEachAlone([base[0], 'cm_more', 'cm_own_a', 'cm_column_renamed']);
    expect(models.get(base[0])!.comments).to.deep.equal({
      'table "User"': { on: { kind: 'table', table: 'User' }, text: 'Someone who can sign in.' },
      'column "User"."email"': { on: { kind: 'column', table: 'User', column: 'email' }, text: 'Unique per tenant.' },
    });
    expect(models.get('cm_more')!.comments!['column "post"."title"']).to.deep.equal({ on: { kind: 'column', table: 'post', column: 'title' }, text: 'Shown in lists.' });
    // A comment follows its column's new name.
    expect(Object.keys(models.get('cm_column_renamed')!.comments!).sort()).to.deep.equal(['column "User"."mail"', 'table "User"']);
    // The schema's own name in a comment is text, not a qualifier to remove.
    expect(models.get('cm_own_a')!.comments!['table "post"'].text).to.equal(`Copied to cm_own_a.post_archive nightly; it's big.`);
  });

  it('leaves a model without comments as it was: no comments field, the same fingerprint', async () => {
    const models = await readEachAlone(['cm_none', 'cm_removed', base[0]]);
    const none = models.get('cm_none')!;
    expect(Object.keys(none).sort()).to.deep.equal(['enums', 'sequences', 'tables', 'views']);
    expect(canonicalJson(none)).to.not.contain('comments');
    expect(models.get('cm_removed')).to.not.have.property('comments');
    expect(fingerprint(models.get('cm_removed')!)).to.equal(fingerprint(none));
    // Comments aside, the commented schema has that very model.
    const { comments, ...rest } = models.get(base[0])!;
    expect(comments).to.not.equal(undefined);
    expect(canonicalJson(rest)).to.equal(canonicalJson(none));
    expect(fingerprint(models.get(base[0])!)).to.not.equal(fingerprint(none));
  });

  it('gives schemas whose comments differ different signatures, and those with the same comments one', async () => {
    const signatures = await withClients(db.url, 1, async ([client]) => {
      await client.query('BEGIN');
      const read = await readSignatures([client], [...all, 'cm_none', 'cm_removed']);
      await client.query('COMMIT');
      return read;
    });
    const of = (schema: string) => signatures.get(schema)!.signature;
    for (const schema of base) expect(of(schema), schema).to.equal(of(base[0]));
    for (const [i, v] of VARIANTS.entries()) {
      if (v.same) expect(of(variants[i]), v.name).to.equal(of(base[0]));
      else expect(of(variants[i]), v.name).to.not.equal(of(base[0]));
    }
    expect(of('cm_own_a')).to.not.equal(of('cm_own_b'));
    expect(of('cm_none')).to.not.equal(of(base[0]));
    expect(of('cm_removed')).to.equal(of('cm_none'));
  });

  for (const connections of [1, 2]) {
    it(`gives every schema of a fleet read by state its own comments (${connections} connection${connections > 1 ? 's' : ''})`, async () => {
      const alone = await readEachAlone(all);
      const fleet = await withClients(db.url, connections, (clients) => introspectSnapshot(clients[0], all, clients[1]));
      expect([...fleet.keys()].sort()).to.deep.equal([...all].sort());
      for (const schema of all) expect(canonicalJson(fleet.get(schema)), schema).to.equal(canonicalJson(alone.get(schema)));
      for (const [i, v] of VARIANTS.entries()) {
        const json = canonicalJson(fleet.get(variants[i]));
        if (v.same) expect(json, v.name).to.equal(canonicalJson(fleet.get(base[0])));
        else expect(json, v.name).to.not.equal(canonicalJson(fleet.get(base[0])));
      }
      expect(fleet.get('cm_own_b')!.comments!['table "post"'].text).to.contain('cm_own_b.post_archive');
    });
  }
});
