/**
 * What Prisma would create for a schema folder, as a catalog model of the
 * given database (see prismaEngine.ts and materialize.ts).
 */
import pg from 'pg';
import type { SchemaModel } from '../catalog/model.js';
import { ensureEmbedded } from '../db/embedded.js';
import { materializeDesired } from './materialize.js';
import { renderCreateSql } from './prismaEngine.js';

export interface DesiredState {
  /** The SQL Prisma renders from empty (unqualified). */
  createSql: string;
  model: SchemaModel;
}

export async function desiredState(files: { path: string; content: string }[], connectionString: string, client?: pg.ClientBase): Promise<DesiredState> {
  await ensureEmbedded(connectionString);
  const createSql = await renderCreateSql(files, connectionString);
  const own = client ? null : new pg.Client({ connectionString, application_name: 'tm (desired state)' });
  if (own) await own.connect();
  try {
    return { createSql, model: await materializeDesired((client ?? own)!, createSql) };
  } finally {
    await own?.end();
  }
}
