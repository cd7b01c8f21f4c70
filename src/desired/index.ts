/**
 * What the tenants should be, as a catalog model of the given database: the
 * desired-state sources (sources.ts; today Prisma's SQL, see prisma.ts)
 * rendered, run in a scratch schema and read back (materialize.ts).
 */
import pg from 'pg';
import type { SchemaModel } from '../catalog/model.js';
import { DEFAULT_EXTENSION_SCHEMA } from '../config/tenants.js';
import { ensureEmbedded } from '../db/embedded.js';
import type { Step } from '../diff/step.js';
import { materializeDesired, type RenderedSource } from './materialize.js';
import type { DesiredSource } from './source.js';
import { desiredSources } from './sources.js';

export interface DesiredState {
  model: SchemaModel;
  /** Statements the database needs once, before its tenants (extensions it lacks). */
  databaseSteps: Step[];
  /** A source declares the tables' and columns' comments (see DesiredSource.ownsComments). */
  ownsComments: boolean;
}

/**
 * The desired state the sources build, in order, on the database at
 * connectionString (on `client` when given, else on a connection of its own).
 * `extensionSchema`: where the database's extensions live (tenants.yaml, see extensions.ts).
 */
export async function buildDesired(
  sources: DesiredSource[],
  connectionString: string,
  client?: pg.ClientBase,
  extensionSchema = DEFAULT_EXTENSION_SCHEMA,
): Promise<DesiredState> {
  await ensureEmbedded(connectionString);
  // One after another: Prisma's engine is one wasm instance per process.
  const rendered: RenderedSource[] = [];
  for (const source of sources) rendered.push({ source, sql: await source.render(connectionString) });
  const own = client ? null : new pg.Client({ connectionString, application_name: 'tm (desired state)' });
  if (own) await own.connect();
  try {
    return { ...(await materializeDesired((client ?? own)!, rendered, extensionSchema)), ownsComments: sources.some((s) => s.ownsComments === true) };
  } finally {
    await own?.end();
  }
}

/** The desired state of a Prisma schema folder's files: every source of the project (sources.ts). */
export function desiredState(
  files: { path: string; content: string }[],
  connectionString: string,
  client?: pg.ClientBase,
  extensionSchema = DEFAULT_EXTENSION_SCHEMA,
  documentationComments = false,
): Promise<DesiredState> {
  return buildDesired(desiredSources({ files, documentationComments }), connectionString, client, extensionSchema);
}
