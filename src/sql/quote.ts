/**
 * Quoting for SQL tm writes. Identifiers are always double-quoted (never
 * pasted bare), literals single-quoted with quotes doubled; with
 * standard_conforming_strings on (the default since PostgreSQL 9.1)
 * backslashes need no escaping.
 */

export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('identifier contains a NUL character');
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('literal contains a NUL character');
  return "'" + value.replace(/'/g, "''") + "'";
}
