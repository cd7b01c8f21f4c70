/**
 * The comments kind end to end, through the real binary: with tenants.yaml's
 * `documentationComments`, the `///` documentation of models and fields is
 * planned as COMMENT ON for every tenant (new ones included), applied, checked
 * for drift, and a tenant whose comment was changed by hand is planned back.
 * Without it, tm leaves a tenant's comments alone, as Prisma does.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects, type FleetProject } from '../support/fleet.js';

const SCHEMA =
  DATASOURCE_BLOCK +
  `/// Someone who can sign in.
model Account {
  id    Int    @id
  /// Where we write to them: it's unique.
  email String @unique @map("e_mail")
  name  String

  @@map("accounts")
}
`;

describe('table and column comments from /// documentation (real binary)', function () {
  this.timeout(300_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  async function commentsOf(schema: string): Promise<string[]> {
    const { rows } = await db.query(
      `select coalesce(a.attname, '(table)') as on, d.description as text
         from pg_description d
         join pg_class c on c.oid = d.objoid and d.classoid = 'pg_class'::regclass
         join pg_namespace n on n.oid = c.relnamespace
         left join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid and d.objsubid > 0
        where n.nspname = $1 order by 1`,
      [schema],
    );
    return rows.map((r: { on: string; text: string }) => `${r.on}: ${r.text}`);
  }

  function project(tenants: string[], documentationComments: boolean): FleetProject {
    const p = fleetProject({ tenants, prismaFiles: { 'schema.prisma': SCHEMA } });
    if (documentationComments) appendFileSync(path.join(p.dir, 'tenants.yaml'), 'documentationComments: true\n');
    return p;
  }

  it('plans, applies and drift-checks the comments; a new tenant gets them; a hand edit is drift, planned back', async () => {
    const p = project(['doc_a', 'doc_b'], true);
    const first = await p.plan(db, 'init');
    const objects = first.json.cohorts[0].steps.map((s: { object: string }) => s.object);
    expect(objects).to.include.members(['comment on table "accounts"', 'comment on column "accounts"."e_mail"']);
    const applied = await p.tm(db, ['apply', first.path]);
    expect(applied.code, output(applied)).to.equal(0);
    const expected = ["(table): Someone who can sign in.", "e_mail: Where we write to them: it's unique."];
    expect(await commentsOf('doc_a')).to.deep.equal(expected);
    expect(await commentsOf('doc_b')).to.deep.equal(expected);

    const clean = await p.tm(db, ['drift']);
    expect(clean.code, output(clean)).to.equal(0);

    await db.query(`COMMENT ON COLUMN doc_b.accounts.e_mail IS 'edited by hand'`);
    await db.query(`COMMENT ON COLUMN doc_b.accounts.name IS 'not documented'`);
    const drift = await p.tm(db, ['drift']);
    expect(drift.code, output(drift)).to.equal(2);
    expect(drift.stdout).to.contain('comment on column "accounts"."e_mail"');
    expect(drift.stdout).to.contain('comment on column "accounts"."name"');

    // The hand-edited tenant is planned back, and a tenant added since gets the comments.
    const yaml = path.join(p.dir, 'tenants.yaml');
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('      - doc_b\n', '      - doc_b\n      - doc_c\n'));
    const second = await p.plan(db, 'comments_back');
    const back = second.json.cohorts.find((c: { tenants: { schema: string }[] }) => c.tenants.some((t) => t.schema === 'doc_b'));
    expect(back.steps.map((s: { sql: string }) => s.sql)).to.deep.equal([
      `COMMENT ON COLUMN "accounts"."e_mail" IS 'Where we write to them: it''s unique.'`,
      `COMMENT ON COLUMN "accounts"."name" IS NULL`,
    ]);
    const again = await p.tm(db, ['apply', second.path]);
    expect(again.code, output(again)).to.equal(0);
    expect(await commentsOf('doc_b')).to.deep.equal(expected);
    expect(await commentsOf('doc_c')).to.deep.equal(expected);
    const none = await p.tm(db, ['plan', '--detailed-exitcode']);
    expect(none.code, output(none)).to.equal(0);
  });

  it('without documentationComments: no comment steps, and a comment made by hand is neither dropped nor drift', async () => {
    const p = project(['plain_a'], false);
    const first = await p.plan(db, 'init');
    expect(first.json.cohorts[0].steps.map((s: { object: string }) => s.object).filter((o: string) => o.startsWith('comment'))).to.deep.equal([]);
    expect((await p.tm(db, ['apply', first.path])).code).to.equal(0);
    await db.query(`COMMENT ON TABLE plain_a.accounts IS 'ours'`);
    const plan = await p.tm(db, ['plan', '--detailed-exitcode']);
    expect(plan.code, output(plan)).to.equal(0);
    const drift = await p.tm(db, ['drift']);
    expect(drift.code, output(drift)).to.equal(0);
    expect(await commentsOf('plain_a')).to.deep.equal(['(table): ours']);
  });
});
