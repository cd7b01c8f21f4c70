/** Options several commands share, parsed the same way everywhere. */
import { Option } from 'clipanion';
import { TmError } from '../errors.js';

export const schemasOption = () => Option.Array('--schema', [], { description: 'Only this tenant schema (repeatable)' });
export const databasesOption = () => Option.Array('--database', [], { description: 'Only this database from tenants.yaml (repeatable)' });
export const detailedExitCodeOption = () =>
  Option.Boolean('--detailed-exitcode', false, { description: 'Exit 0 when nothing changes, 2 with changes, 3 with hazardous changes (1 is an error)' });
/**
 * `--no-sql`, declared under the name the README documents: clipanion shows a
 * `--sql` boolean that defaults to true as `[--sql]`, the one spelling that
 * changes nothing. Commands read it as `sql: !this.noSql`.
 */
export const noSqlOption = (description = 'One line per step instead of its SQL') => Option.Boolean('--no-sql', false, { description });
export const jsonOption = () => Option.Boolean('--json', false, { description: 'Machine-readable output' });

/** Parses a duration such as 500ms, 10s, 2m, or a plain number of milliseconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new TmError(`${option} takes a duration such as 500ms, 10s or 2m, not "${text}".`);
  const value = Number(match[1]);
  return Math.round(match[2] === 's' ? value * 1000 : match[2] === 'm' ? value * 60_000 : value);
}

export function parsePositiveInteger(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new TmError(`${option} takes a whole number of at least 1, not "${text}".`);
  return Number(text);
}

/** A whole number that may be 0 (retries, tolerated failures). */
export function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new TmError(`${option} takes a whole number (0 or more), not "${text}".`);
  return Number(text);
}

/** Exit code for --detailed-exitcode: 0 nothing to do, 2 changes, 3 changes with hazards. */
export function detailedExitCode(changes: boolean, hazards: boolean): number {
  return !changes ? 0 : hazards ? 3 : 2;
}

/** Parses a size such as 500MB, 10GB, 1TB or a plain number of bytes. */
export function parseSize(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?$/i.exec(text.trim());
  if (!match) throw new TmError(`${option} takes a size such as 500MB or 10GB, not "${text}".`);
  const power = ['b', 'kb', 'mb', 'gb', 'tb'].indexOf((match[2] ?? 'b').toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** power);
}
