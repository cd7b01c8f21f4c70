/**
 * What a migration script changes, as a set of objects: `kind table.object`
 * strings such as `column "User"."email"`, `index "User_email_key"`, `table
 * "User"`, `enum "Role"`. The same parser reads Prisma's SQL and tm's steps,
 * so that the two plans can be compared object by object, whatever SQL each
 * uses for a change (Prisma's `DROP COLUMN` + `ADD COLUMN` and tm's `ALTER
 * COLUMN … TYPE` both touch the column).
 *
 * Indexes, enums and sequences are keyed by name alone (unique within a
 * schema; `DROP INDEX` does not name the table). Enum rebuilds go through
 * `"E_new"` / `"E_old"` names in both tools: those count as `"E"`.
 */
import { splitTopLevelCommas } from '../src/sql/split.js';

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
/** An optionally schema-qualified name; the last part is kept. */
const QNAME = String.raw`(?:${NAME}\s*\.\s*)?(${NAME})`;

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function enumName(raw: string): string {
  return unquote(raw).replace(/_(new|old)$/, '');
}

function alterTableAction(table: string, action: string): string[] {
  const t = q(table);
  let m: RegExpMatchArray | null;
  // A rename changes the object under both names.
  if ((m = action.match(new RegExp(String.raw`^(?:ADD|DROP|VALIDATE|ALTER)\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(${NAME})`, 'i')))) return [`constraint ${t}.${q(unquote(m[1]))}`];
  if ((m = action.match(new RegExp(String.raw`^RENAME\s+CONSTRAINT\s+(${NAME})\s+TO\s+(${NAME})`, 'i')))) return [1, 2].map((i) => `constraint ${t}.${q(unquote(m![i]))}`);
  if ((m = action.match(new RegExp(String.raw`^RENAME\s+(?:COLUMN\s+)?(${NAME})\s+TO\s+(${NAME})`, 'i')))) return [1, 2].map((i) => `column ${t}.${q(unquote(m![i]))}`);
  if ((m = action.match(new RegExp(String.raw`^(?:ADD|DROP|ALTER)\s+(?:COLUMN\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(${NAME})`, 'i')))) {
    if (!/^(ADD|DROP)\s+(PRIMARY|UNIQUE|FOREIGN|CHECK|CONSTRAINT)\b/i.test(action)) return [`column ${t}.${q(unquote(m[1]))}`];
  }
  if (/^ADD\s+(PRIMARY|UNIQUE|FOREIGN|CHECK)\b/i.test(action)) return [`constraint ${t}.(unnamed)`];
  return [`table ${t} (${action.split(/\s+/).slice(0, 2).join(' ')})`];
}

/** The objects one statement changes. */
export function statementObjects(statement: string): string[] {
  const s = statement.replace(/\s+/g, ' ').trim();
  let m: RegExpMatchArray | null;
  if ((m = s.match(new RegExp(String.raw`^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?${QNAME} RENAME TO (${NAME})`, 'i')))) return [`table ${q(unquote(m[1]))}`, `table ${q(unquote(m[2]))}`];
  if ((m = s.match(new RegExp(String.raw`^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?${QNAME} (.*)$`, 'i')))) {
    const table = unquote(m[1]);
    return splitTopLevelCommas(m[2]).flatMap((a) => alterTableAction(table, a));
  }
  if ((m = s.match(new RegExp(String.raw`^(?:CREATE|DROP) (?:UNLOGGED )?TABLE (?:IF (?:NOT )?EXISTS )?${QNAME}`, 'i')))) {
    // A serial column's sequence comes with the table (tm may create it in a statement of its own).
    const table = unquote(m[1]);
    const serials = [...s.matchAll(new RegExp(String.raw`[(,]\s*(${NAME}) (?:SMALL|BIG)?SERIAL\b`, 'gi'))].map((c) => `sequence ${q(`${table}_${unquote(c[1])}_seq`)}`);
    return [`table ${q(table)}`, ...serials];
  }
  if ((m = s.match(new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(${NAME})`, 'i')))) return [`index ${q(unquote(m[1]))}`];
  if ((m = s.match(new RegExp(String.raw`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?${QNAME}`, 'i')))) return [`index ${q(unquote(m[1]))}`];
  if ((m = s.match(new RegExp(String.raw`^ALTER INDEX (?:IF EXISTS )?${QNAME} RENAME TO (${NAME})`, 'i')))) return [`index ${q(unquote(m[1]))}`, `index ${q(unquote(m[2]))}`];
  if ((m = s.match(new RegExp(String.raw`^(?:CREATE|DROP|ALTER) TYPE (?:IF EXISTS )?${QNAME}`, 'i')))) {
    const renamed = s.match(new RegExp(String.raw`RENAME TO (${NAME})$`, 'i'));
    return [...new Set([`enum ${q(enumName(m[1]))}`, ...(renamed ? [`enum ${q(enumName(renamed[1]))}`] : [])])];
  }
  if ((m = s.match(new RegExp(String.raw`^(?:CREATE|DROP|ALTER) SEQUENCE (?:IF (?:NOT )?EXISTS )?${QNAME}`, 'i')))) return [`sequence ${q(unquote(m[1]))}`];
  if ((m = s.match(new RegExp(String.raw`^(?:CREATE|DROP|ALTER) (?:OR REPLACE )?(?:MATERIALIZED )?VIEW (?:IF (?:NOT )?EXISTS )?${QNAME}`, 'i')))) return [`view ${q(unquote(m[1]))}`];
  if ((m = s.match(new RegExp(String.raw`^(?:CREATE|DROP|ALTER) EXTENSION (?:IF (?:NOT )?EXISTS )?(${NAME})`, 'i')))) return [`extension ${q(unquote(m[1]))}`];
  if ((m = s.match(new RegExp(String.raw`^COMMENT ON (COLUMN|TABLE) ((?:${NAME}\s*\.\s*)*${NAME}) IS`, 'i')))) {
    const parts = [...m[2].matchAll(new RegExp(NAME, 'g'))].map((p) => unquote(p[0]));
    return [m[1].toUpperCase() === 'COLUMN' ? `column ${q(parts.at(-2)!)}.${q(parts.at(-1)!)}` : `table ${q(parts.at(-1)!)}`];
  }
  return [`other: ${s.slice(0, 80)}`];
}

/** The objects a list of statements changes, sorted. */
export function touchedObjects(statements: string[]): string[] {
  return [...new Set(statements.flatMap(statementObjects))].sort();
}

/** The table an object belongs to (`column "T"."c"` → `T`), for tables only the table itself; undefined for indexes, enums, …. */
export function objectTable(object: string): string | undefined {
  const m = object.match(/^(?:table|column|constraint) "((?:[^"]|"")+)"/);
  return m ? m[1].replace(/""/g, '"') : undefined;
}
