/** `tm status` as a table, one row per tenant. */
import { shortFingerprint } from '../catalog/fingerprint.js';
import type { TenantStatus } from '../plan/status.js';
import { termName } from './terminal.js';

export function renderStatusTable(rows: TenantStatus[]): string {
  const multiDb = new Set(rows.map((r) => r.database)).size > 1;
  const header = ['SCHEMA', 'VERSION', 'LAST MIGRATION', 'APPLIED AT', 'FINGERPRINT', 'STATE'];
  const body = rows.map((r) => [
    termName((multiDb ? `${r.database}/` : '') + r.schema) + (r.listed ? '' : ' (discovered)'),
    String(r.version),
    r.lastName ? termName(r.lastKind === 'migrate' ? r.lastName : `${r.lastName} (${r.lastKind})`) : r.prismaMigration ? termName(`${r.prismaMigration.name} (prisma)`) : '-',
    shownTime(r.lastAppliedAt ?? r.prismaMigration?.finishedAt ?? null),
    shortFingerprint(r.fingerprint),
    r.state,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const counts = (state: string) => rows.filter((r) => r.state === state).length;
  return [
    line(header),
    ...body.map(line),
    '',
    `${rows.length} tenant schema(s): ${counts('up to date')} up to date, ${counts('pending changes')} with pending changes, ${counts('not created')} not created.`,
    ...backupsSkipped(rows),
    '',
  ].join('\n');
}

function shownTime(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

/** Tenants where destructive steps ran with --skip-backup: tm rollback cannot put that data back. */
function backupsSkipped(rows: TenantStatus[]): string[] {
  const skipped = rows.filter((r) => r.backupsSkipped > 0);
  if (!skipped.length) return [];
  const names = skipped.slice(0, 8).map((r) => termName(r.schema)).join(', ') + (skipped.length > 8 ? `, and ${skipped.length - 8} more` : '');
  return [`Applied without backups (--skip-backup), so tm rollback cannot restore what they removed: ${names}.`];
}
