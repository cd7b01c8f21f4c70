/**
 * What is outside tm's catalog model, recognised by the SQL a case uses.
 *
 * tm models, per schema: tables (columns with type, nullability, default,
 * identity kind, generated expression, collation), primary key / unique /
 * check / exclusion / foreign-key constraints, indexes on tables, enums,
 * sequences, and views (definition only). A case that needs anything else to
 * converge is out of scope, with the first reason below that applies; it is
 * listed by name in the report, never dropped silently.
 */

export interface ScopeRule {
  /** Short category name, used to count out-of-scope cases. */
  category: string;
  /** Why tm does not cover it. */
  reason: string;
  test: (sql: string) => boolean;
}

const re = (pattern: RegExp) => (sql: string) => pattern.test(sql);

/** Strips `-- …` comments and string literals' contents, so words in them do not count as features. */
export function codeOnly(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/'(?:[^']|'')*'/g, "''");
}

export const SCOPE_RULES: ScopeRule[] = [
  { category: 'functions', reason: 'functions are not in tm’s model (Prisma never creates them)', test: re(/\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\b|\bDROP\s+FUNCTION\b/i) },
  { category: 'procedures', reason: 'procedures are not in tm’s model', test: re(/\bPROCEDURE\b/i) },
  { category: 'triggers', reason: 'triggers are not in tm’s model', test: re(/\bTRIGGER\b/i) },
  { category: 'policies / RLS', reason: 'row-level security and policies are not in tm’s model', test: re(/\bPOLICY\b|\bROW\s+LEVEL\s+SECURITY\b/i) },
  { category: 'privileges / roles', reason: 'privileges and roles are not in tm’s model', test: re(/\bGRANT\b|\bREVOKE\b|\bCREATE\s+ROLE\b|\bOWNER\s+TO\b/i) },
  { category: 'partitioning', reason: 'partitioned tables are not planned by tm (Prisma cannot express them)', test: re(/\bPARTITION\s+(BY|OF)\b|\bATTACH\s+PARTITION\b|\bDETACH\s+PARTITION\b/i) },
  { category: 'extensions', reason: 'extensions are database-wide, not tenant objects; tm does not manage them', test: re(/\bEXTENSION\b/i) },
  { category: 'replica identity', reason: 'REPLICA IDENTITY is not in tm’s model', test: re(/\bREPLICA\s+IDENTITY\b/i) },
  { category: 'comments', reason: 'comments are not in tm’s model', test: re(/\bCOMMENT\s+ON\b/i) },
  {
    category: 'view options',
    reason: 'view options (WITH (…) storage or security options, check option) are not in tm’s model, which keeps a view’s definition only',
    test: re(/\bVIEW\b[^;]*\bWITH\s*\(|\bWITH\s+(LOCAL\s+|CASCADED\s+)?CHECK\s+OPTION\b|\bALTER\s+VIEW\b[^;]*\bSET\s*\(/i),
  },
  {
    category: 'indexes on materialized views',
    reason: 'tm models indexes of tables only, not of materialized views',
    test: (sql) => {
      const names = [...sql.matchAll(/\bMATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w."]+)/gi)].map((m) => m[1].replace(/"/g, '').split('.').pop()!.toLowerCase());
      if (names.length === 0) return false;
      return [...sql.matchAll(/\bCREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+(?:ONLY\s+)?([\w."]+)/gi)].some((m) =>
        names.includes(m[1].replace(/"/g, '').split('.').pop()!.toLowerCase()),
      );
    },
  },
  { category: 'domains and composite types', reason: 'domains and composite types are not in tm’s model', test: re(/\bCREATE\s+DOMAIN\b|\bCREATE\s+TYPE\s+[\w."]+\s+AS\s*\(/i) },
];

/** The first rule a case's SQL matches, if any. */
export function outOfScope(sql: string): ScopeRule | undefined {
  const code = codeOnly(sql);
  return SCOPE_RULES.find((rule) => rule.test(code));
}
