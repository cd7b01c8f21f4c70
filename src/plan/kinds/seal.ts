/**
 * What every kind does to the plan it makes: records the Prisma folder it was
 * made with and the selection, and seals it again (tenant set, summary,
 * integrity) after changing its cohorts.
 */
import type { HazardType } from '../../diff/step.js';
import type { FleetSelection } from '../../fleet/select.js';
import { planIntegrity, tenantSetHash } from '../build.js';
import type { FleetContext } from '../planner.js';
import type { Plan } from '../types.js';

/** The Prisma folder a plan is made with, as the plan records it. */
export async function schemaSource(context: FleetContext): Promise<Plan['schema']> {
  const schema = await context.schema;
  return { folder: schema.folder, files: schema.files.map((f) => f.path), hash: schema.hash, text: schema.mergedText };
}

/** Records the selection a plan was made with; recomputes its integrity. */
export function withSelection(plan: Plan, options: FleetSelection & { skipBackup: boolean }): Plan {
  const scope = options.schemas.length || options.databases.length ? { scope: { schemas: options.schemas, databases: options.databases } } : {};
  return reseal({ ...plan, settings: { ...plan.settings, skipBackup: options.skipBackup }, ...scope });
}

/** Recomputes what is derived from cohorts and unchanged tenants (tenant set, summary, integrity) after a kind changed them. */
export function reseal(plan: Plan): Plan {
  const { integrity: _old, ...content } = plan;
  const all = [...plan.cohorts.flatMap((c) => c.tenants), ...plan.unchanged];
  const hazards = new Set<HazardType>(plan.cohorts.flatMap((c) => c.steps.flatMap((s) => s.hazards.map((h) => h.type))));
  content.tenantSetHash = tenantSetHash(all);
  content.summary = {
    ...plan.summary,
    tenants: all.length,
    toChange: plan.cohorts.reduce((n, c) => n + c.tenants.length, 0),
    toCreate: plan.cohorts.filter((c) => c.createsSchema).reduce((n, c) => n + c.tenants.length, 0),
    unchanged: plan.unchanged.length,
    hazards: [...hazards].sort(),
  };
  return { ...content, integrity: planIntegrity(content) };
}
