/**
 * What `tm apply` prints as it goes: one line per tenant event, or one JSON
 * object per event with --json. Names and server messages are printed with
 * their control characters visible (terminal.ts): each event stays one line.
 */
import type { ApplyEvent, ApplyResult } from '../apply/events.js';
import { termName } from './terminal.js';

export function renderApplyEvent(event: ApplyEvent): string | null {
  const line = renderEvent(event);
  return line === null ? null : termName(line);
}

function renderEvent(event: ApplyEvent): string | null {
  const where = event.schema ? `${event.database}/${event.schema}` : (event.database ?? '');
  const took = event.durationMs !== undefined ? ` (${event.durationMs} ms)` : '';
  switch (event.type) {
    case 'started':
      return null;
    case 'applied':
      return `  ✓ ${where}: applied${took}`;
    case 'already-applied':
      return `  = ${where}: already applied, skipped`;
    case 'stale':
      return `  ! ${where}: skipped as stale: ${event.message}`;
    case 'failed':
      return `  ✗ ${where}: failed, rolled back: ${event.message}`;
    case 'wave-started':
      return `Wave ${event.wave}: ${event.message?.replace(/^wave [^:]*: /, '') ?? ''}`;
    case 'stopped':
      return `  ■ ${event.message}`;
    case 'database-failed':
      return `  ✗ ${where}: stopped: ${event.message}`;
    case 'database-step':
      return `  + ${where}: ${event.message} (once, before its tenants)`;
    case 'removed':
      return `  ! ${where}: ${event.message}`;
    case 'not-covered':
      return `  ? ${where}: ${event.message}`;
    default:
      return `  ${event.type} ${where}: ${event.message ?? ''}`;
  }
}

export function renderApplySummary(result: ApplyResult, seconds: number): string {
  const parts = [`${result.applied} applied`, `${result.alreadyApplied} already applied`, `${result.stale} stale`, `${result.failed} failed`];
  let text = `\nApply ${result.ok ? 'complete' : 'incomplete'}: ${parts.join(', ')} in ${seconds.toFixed(1)} s.`;
  if (result.notAttempted) text += ` ${result.notAttempted} not attempted.`;
  if (result.databaseErrors) text += ` ${result.databaseErrors} database(s) stopped on an error.`;
  if (result.removed?.length) text += ` ${result.removed.length} tenant(s) no longer in tenants.yaml.`;
  if (result.notCovered.length) text += ` ${result.notCovered.length} tenant(s) not covered by this plan.`;
  if (!result.ok) text += '\nRun `tm plan` again for the stale schemas; fix the failures and re-run `tm apply` with the same plan to finish the rest.';
  return text + '\n';
}
