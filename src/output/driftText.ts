/**
 * `tm drift` as people read it: schemas in the same drift are one group (10,000
 * tenants with the same hand-made column are one block), each object on a
 * line: `extra` (in the database, not in the Prisma folder), `missing` (in the
 * Prisma folder, not in the database), `changed` (database → Prisma folder).
 */
import type { DriftItem, DriftReport, SchemaDrift } from '../plan/drift.js';
import { hasDrift } from '../plan/drift.js';
import { plural, tenantList } from './planText.js';
import { termLines, termName } from './terminal.js';

/** The item's object label (`column "User"."email"`), names made safe for a terminal. */
export function driftObject(item: DriftItem): string {
  return termName(item.object);
}

export interface DriftGroup {
  schemas: SchemaDrift[];
  /** The first schema: its drift is every schema's in the group. */
  sample: SchemaDrift;
}

/** Schemas with the same drift, biggest group first. detectDrift shares one drift object per state, so grouping is by identity. */
export function driftGroups(report: DriftReport): DriftGroup[] {
  const groups = new Map<unknown, DriftGroup>();
  for (const s of report.schemas) {
    if (!hasDrift(s) && s.exists) continue;
    const key = `${s.database}\0${s.exists}\0${JSON.stringify([s.extra, s.missing, s.changed])}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { schemas: [], sample: s }));
    group.schemas.push(s);
  }
  return [...groups.values()].sort((a, b) => b.schemas.length - a.schemas.length);
}

export function driftTotals(report: DriftReport) {
  const drifted = report.schemas.filter((s) => hasDrift(s) || !s.exists);
  return {
    schemas: report.schemas.length,
    drifted: drifted.length,
    inSync: report.schemas.length - drifted.length,
    notCreated: report.schemas.filter((s) => !s.exists).length,
    extra: report.schemas.reduce((n, s) => n + s.extra.length, 0),
    missing: report.schemas.reduce((n, s) => n + s.missing.length, 0),
    changed: report.schemas.reduce((n, s) => n + s.changed.length, 0),
    changedSinceLastApply: report.schemas.filter((s) => s.changedSinceLastApply).length,
  };
}

export function renderDriftText(report: DriftReport, options: { prune: boolean }): string {
  const lines: string[] = [];
  const multi = report.databases.length > 1;
  lines.push(
    `tm drift: ${plural(report.schemas.length, 'tenant schema')} on ${plural(report.databases.length, 'database')} (${report.databases.join(', ')}) against ${report.prismaSchema.folder} (${report.prismaSchema.hash.slice(0, 19)}…)`,
    '',
  );
  const totals = driftTotals(report);
  if (totals.drifted === 0) {
    lines.push(`No drift: ${plural(totals.schemas, 'schema')} match the Prisma folder.`);
    return termLines(lines.join('\n') + '\n');
  }
  for (const group of driftGroups(report)) {
    const s = group.sample;
    const outside = group.schemas.filter((x) => x.changedSinceLastApply).length;
    const note = outside ? `; ${outside === group.schemas.length ? (outside === 1 ? 'it' : 'all') : outside} changed outside tm since tm last applied a plan` : '';
    lines.push(`${tenantList(group.schemas, multi ? 2 : 1)} (${plural(group.schemas.length, 'schema')}${note})`);
    if (!s.exists) {
      lines.push('  missing  the schema: listed in tenants.yaml, not created (tm plan creates it)', '');
      continue;
    }
    for (const x of s.extra) lines.push(`  extra    ${driftObject(x)}${x.detail ? `: ${termName(x.detail)}` : ''}`);
    for (const x of s.missing) lines.push(`  missing  ${driftObject(x)}${x.detail ? `: ${termName(x.detail)}` : ''}`);
    for (const x of s.changed) lines.push(`  changed  ${driftObject(x)}: ${termName(x.detail ?? '')}`);
    if (options.prune && s.prune?.length) {
      lines.push('  prune (not run: review, then tm plan, whose plan drops these too):');
      for (const step of s.prune) {
        const flags = [...new Set(step.hazards.map((h) => h.type))];
        lines.push(`      ${step.sql};${flags.length ? `  -- ${flags.join(', ')}` : ''}`);
      }
    }
    lines.push('');
  }
  lines.push(
    `Drift in ${totals.drifted} of ${plural(totals.schemas, 'schema')}: ${totals.extra} extra, ${totals.missing} missing, ${totals.changed} changed object(s)` +
      `${totals.notCreated ? `, ${plural(totals.notCreated, 'schema')} not created` : ''}; ${totals.inSync} in sync. (extra: in the database only; missing: in the Prisma folder only; changed: database → Prisma folder)`,
  );
  if (totals.extra && !options.prune) lines.push('Extras are only reported: `tm drift --prune` shows the statements that would drop them; `tm plan` plans the whole convergence.');
  return termLines(lines.join('\n') + '\n');
}
