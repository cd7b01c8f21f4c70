/** Builds benchmark fleets: a Prisma schema of N models and M tenant schemas in that state. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { emptySchemaModel } from '../src/catalog/model.js';
import { desiredState } from '../src/desired/index.js';
import { diffSchemas } from '../src/diff/diff.js';
import { quoteIdent } from '../src/sql/quote.js';

export function benchSchema(models: number, extraColumn = false): string {
  const blocks: string[] = [];
  for (let i = 0; i < models; i++) {
    const relation = i > 0 ? `\n  parentId  Int?\n  parent    Model${i - 1}? @relation(fields: [parentId], references: [id])` : '';
    const children = i < models - 1 ? `\n  children  Model${i + 1}[]` : '';
    const extra = extraColumn && i === 0 ? '\n  note      String?\n\n  @@index([note])' : '';
    blocks.push(`model Model${i} {
  id        Int      @id @default(autoincrement())
  name      String   @unique
  status    String   @default("new")
  createdAt DateTime @default(now())${relation}${children}${extra}
}`);
  }
  return blocks.join('\n\n') + '\n';
}

/** A project folder (prisma/schema + tenants.yaml discovering bench_*) for the given schema text. */
export function writeProject(schemaText: string, urlEnv = 'BENCH_DATABASE_URL'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  mkdirSync(join(dir, 'prisma', 'schema'), { recursive: true });
  writeFileSync(join(dir, 'prisma', 'schema', 'schema.prisma'), 'datasource db {\n  provider = "postgresql"\n}\n');
  writeFileSync(join(dir, 'prisma', 'schema', 'models.prisma'), schemaText);
  writeFileSync(join(dir, 'tenants.yaml'), `databases:\n  main:\n    url: env(${urlEnv})\n    discover:\n      - bench_*\n`);
  return dir;
}

export function tenantName(i: number): string {
  return `bench_${String(i).padStart(5, '0')}`;
}

/**
 * Creates tenants `from` … `count - 1` in the state Prisma creates for the
 * schema, in batches of one multi-statement query, on two connections (the
 * server builds on two cores).
 */
export async function createFleet(url: string, schemaText: string, count: number, from = 0): Promise<void> {
  const files = [{ path: 'schema.prisma', content: 'datasource db {\n  provider = "postgresql"\n}\n' + schemaText }];
  const { model } = await desiredState(files, url);
  const body = diffSchemas(emptySchemaModel(), model).map((s) => s.sql + ';').join('\n');
  let next = from;
  await Promise.all(
    [0, 1].map(async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        while (next < count) {
          const start = next;
          next = Math.min(count, start + 50);
          const script: string[] = [];
          for (let i = start; i < next; i++) {
            const schema = quoteIdent(tenantName(i));
            script.push(`BEGIN; CREATE SCHEMA ${schema}; SET LOCAL search_path TO ${schema};\n${body}\nCOMMIT;`);
          }
          await client.query(script.join('\n'));
        }
      } finally {
        await client.end();
      }
    }),
  );
}
