/**
 * The plan as people read it in a terminal, in Terraform's manner:
 * `+` create, `~` change, `-` drop, hazards flagged under their step. Names
 * and SQL are printed with their control characters visible (terminal.ts).
 */
import { shortFingerprint } from '../catalog/fingerprint.js';
import type { Step } from '../diff/step.js';
import type { Cohort, DatabaseSteps, Plan, PlanTenant } from '../plan/types.js';
import { describeOutlier, isOutlier } from './outliers.js';
import { termLines, termName } from './terminal.js';

export const SYMBOL: Record<Step['action'], string> = { create: '+', alter: '~', drop: '-' };

/** How many tenant names a cohort line shows before "and N more": 10,000 identical tenants stay one line. */
export const TEXT_TENANTS_SHOWN = 8;

/** A tenant as output names it: `schema`, or `database/schema` when the plan spans several databases. */
export function tenantName(t: PlanTenant, databases: number): string {
  return databases > 1 ? `${t.database}/${t.schema}` : t.schema;
}

export function tenantList(tenants: PlanTenant[], databases: number, max = TEXT_TENANTS_SHOWN): string {
  const names = tenants.slice(0, max).map((t) => termName(tenantName(t, databases)));
  const more = tenants.length - names.length;
  return names.join(', ') + (more > 0 ? `, and ${more} more` : '');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

export function renderCohort(cohort: Cohort, plan: Plan, options: { sql: boolean }): string {
  const lines: string[] = [];
  const from = cohort.createsSchema ? 'new schema' : shortFingerprint(cohort.beforeFingerprint);
  lines.push(
    `Cohort ${cohort.id}: ${plural(cohort.tenants.length, 'schema')} (${from} → ${shortFingerprint(cohort.afterFingerprint)})`,
    `  ${tenantList(cohort.tenants, plan.databases.length)}`,
  );
  if (isOutlier(cohort, plan)) lines.push(`  ! Outlier: ${describeOutlier(cohort, plan)}.`);
  lines.push('');
  if (cohort.createsSchema) lines.push('  + schema (CREATE SCHEMA for each tenant)');
  for (const step of cohort.steps) {
    const flags = [...new Set(step.hazards.map((h) => h.type))];
    lines.push(`  ${SYMBOL[step.action]} ${termName(step.object)}${flags.length ? `  [${termName(flags.join(', '))}]` : ''}`);
    if (options.sql) lines.push(indent(termLines(step.sql) + ';', '      '));
    for (const h of step.hazards) lines.push(`      ! ${termName(h.type)}: ${termName(h.message)}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** A database's statements run once before its tenants (Plan.databaseSteps). */
export function renderDatabaseSteps(entry: DatabaseSteps, options: { sql: boolean }): string {
  const lines = [`Database ${termName(entry.database)}: once, before its tenants`, ''];
  for (const step of entry.steps) {
    lines.push(`  ${SYMBOL[step.action]} ${termName(step.object)}`);
    if (options.sql) lines.push(indent(termLines(step.sql) + ';', '      '));
  }
  lines.push('');
  return lines.join('\n');
}

export function renderPlanSummaryLine(plan: Plan): string {
  const s = plan.summary;
  const once = (plan.databaseSteps ?? []).reduce((n, d) => n + d.steps.length, 0);
  const databaseSteps = once ? ` ${plural(once, 'statement')} once per database first.` : '';
  if (plan.cohorts.length === 0 && !once) return `No changes. ${plural(s.unchanged, 'schema')} already match the Prisma schema.`;
  const created = s.toCreate ? ` (${s.toCreate} new)` : '';
  const hazards = s.hazards.length ? ` Hazards: ${s.hazards.join(', ')}.` : '';
  return `Plan: ${plural(s.toChange, 'schema')} to change${created}, ${s.unchanged} unchanged, in ${plural(plan.cohorts.length, 'cohort')}.${databaseSteps}${hazards}`;
}

export function renderPlanText(plan: Plan, options: { sql: boolean } = { sql: true }): string {
  const parts: string[] = [];
  parts.push(
    `tm ${plan.kind} "${termName(plan.name)}": ${plural(plan.summary.tenants, 'tenant schema')} on ${plural(plan.databases.length, 'database')} (${plan.databases.map(termName).join(', ')}); Prisma schema ${plan.schema.hash.slice(0, 19)}… (${plural(plan.schema.files.length, 'file')})`,
    '',
  );
  for (const entry of plan.databaseSteps ?? []) parts.push(renderDatabaseSteps(entry, options));
  for (const cohort of plan.cohorts) parts.push(renderCohort(cohort, plan, options));
  for (const skipped of plan.notPlanned ?? []) {
    parts.push(`! Not planned: database ${termName(skipped.database)} could not be reached (${termName(skipped.reason)}); its listed tenants: ${skipped.tenants.map(termName).join(', ') || '(none)'}`, '');
  }
  parts.push(renderPlanSummaryLine(plan));
  // Anything a name brought that the lines above did not show escaped yet.
  return termLines(parts.join('\n') + '\n');
}
