/**
 * `_prisma_migrations`, where `prisma migrate deploy` records what it applied
 * to a schema, is not part of a tenant's model (src/catalog/parts/sql.ts): a
 * fleet Prisma migrated until now is not planned to lose it, it is no drift,
 * and tenants with and without it are in the same state, read one by one or
 * by signature. tm status reads it for where a tenant stands before tm.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { fingerprint } from '../../src/catalog/fingerprint.js';
import { introspectSnapshot } from '../../src/catalog/introspect.js';
import { quoteIdent } from '../../src/sql/quote.js';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';

/** The table as Prisma creates it, with one applied migration. */
const PRISMA_MIGRATIONS = `
CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
VALUES ('0b1c', 'abc', now(), '20240101000000_init', 1);
`;

describe('_prisma_migrations is Prisma\'s bookkeeping, not part of a tenant', function () {
  this.timeout(300_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('a tenant Prisma migrated is planned nothing for it and shows no drift; the table and its rows stay', async () => {
    const project = fleetProject({ tenants: ['pm_a', 'pm_b'] });
    const init = await project.plan(db, 'init');
    expect((await project.tm(db, ['apply', init.path])).code).to.equal(0);
    for (const statement of PRISMA_MIGRATIONS.split(';').filter((s) => s.trim())) await db.query(`SET search_path TO pm_a; ${statement}`);

    const plan = await project.tm(db, ['plan', '--detailed-exitcode']);
    expect(plan.code, output(plan)).to.equal(0);
    expect(plan.stdout).to.not.contain('_prisma_migrations');
    const drift = await project.tm(db, ['drift']);
    expect(drift.code, output(drift)).to.equal(0);
    const { rows } = await db.query(`select migration_name from pm_a."_prisma_migrations"`);
    expect(rows.map((r) => r.migration_name)).to.deep.equal(['20240101000000_init']);
  });

  it('tm status shows the last Prisma migration of a tenant tm has applied nothing to, and tm\'s own once it has', async () => {
    const project = fleetProject({ tenants: ['pms_a'] });
    const init = await project.plan(db, 'init');
    expect((await project.tm(db, ['apply', init.path])).code).to.equal(0);
    await db.query(`SET search_path TO pms_a; ${PRISMA_MIGRATIONS}`);
    await db.query(`CREATE SCHEMA pms_b; SET search_path TO pms_b; ${PRISMA_MIGRATIONS}`);
    await db.query(`SET search_path TO pms_b; INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count, rolled_back_at)
                    VALUES ('9z', 'abc', now() + interval '1 minute', '20240301000000_rolled_back', 1, now())`);
    const yaml = path.join(project.dir, 'tenants.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('      - pms_a\n', '      - pms_a\n      - pms_b\n'));
    const status = await project.tm(db, ['status']);
    expect(status.code, output(status)).to.equal(0);
    expect(status.stdout).to.match(/^pms_a\s+1\s+init\s/m);
    expect(status.stdout).to.match(/^pms_b\s+0\s+20240101000000_init \(prisma\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s/m);
    const json = JSON.parse((await project.tm(db, ['status', '--json'])).stdout);
    const b = json.tenants.find((t: { schema: string }) => t.schema === 'pms_b');
    expect(b.prismaMigration.name).to.equal('20240101000000_init');
    expect(json.tenants.find((t: { schema: string }) => t.schema === 'pms_a').prismaMigration).to.equal(null);
  });

  it('tenants with and without it have one model, read one by one and by signature (a fleet of 60)', async () => {
    const schemas = Array.from({ length: 60 }, (_, i) => `pmf_${i}`);
    for (const [i, schema] of schemas.entries()) {
      await db.query(`CREATE SCHEMA ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)}; CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL UNIQUE)`);
      if (i % 2 === 0) await db.query(`SET search_path TO ${quoteIdent(schema)}; ${PRISMA_MIGRATIONS}`);
    }
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const bySignature = await introspectSnapshot(client, schemas);
      const oneByOne = await introspectSnapshot(client, schemas.slice(0, 2));
      expect(new Set([...bySignature.values()].map(fingerprint)).size).to.equal(1);
      expect(fingerprint(oneByOne.get('pmf_0')!)).to.equal(fingerprint(oneByOne.get('pmf_1')!));
      expect(Object.keys(oneByOne.get('pmf_0')!.tables)).to.deep.equal(['User']);
    } finally {
      await client.end();
    }
  });
});
