/**
 * What changing a column's type does to its values: the rules in one place.
 *
 * Two questions, answered separately:
 *
 * 1. Does Prisma convert the column, or drop and re-add it? Prisma's engine is
 *    the judge of what it can express, so tm follows its castability table
 *    (prisma-engines, the PostgreSQL flavour of the schema differ: "safe",
 *    "risky" and "not castable" type changes). Where Prisma would drop and
 *    re-add the column, tm does too, and never invents a cast PostgreSQL may
 *    not have (timestamp → boolean, integer → jsonb, …).
 *
 * 2. Does the conversion keep every value? Prisma calls timestamptz → date or
 *    bigint → double precision "safe" because they never fail; they do change
 *    values. tm's own rule is stricter: only conversions proven to keep every
 *    value (and to convert back exactly) go unflagged; every other one is
 *    DATA_LOSS, backed up, and restorable by `tm rollback`.
 *
 * Types are compared as the catalog model prints them (format_type output,
 * own-schema qualifier removed).
 */

/** A PostgreSQL type as Prisma's native types see it. */
export interface NativeType {
  /** Base name: `integer`, `varchar`, `char`, `numeric`, `timestamp`, `timestamptz`, …; `enum` for one of the schema's enums; `unknown` otherwise. */
  base: string;
  /** Length, precision (`numeric(p,s)` → [p, s]), or [] when the type has none. */
  params: number[];
  /** `[]` arrays: Prisma lists. */
  list: boolean;
  /** The type as printed, less `[]`. */
  text: string;
}

export type TypeChange =
  /** Same type for Prisma: nothing to do. */
  | { kind: 'none' }
  /** ALTER COLUMN … TYPE … USING col::type. */
  | {
      kind: 'cast';
      /** Every value converts to an equal value that converts back exactly: no DATA_LOSS. */
      keepsValues: boolean;
      /** PostgreSQL changes the type without rewriting the table (binary-coercible, wider typmod). */
      inPlace: boolean;
    }
  /** Prisma drops the column and adds it again: every value of the column goes. */
  | { kind: 'recreate' };

const SIMPLE: Record<string, string> = {
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  real: 'real',
  'double precision': 'double',
  text: 'text',
  bytea: 'bytea',
  date: 'date',
  boolean: 'boolean',
  uuid: 'uuid',
  xml: 'xml',
  json: 'json',
  jsonb: 'jsonb',
  inet: 'inet',
  money: 'money',
  oid: 'oid',
};

const PARAMETRIC: [RegExp, string][] = [
  [/^character varying(?:\((\d+)\))?$/, 'varchar'],
  [/^character(?:\((\d+)\))?$/, 'char'],
  [/^bit varying(?:\((\d+)\))?$/, 'varbit'],
  [/^bit(?:\((\d+)\))?$/, 'bit'],
  [/^numeric(?:\((\d+),(\d+)\))?$/, 'numeric'],
  [/^timestamp(?:\((\d)\))? without time zone$/, 'timestamp'],
  [/^timestamp(?:\((\d)\))? with time zone$/, 'timestamptz'],
  [/^time(?:\((\d)\))? without time zone$/, 'time'],
  [/^time(?:\((\d)\))? with time zone$/, 'timetz'],
];

/** Reads a printed type; `isEnum` says whether a name is one of the schema's enums. */
export function parseType(printed: string, isEnum: (type: string) => boolean): NativeType {
  const list = printed.endsWith('[]');
  const text = printed.replace(/(\[\])+$/, '');
  const out = (base: string, params: number[] = []): NativeType => ({ base, params, list, text });
  if (isEnum(text)) return out('enum');
  if (text in SIMPLE) return out(SIMPLE[text]);
  // An extension's type, wherever the extension lives (`citext`, `public.citext`).
  if (/^(?:(?:"[^"]+"|[a-z_][a-z0-9_$]*)\.)?citext$/.test(text)) return out('citext');
  for (const [pattern, base] of PARAMETRIC) {
    const match = pattern.exec(text);
    if (match) return out(base, match.slice(1).filter((p) => p !== undefined).map(Number));
  }
  return out('unknown');
}

type Castability = 'safe' | 'risky' | 'none';

/** Prisma's verdict on a change between two different scalar types (see the module comment). */
function prismaCastability(from: NativeType, to: NativeType): Castability {
  const [len] = to.params;
  const bounded = to.params.length > 0;
  const toString = to.base === 'varchar' || to.base === 'char';
  // char without a length is char(1); varchar without one is unbounded.
  const stringAtLeast = (n: number): Castability => (!toString ? 'none' : bounded ? (len >= n ? 'safe' : 'risky') : to.base === 'char' ? 'risky' : 'safe');
  const [p, s] = from.params;
  switch (from.base) {
    case 'inet':
      return ['citext', 'text', 'varchar'].includes(to.base) ? 'safe' : 'none';
    case 'money':
      return ['citext', 'text', 'varchar'].includes(to.base) ? 'safe' : 'risky';
    case 'citext':
      return ['text', 'varchar'].includes(to.base) ? 'safe' : 'risky';
    case 'oid':
      return ['text', 'varchar', 'bigint', 'integer'].includes(to.base) ? 'safe' : 'none';
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const digits = { smallint: 3, integer: 10, bigint: 19 }[from.base];
      const chars = { smallint: 4, integer: 11, bigint: 20 }[from.base];
      if (to.base === 'smallint') return 'risky';
      if (to.base === 'integer') return from.base === 'bigint' ? 'risky' : 'safe';
      if (to.base === 'bigint' || to.base === 'real' || to.base === 'double' || to.base === 'text') return 'safe';
      if (to.base === 'numeric') return to.params.length && to.params[0] - to.params[1] < digits ? 'risky' : 'safe';
      return toString ? stringAtLeast(chars) : 'none';
    }
    case 'numeric': {
      if (to.base === 'smallint' || to.base === 'integer' || to.base === 'bigint') {
        const most = { smallint: 2, integer: 9, bigint: 18 }[to.base];
        return from.params.length === 0 || s > 0 || p > most ? 'risky' : 'safe';
      }
      if (to.base === 'numeric') {
        if (to.params.length === 0) return 'safe';
        if (from.params.length === 0) return 'risky';
        return p - s > to.params[0] - to.params[1] || s > to.params[1] ? 'risky' : 'safe';
      }
      if (to.base === 'real' || to.base === 'double') return 'risky';
      if (to.base === 'text') return 'safe';
      if (!toString) return 'none';
      if (!bounded) return to.base === 'char' ? 'risky' : 'safe';
      if (from.params.length === 0) return 'risky';
      return (s === 0 ? p + 1 : p + 2) > len ? 'risky' : 'safe';
    }
    case 'real':
    case 'double': {
      if (['smallint', 'integer', 'bigint', 'numeric'].includes(to.base)) return 'risky';
      if (to.base === 'real') return from.base === 'double' ? 'risky' : 'safe';
      if (to.base === 'double' || to.base === 'text') return 'safe';
      return toString ? stringAtLeast(from.base === 'real' ? 47 : 317) : 'none';
    }
    case 'varchar':
    case 'char': {
      if (to.base === 'text') return 'safe';
      if (!toString) return 'none';
      const [old] = from.params;
      const fromBounded = from.params.length > 0;
      if (from.base === 'varchar' && !fromBounded) return bounded || to.base === 'char' ? 'risky' : 'safe';
      if (from.base === 'char' && !fromBounded) return 'safe';
      if (!bounded) return old === 1 ? 'safe' : to.base === 'char' ? 'risky' : 'safe';
      return old > len ? 'risky' : 'safe';
    }
    case 'text':
      if (to.base === 'citext' || (to.base === 'varchar' && !bounded)) return 'safe';
      return toString ? 'risky' : 'none';
    case 'bytea':
      if (to.base === 'text' || (to.base === 'varchar' && !bounded)) return 'safe';
      return toString && bounded && len > 2 ? 'risky' : 'none';
    case 'timestamp':
    case 'timestamptz':
    case 'date':
    case 'time':
    case 'timetz': {
      if (to.base === 'text' || (to.base === 'varchar' && !bounded)) return 'safe';
      const width = { timestamp: 22, timestamptz: 27, date: 27, time: 13, timetz: 18 }[from.base];
      if (toString && bounded && len > width) return 'safe';
      const targets: Record<string, string[]> = {
        timestamp: ['timestamp', 'timestamptz', 'date', 'time', 'timetz'],
        timestamptz: ['timestamp', 'timestamptz', 'date', 'time', 'timetz'],
        date: ['timestamp', 'timestamptz'],
        time: ['timetz'],
        timetz: ['timetz', 'time'],
      };
      return targets[from.base].includes(to.base) ? 'safe' : 'none';
    }
    case 'boolean':
      if (to.base === 'text' || to.base === 'varchar') return 'safe';
      if (to.base === 'char' && bounded && len > 4) return 'safe';
      return to.base === 'char' && bounded && len > 3 ? 'risky' : 'none';
    case 'bit':
    case 'varbit': {
      const [old] = from.params;
      if (to.base === 'text' || (to.base === 'varchar' && !bounded)) return 'safe';
      if (from.base === 'bit' && from.params.length === 0) return ['varchar', 'char', 'varbit'].includes(to.base) ? 'safe' : 'none';
      if (from.base === 'bit') {
        if (to.base === 'varbit' && !bounded) return 'safe';
        return ['varchar', 'varbit', 'char'].includes(to.base) && bounded && len >= old ? 'safe' : 'none';
      }
      if (from.params.length === 0) return ['varchar', 'char', 'bit'].includes(to.base) ? 'risky' : 'none';
      if (to.base === 'varbit') return !bounded || len > old ? 'safe' : 'none';
      if (toString) return bounded && len >= old ? 'safe' : 'risky';
      return to.base === 'bit' ? 'risky' : 'none';
    }
    case 'uuid':
      if (to.base === 'text' || (to.base === 'varchar' && !bounded)) return 'safe';
      return toString && bounded && len > 31 ? 'safe' : 'none';
    case 'xml':
    case 'json':
    case 'jsonb':
      if (to.base === 'text' || (to.base === 'varchar' && !bounded)) return 'safe';
      if ((from.base === 'json' && to.base === 'jsonb') || (from.base === 'jsonb' && to.base === 'json')) return 'safe';
      return toString ? 'risky' : 'none';
    default:
      return 'risky';
  }
}

/** The longest text a value of the type prints as, where it is bounded (for conversions to varchar(n)). */
function longestText(type: NativeType): number | undefined {
  const [p, s] = type.params;
  switch (type.base) {
    case 'smallint':
      return 6;
    case 'integer':
      return 11;
    case 'bigint':
      return 20;
    case 'boolean':
      return 5;
    case 'uuid':
      return 36;
    case 'numeric':
      // Sign, a leading zero and the decimal point.
      return type.params.length ? p + (s > 0 ? 3 : 1) : undefined;
    case 'varchar':
      return type.params[0];
    default:
      return undefined;
  }
}

/**
 * Conversions that keep every value exactly (and convert back to it): the
 * only type changes planned without DATA_LOSS. Anything not listed here is
 * assumed to change or lose values.
 */
function keepsEveryValue(from: NativeType, to: NativeType): boolean {
  const [fromLength] = from.params;
  const [toLength] = to.params;
  const toUnboundedText = to.base === 'text' || to.base === 'citext' || (to.base === 'varchar' && to.params.length === 0);
  const widerOrSame = (a: number | undefined, b: number | undefined, unset: number) => (b ?? unset) >= (a ?? unset);
  const integers = ['smallint', 'integer', 'bigint'];
  switch (from.base) {
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const rank = integers.indexOf(from.base);
      if (integers.includes(to.base)) return integers.indexOf(to.base) >= rank;
      if (to.base === 'numeric') return to.params.length === 0 || to.params[0] - to.params[1] >= [5, 10, 19][rank];
      // float4 holds integers exactly up to 2^24, float8 up to 2^53.
      if (to.base === 'real') return from.base === 'smallint';
      if (to.base === 'double') return from.base !== 'bigint';
      break;
    }
    case 'numeric':
      if (to.base === 'numeric') {
        if (to.params.length === 0) return true;
        if (from.params.length === 0) return false;
        return to.params[1] >= from.params[1] && to.params[0] - to.params[1] >= from.params[0] - from.params[1];
      }
      break;
    case 'real':
      if (to.base === 'double') return true;
      break;
    case 'varchar':
      if (to.base === 'varchar') return to.params.length === 0 || (from.params.length > 0 && toLength >= fromLength);
      if (toUnboundedText) return true;
      break;
    case 'text':
    case 'citext':
      return toUnboundedText;
    case 'char':
      // char(n) pads with blanks that a conversion to varchar or text strips: only a wider char keeps them.
      return to.base === 'char' && widerOrSame(fromLength, toLength, 1);
    case 'timestamp':
    case 'timestamptz':
    case 'time':
    case 'timetz':
      // A wider precision of the same type; zone conversions depend on the session's TimeZone.
      if (to.base === from.base) return widerOrSame(fromLength, toLength, 6);
      break;
    case 'date':
      if (to.base === 'timestamp') return true;
      break;
    case 'varbit':
      if (to.base === 'varbit') return to.params.length === 0 || (from.params.length > 0 && toLength >= fromLength);
      break;
    case 'jsonb':
      // jsonb prints in a normal form that json keeps as it is (json → jsonb normalises: not listed).
      if (to.base === 'json') return true;
      break;
  }
  // Text forms that read back to the same value.
  const exactText = ['smallint', 'integer', 'bigint', 'numeric', 'boolean', 'uuid', 'date', 'json', 'jsonb', 'inet', 'bytea', 'real', 'double'];
  if (exactText.includes(from.base) && to.base !== 'citext') {
    if (toUnboundedText) return true;
    const longest = longestText(from);
    return to.base === 'varchar' && longest !== undefined && toLength >= longest;
  }
  return false;
}

/**
 * Changes PostgreSQL makes without rewriting the table: binary-coercible
 * types, or a wider typmod of the same type.
 */
function changesInPlace(from: NativeType, to: NativeType): boolean {
  const [a] = from.params;
  const [b] = to.params;
  if (from.base === 'varchar' && (to.base === 'text' || (to.base === 'varchar' && (to.params.length === 0 || (from.params.length > 0 && b >= a))))) return true;
  if (from.base === 'text' && to.base === 'varchar' && to.params.length === 0) return true;
  if (from.base === 'numeric' && to.base === 'numeric') return to.params.length === 0 || (from.params.length > 0 && from.params[1] === to.params[1] && b >= a);
  if (TIME_TYPES.includes(from.base) && to.base === from.base) return (b ?? 6) >= (a ?? 6);
  if (from.base === 'varbit' && to.base === 'varbit') return to.params.length === 0 || (from.params.length > 0 && b >= a);
  return false;
}

const TIME_TYPES = ['timestamp', 'timestamptz', 'time', 'timetz'];

function precision(type: NativeType): string {
  return TIME_TYPES.includes(type.base) && type.params.length === 0 ? '6' : type.params.join();
}

/** What changing a column from `from` to `to` (printed types) does; see the module comment. */
export function typeChange(from: string, to: string, isEnum: (type: string) => boolean): TypeChange {
  if (from === to) return { kind: 'none' };
  const a = parseType(from, isEnum);
  const b = parseType(to, isEnum);
  // Lists: Prisma converts a list only to unbounded text (risky to a bounded string); a scalar never becomes a list.
  if (a.list !== b.list) {
    if (!a.list) return { kind: 'recreate' };
    if (b.base === 'text' || (b.base === 'varchar' && b.params.length === 0)) return { kind: 'cast', keepsValues: false, inPlace: false };
    return b.base === 'varchar' || b.base === 'char' ? { kind: 'cast', keepsValues: false, inPlace: false } : { kind: 'recreate' };
  }
  // Enums: another enum, or an enum to or from another type, is dropped and added again.
  if (a.base === 'enum' || b.base === 'enum') return a.text === b.text ? { kind: 'none' } : { kind: 'recreate' };
  if (a.base === 'unknown' || b.base === 'unknown') return { kind: 'cast', keepsValues: false, inPlace: false };
  // Same type and parameters for Prisma: a time type without a precision has 6.
  if (a.base === b.base && precision(a) === precision(b)) return { kind: 'none' };
  if (prismaCastability(a, b) === 'none') return { kind: 'recreate' };
  const keepsValues = keepsEveryValue(a, b);
  return { kind: 'cast', keepsValues, inPlace: keepsValues && changesInPlace(a, b) };
}
