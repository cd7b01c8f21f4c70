/**
 * `tm show --format markdown`: the plan as a pull-request comment. A summary
 * table, hazards as a checklist for the reviewer, outlier cohorts called out,
 * then one collapsible section per cohort with its SQL and its tenants.
 *
 * Long fleets stay readable: a cohort of 10,000 tenants is one row and one
 * section listing the first names and "and N more". The comment stays under
 * GitHub's 65,536-character limit: past MARKDOWN_BUDGET the remaining cohorts
 * lose their SQL (the plan file and `tm show` have it), then are only counted.
 */
import { shortFingerprint } from '../catalog/fingerprint.js';
import type { HazardType } from '../diff/step.js';
import type { Cohort, Plan } from '../plan/types.js';
import { htmlText, mdCode, mdFence, mdTable, mdText } from './markdown.js';
import { termName } from './terminal.js';
import { describeOutlier, isOutlier, outlierIds } from './outliers.js';
import { plural, renderPlanSummaryLine, SYMBOL, tenantName } from './planText.js';

/** Marks the comment so a CI job can find and update its own comment. */
export const MARKDOWN_MARKER = '<!-- tm-plan -->';
/** Characters of Markdown to aim for: GitHub refuses comments over 65,536. */
export const MARKDOWN_BUDGET = 60_000;
/** Tenant names listed per cohort section before "and N more". */
export const MARKDOWN_TENANTS_SHOWN = 50;
/** Rows of the cohort table and items of the hazard checklist before "and N more". */
export const MARKDOWN_ROWS_SHOWN = 50;

export interface MarkdownOptions {
  /** The plan file as the reader should name it (in the apply command shown). */
  planPath?: string;
  /** Include each cohort's SQL (default true). */
  sql?: boolean;
  budget?: number;
}

function hazardTypes(cohort: Cohort): HazardType[] {
  return [...new Set(cohort.steps.flatMap((s) => s.hazards.map((h) => h.type)))].sort();
}

function hazardCell(types: string[]): string {
  return types.length ? types.map(mdCode).join(', ') : '—';
}

function fromTo(cohort: Cohort): string {
  const from = cohort.createsSchema ? 'new schema' : mdCode(shortFingerprint(cohort.beforeFingerprint));
  return `${from} → ${mdCode(shortFingerprint(cohort.afterFingerprint))}`;
}

function tenantsLine(cohort: Cohort, plan: Plan, max = MARKDOWN_TENANTS_SHOWN): string {
  const databases = plan.databases.length;
  const names = cohort.tenants.slice(0, max).map((t) => mdCode(tenantName(t, databases)));
  const more = cohort.tenants.length - names.length;
  return names.join(', ') + (more > 0 ? `, and ${more} more` : '');
}

function cohortSql(cohort: Cohort): string {
  const lines: string[] = [];
  if (cohort.createsSchema) lines.push('-- CREATE SCHEMA for each tenant (run by tm apply)');
  cohort.steps.forEach((step, i) => {
    const flags = [...new Set(step.hazards.map((h) => h.type))];
    lines.push(`-- ${i + 1}. ${SYMBOL[step.action]} ${termName(step.object)}${flags.length ? `  [${termName(flags.join(', '))}]` : ''}`);
    if (!step.transactional) lines.push('-- (runs after the transaction commits)');
    lines.push(step.sql + ';');
  });
  return lines.join('\n');
}

function cohortSection(cohort: Cohort, plan: Plan, withSql: boolean, sqlNote: string): string {
  const types = hazardTypes(cohort);
  const outlier = isOutlier(cohort, plan);
  const summary =
    `<b>${htmlText(cohort.id)}</b>: ${plural(cohort.tenants.length, 'schema')}, ${plural(cohort.steps.length, 'step')}` +
    (cohort.createsSchema ? ', new schemas' : '') +
    (types.length ? ` · ⚠️ ${htmlText(types.join(', '))}` : '') +
    (outlier ? ' · outlier' : '');
  const parts = [`<details><summary>${summary}</summary>`, ''];
  parts.push(`From ${fromTo(cohort)}.`, '');
  if (outlier) parts.push(`> [!WARNING]\n> Outlier: ${mdText(describeOutlier(cohort, plan))}.`, '');
  parts.push(`**Schemas:** ${tenantsLine(cohort, plan)}`, '');
  if (cohort.backups?.length) {
    const objects = cohort.backups.map((b) => mdCode(b.column === null ? `table "${b.table}"` : `column "${b.table}"."${b.column}"`)).join(', ');
    parts.push(
      plan.settings.skipBackup
        ? `**No backup** (\`--skip-backup\`): ${objects} cannot be put back by \`tm rollback\`.`
        : `**Backed up** before the steps, in each tenant's transaction (\`tm rollback\` restores them): ${objects}.`,
      '',
    );
  }
  if (withSql) parts.push(mdFence('sql', cohortSql(cohort)), '');
  else parts.push(`*${sqlNote}*`, '');
  const steps = cohort.steps.map((s, i) => `${i + 1}. ${SYMBOL[s.action]} ${mdCode(s.object)}`);
  if (!withSql && steps.length) parts.push(...steps.slice(0, MARKDOWN_ROWS_SHOWN), ...(steps.length > MARKDOWN_ROWS_SHOWN ? [`\n…and ${steps.length - MARKDOWN_ROWS_SHOWN} more steps`] : []), '');
  parts.push('</details>');
  return parts.join('\n');
}

interface HazardItem {
  type: HazardType;
  object: string;
  message: string;
  where: string[];
  schemas: number;
}

/** One checklist item per hazard, merged across cohorts when the same step has it. */
function hazardItems(plan: Plan): HazardItem[] {
  const items = new Map<string, HazardItem>();
  for (const cohort of plan.cohorts) {
    cohort.steps.forEach((step, i) => {
      for (const h of step.hazards) {
        const key = `${h.type}\0${step.object}\0${h.message}`;
        let item = items.get(key);
        if (!item) items.set(key, (item = { type: h.type, object: step.object, message: h.message, where: [], schemas: 0 }));
        const at = `${cohort.id} step ${i + 1}`;
        if (!item.where.includes(at)) {
          item.where.push(at);
          item.schemas += cohort.tenants.length;
        }
      }
    });
  }
  const order = (t: HazardType) => (t === 'DATA_LOSS' ? 0 : 1);
  return [...items.values()].sort((a, b) => order(a.type) - order(b.type) || a.type.localeCompare(b.type));
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const withSql = options.sql ?? true;
  const budget = options.budget ?? MARKDOWN_BUDGET;
  const s = plan.summary;
  const out: string[] = [MARKDOWN_MARKER, `## tm ${plan.kind}: ${mdCode(plan.id)}`, ''];

  const created = plan.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  out.push(
    `Made ${mdText(created)} from ${mdCode(plan.schema.folder)} (${plural(plan.schema.files.length, 'file')}, ${mdCode(plan.schema.hash.slice(0, 19) + '…')}) ` +
      `for ${plural(s.tenants, 'tenant schema')} on ${plan.databases.map(mdCode).join(', ')}; lock timeout ${plan.settings.lockTimeoutMs} ms.`,
    '',
  );
  out.push(`**${mdText(renderPlanSummaryLine(plan))}**`, '');
  for (const n of plan.notPlanned ?? []) {
    out.push(`> [!CAUTION]\n> Not planned: database ${mdCode(n.database)} could not be reached (${mdText(n.reason)}); its listed tenants: ${n.tenants.length ? n.tenants.map(mdCode).join(', ') : '(none)'}.`, '');
  }
  if (plan.scope && (plan.scope.schemas.length || plan.scope.databases.length)) {
    const parts = [...(plan.scope.databases.length ? [`databases ${plan.scope.databases.map(mdCode).join(', ')}`] : []), ...(plan.scope.schemas.length ? [`schemas ${plan.scope.schemas.map(mdCode).join(', ')}`] : [])];
    out.push(`Planned for ${parts.join(' and ')} only.`, '');
  }
  const r = plan.rollback;
  if (r) {
    out.push(`### Rollback of ${mdCode(r.schema)} (database ${mdCode(r.database)})`, '');
    out.push(`Back to its state before ${mdCode(r.target.name)} (${mdCode(r.target.planId)}, applied ${mdText(r.target.appliedAt)}).`, '');
    if (r.undoes.length > 1) out.push(`Also undoes ${r.undoes.length - 1} later plan(s): ${r.undoes.slice(1).map((u) => mdCode(u.name)).join(', ')}.`, '');
    for (const x of r.restores) out.push(`- Puts back ${mdText(x.object)}: ${x.rows} row(s) from backup ${mdCode(x.backupTable)} (taken by ${mdCode(x.fromPlanId)})`);
    for (const note of r.notes) out.push(`- ⚠️ ${mdText(note)}`);
    if (r.restores.length || r.notes.length) out.push('');
  }
  for (const entry of plan.databaseSteps ?? []) {
    // Short and bounded (one statement per extension): always shown whole.
    out.push(`### Database ${mdCode(entry.database)}: once, before its tenants`, '');
    for (const step of entry.steps) out.push(`- ${mdCode(step.sql)}`);
    out.push('');
  }
  if (plan.cohorts.length === 0) {
    out.push(plan.databaseSteps?.length ? 'No tenant schema to change.' : 'Nothing to apply.');
    return out.join('\n') + '\n';
  }

  out.push(
    mdTable(['Tenants', 'To change', 'New', 'Unchanged', 'Cohorts', 'Steps', 'Hazards'], ['right', 'right', 'right', 'right', 'right', 'right', 'left'], [
      [String(s.tenants), String(s.toChange), String(s.toCreate), String(s.unchanged), String(plan.cohorts.length), String(plan.cohorts.reduce((n, c) => n + c.steps.length, 0)), hazardCell(s.hazards)],
    ]),
    '',
  );

  const rows = plan.cohorts.slice(0, MARKDOWN_ROWS_SHOWN).map((c) => [
    `**${mdText(c.id)}**${isOutlier(c, plan) ? ' ⚠️ outlier' : ''}`,
    String(c.tenants.length),
    fromTo(c),
    String(c.steps.length),
    hazardCell(hazardTypes(c)),
    c.tenants.length === 1 ? mdCode(tenantName(c.tenants[0], plan.databases.length)) : tenantsLine(c, plan, 3),
  ]);
  if (plan.cohorts.length > MARKDOWN_ROWS_SHOWN) {
    const rest = plan.cohorts.slice(MARKDOWN_ROWS_SHOWN);
    rows.push([`…and ${rest.length} more`, String(rest.reduce((n, c) => n + c.tenants.length, 0)), '', '', '', '']);
  }
  out.push(mdTable(['Cohort', 'Schemas', 'From → to', 'Steps', 'Hazards', 'Tenants'], ['left', 'right', 'left', 'right', 'left', 'left'], rows), '');

  const hazards = hazardItems(plan);
  if (hazards.length) {
    out.push('### Hazards to review', '');
    for (const h of hazards.slice(0, MARKDOWN_ROWS_SHOWN)) {
      out.push(`- [ ] **${h.type}** ${mdCode(h.object)}: ${mdText(h.message)} (${mdText(h.where.join(', '))}; ${plural(h.schemas, 'schema')})`);
    }
    if (hazards.length > MARKDOWN_ROWS_SHOWN) out.push(`- …and ${hazards.length - MARKDOWN_ROWS_SHOWN} more: see the cohorts below or \`tm show\`.`);
    out.push('');
    if (plan.settings.skipBackup && plan.cohorts.some((c) => c.backups?.length)) {
      out.push('> [!WARNING]\n> Made with `--skip-backup`: what these steps remove is not backed up, and `tm rollback` cannot put it back.', '');
    }
    if (s.hazards.includes('DATA_LOSS')) {
      out.push('`tm apply` refuses this plan unless `DATA_LOSS` is allowed: `--allow-hazards DATA_LOSS`, or `policy: { allowHazards: [DATA_LOSS] }` in tenants.yaml.', '');
    }
  }

  const outliers = outlierIds(plan);
  if (outliers.length) {
    out.push('### Outliers', '');
    for (const id of outliers.slice(0, MARKDOWN_ROWS_SHOWN)) {
      const c = plan.cohorts.find((x) => x.id === id)!;
      out.push(`- **${mdText(c.id)}** (${tenantsLine(c, plan, 3)}): ${mdText(describeOutlier(c, plan))}.`);
    }
    if (outliers.length > MARKDOWN_ROWS_SHOWN) out.push(`- …and ${outliers.length - MARKDOWN_ROWS_SHOWN} more outlier cohorts.`);
    out.push('');
  }

  out.push('### Cohorts', '');
  const footer = [
    `Apply exactly this plan with ${mdCode(`tm apply ${options.planPath ?? '<plan file>'}`)}. Integrity ${mdCode(plan.integrity.slice(0, 12))}.`,
  ];
  // Every cohort's SQL when it all fits; else SQL for the first cohorts while
  // the rest still fit without theirs; past the budget, cohorts are counted.
  const sqlNote = withSql ? 'SQL left out to keep this comment under GitHub’s size limit: `tm show` prints it.' : 'SQL not shown.';
  const short = plan.cohorts.map((c) => cohortSection(c, plan, false, sqlNote));
  const restShort: number[] = new Array(short.length + 1).fill(0);
  for (let i = short.length - 1; i >= 0; i--) restShort[i] = restShort[i + 1] + short[i].length + 2;
  const room = budget - out.join('\n').length - footer.join('\n').length - 300; // 300: the "and N more" line
  let used = 0;
  for (let i = 0; i < plan.cohorts.length; i++) {
    const full = withSql ? cohortSection(plan.cohorts[i], plan, true, sqlNote) : short[i];
    let section = full;
    if (used + full.length + 2 + restShort[i + 1] > room) section = short[i];
    if (used + section.length + 2 > room) {
      const rest = plan.cohorts.slice(i);
      out.push(`…and ${plural(rest.length, 'more cohort')} (${plural(rest.reduce((n, c) => n + c.tenants.length, 0), 'schema')}), left out to keep this comment under GitHub’s size limit: \`tm show\` prints them.`, '');
      break;
    }
    out.push(section, '');
    used += section.length + 2;
  }
  out.push(...footer);
  return out.join('\n') + '\n';
}
