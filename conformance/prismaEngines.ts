/**
 * Prisma's own single-migration tests (PostgreSQL ones): a new tenant planned
 * from each schema converges to "no changes", and its catalog equals the one
 * Prisma's expected SQL produces when run into a schema of its own (after
 * dropping its leading CREATE SCHEMA and `"public".` qualifiers).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint } from '../src/catalog/fingerprint.js';
import { quoteIdent } from '../src/sql/quote.js';
import { convergeNewTenant, loadSchemaText, multiSchemaReason } from './newTenant.js';
import { corpusDir, createScratchDatabase, introspect, modelDifferences, oneLine, withClient, type CaseResult } from './support.js';

export const CORPUS = 'prisma-engines';

export interface PrismaEnginesCase {
  id: string;
  prisma: string;
  expectedSql: string;
}

export function loadCases(dir = join(corpusDir(), CORPUS)): PrismaEnginesCase[] {
  const index: { name: string; connector_dir: string; has_expectation: boolean }[] = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  return index
    .filter((entry) => entry.connector_dir === 'postgres')
    .map((entry) => ({
      id: entry.name,
      prisma: readFileSync(join(dir, `${entry.name}.prisma`), 'utf8'),
      expectedSql: entry.has_expectation ? readFileSync(join(dir, `${entry.name}.expected.sql`), 'utf8') : '',
    }));
}

/** Prisma's script for a schema of our choosing: no CREATE SCHEMA, no `"public".` qualifier. */
export function normaliseExpectedSql(sql: string): string {
  return sql
    .replace(/^-- CreateSchema\n/gm, '')
    .replace(/^CREATE SCHEMA IF NOT EXISTS "[^"]*";\n*/gm, '')
    .replace(/"public"\./g, '');
}

export async function runCase(c: PrismaEnginesCase, adminUrl: string): Promise<CaseResult> {
  const started = performance.now();
  const result = (outcome: CaseResult['outcome'], reason?: string): CaseResult => ({ corpus: CORPUS, id: c.id, outcome, reason, ms: Math.round(performance.now() - started) });
  try {
    const multi = multiSchemaReason(c.prisma);
    if (multi) return result('out-of-scope', multi);
    const schema = await loadSchemaText(c.prisma);
    const db = await createScratchDatabase(adminUrl, 'pe');
    try {
      return await withClient(db.url, async (client) => {
        const { desired, problem } = await convergeNewTenant(client, db.url, schema, 'tenant_new');
        if (problem) return result('fail', problem);
        if (c.expectedSql) {
          await client.query('BEGIN');
          try {
            await client.query('CREATE SCHEMA expected_sql');
            await client.query(`SET LOCAL search_path TO ${quoteIdent('expected_sql')}`);
            await client.query(normaliseExpectedSql(c.expectedSql));
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            return result('fail', `expected SQL does not run: ${oneLine((error as Error).message)}`);
          }
          const expected = (await introspect(client, ['expected_sql'])).get('expected_sql')!;
          if (fingerprint(expected) !== fingerprint(desired)) {
            return result('fail', `catalog differs from Prisma's expected SQL: ${modelDifferences(expected, desired).join('; ')}`);
          }
        }
        return result('pass');
      });
    } finally {
      await db.drop().catch(() => {});
    }
  } catch (error) {
    return result('fail', `error: ${oneLine((error as Error).message, 300)}`);
  }
}
