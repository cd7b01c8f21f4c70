/**
 * What a plan of a kind adds to the plan text: the backups taken before
 * destructive steps (or that --skip-backup leaves out), and for a rollback
 * the plans it undoes, the data it puts back and what it cannot. Names are
 * printed with their control characters visible (src/output/terminal.ts).
 */
import { termLines, termName } from './terminal.js';
import { quoteIdent } from '../sql/quote.js';
import type { BackupTarget, Plan } from '../plan/types.js';
import { objectLabel, ref } from '../catalog/objectRef.js';

const q = quoteIdent;

export function backupObject(target: Pick<BackupTarget, 'table' | 'column'>): string {
  return objectLabel(target.column === null ? ref.table(target.table) : ref.column(target.table, target.column));
}

export function renderKindDetails(plan: Plan, backupSchema: string): string {
  const lines: string[] = [];
  const withBackups = plan.cohorts.filter((c) => c.backups?.length);
  if (withBackups.length) {
    lines.push(
      plan.settings.skipBackup
        ? 'Backups: NONE (--skip-backup). tm rollback cannot put back what these steps remove:'
        : `Backups: copied to ${backupSchema} in each tenant's transaction before its steps (tm rollback restores them):`,
    );
    for (const cohort of withBackups) {
      const shown = cohort.backups!.map((b) => termName(backupObject(b)) + (b.object === 'column' && b.key.length === 0 ? ' (whole rows: no row key)' : ''));
      lines.push(`  ${cohort.id}: ${shown.join(', ')}`);
    }
  }
  const r = plan.rollback;
  if (r) {
    if (lines.length) lines.push('');
    lines.push(`Rollback of ${termName(r.schema)} (database ${termName(r.database)}) to its state before ${termName(r.target.name)} (${termName(r.target.planId)}, applied ${termName(r.target.appliedAt)}).`);
    const later = r.undoes.slice(1);
    if (later.length) lines.push(`It also undoes ${later.length} later plan(s): ${later.map((u) => (u.kind === 'migrate' ? u.name : `${u.name} (${u.kind})`)).join(', ')}.`);
    if (r.restores.length) {
      lines.push('Data put back from backups:');
      for (const x of r.restores) lines.push(`  ${termName(x.object)}: ${x.rows} row(s) from ${backupSchema}.${termName(q(x.backupTable))} (taken by ${termName(x.fromPlanId)})`);
    }
    for (const note of r.notes) lines.push(`Note: ${termName(note)}`);
  }
  return lines.length ? termLines('\n' + lines.join('\n') + '\n') : '';
}
