/**
 * Where every tenant stands: its history (one query per database) and whether
 * it has pending changes against the Prisma folder (the planner's own bulk
 * introspection and desired state, compared by fingerprint).
 */
import { ABSENT, fingerprint } from '../catalog/fingerprint.js';
import { tenantTarget } from '../diff/equivalence.js';
import { connect } from '../db/connect.js';
import { MetadataStore } from '../meta/store.js';
import { introspectFleet, type FleetContext, type IntrospectedDatabase } from './planner.js';
import { lastPrismaMigrations, type PrismaMigration } from './prismaMigrations.js';

export type TenantState = 'up to date' | 'pending changes' | 'not created';

export interface TenantStatus {
  database: string;
  schema: string;
  /** Listed in tenants.yaml (false: found by a discovery pattern). */
  listed: boolean;
  /** Number of plans applied to it. */
  version: number;
  lastName: string | null;
  lastKind: string | null;
  lastAppliedAt: string | null;
  /** With no plan of tm applied yet: the last migration `prisma migrate deploy` applied (its `_prisma_migrations`), else null. */
  prismaMigration: PrismaMigration | null;
  /** Applied plans whose destructive steps ran without backups (--skip-backup): tm rollback cannot restore their data. */
  backupsSkipped: number;
  fingerprint: string;
  state: TenantState;
}

/** tm's history of the database's tenants, and for those it has none of, the last migration Prisma applied. */
async function readHistories(db: IntrospectedDatabase, metadataSchema: string) {
  const client = await connect(db.target, 'status');
  try {
    const history = await new MetadataStore(client, metadataSchema).history.latest();
    const prisma = await lastPrismaMigrations(client, db.schemas.filter((s) => !history.has(s)));
    return { history, prisma };
  } finally {
    await client.end();
  }
}

export async function fleetStatus(context: FleetContext, options: { schemas: string[]; databases: string[] }): Promise<TenantStatus[]> {
  const fleet = await introspectFleet(context, options);
  const out: TenantStatus[] = [];
  await Promise.all(
    fleet.map(async (db) => {
      const { history, prisma } = await readHistories(db, context.config.metadataSchema);
      const target = fingerprint(db.desired);
      const listed = new Set(db.target.config.tenants.map((t) => t.schema));
      for (const schema of db.schemas) {
        const model = db.models.get(schema);
        const fp = model ? fingerprint(model) : ABSENT;
        const h = history.get(schema);
        out.push({
          database: db.target.config.name,
          schema,
          listed: listed.has(schema),
          version: h?.version ?? 0,
          lastName: h?.lastName ?? null,
          lastKind: h?.lastKind ?? null,
          lastAppliedAt: h ? new Date(h.lastAppliedAt).toISOString() : null,
          prismaMigration: prisma.get(schema) ?? null,
          backupsSkipped: h?.backupsSkipped ?? 0,
          fingerprint: fp,
          // Up to date as tm plan sees it: differences Prisma sees no drift in are no change (src/diff/equivalence.ts).
          state: !model ? 'not created' : fp === target || fp === fingerprint(tenantTarget(model, db.desired, { ownsComments: db.ownsComments })) ? 'up to date' : 'pending changes',
        });
      }
    }),
  );
  return out.sort((a, b) => a.database.localeCompare(b.database) || a.schema.localeCompare(b.schema));
}
