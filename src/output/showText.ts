/**
 * The text of a plan exactly as `tm plan` prints it: the plan (planText.ts),
 * then what its kind adds (backups before destructive steps, a rollback's
 * details; src/output/kindDetails.ts). `tm show` prints this.
 */
import { backupSchemaName } from '../apply/backup.js';
import { renderKindDetails } from './kindDetails.js';
import type { Plan } from '../plan/types.js';
import { renderPlanText } from './planText.js';

export function renderShowText(plan: Plan, options: { sql: boolean; metadataSchema: string }): string {
  return renderPlanText(plan, { sql: options.sql }) + renderKindDetails(plan, backupSchemaName(options.metadataSchema));
}
