/**
 * How a kept column changes: converted in place, or dropped and added again
 * (a type Prisma does not convert, a changed generated expression), with the
 * hazards of a conversion; and which indexes and constraints go with a
 * re-added column (they are dropped with it, so the diff makes them again).
 * The type rules themselves are in typeChange.ts.
 */
import type { ColumnModel, ConstraintModel, SchemaModel } from '../catalog/model.js';
import { quoteIdent } from '../sql/quote.js';
import type { Hazard } from './step.js';
import { typeChange, type TypeChange } from './typeChange.js';

const q = quoteIdent;

const hazard = (type: Hazard['type'], message: string): Hazard => ({ type, message });

function kept<T>(from: Record<string, T>, to: Record<string, T>): string[] {
  return Object.keys(from)
    .filter((k) => k in to)
    .sort();
}

/** Is the printed type one of these models' enums? */
export function enumPredicate(...models: SchemaModel[]): (type: string) => boolean {
  const names = new Set(models.flatMap((m) => Object.keys(m.enums)));
  return (type) => names.has(type) || (type.startsWith('"') && names.has(type.slice(1, -1).replace(/""/g, '"')));
}

/**
 * How a kept column changes type: null when it does not, 'recreate' when it
 * is dropped and added again (a type Prisma does not convert, or a changed
 * generated expression), else the conversion (see typeChange.ts).
 */
export function columnChange(a: ColumnModel, b: ColumnModel, isEnum: (type: string) => boolean): Extract<TypeChange, { kind: 'cast' }> | 'recreate' | null {
  if (a.generated !== b.generated) return 'recreate';
  const change = typeChange(a.type, b.type, isEnum);
  if (change.kind === 'recreate') return 'recreate';
  if (change.kind === 'cast') return change;
  // Only the collation changes: the values stay, the table is rewritten for it.
  return a.collation !== b.collation ? { kind: 'cast', keepsValues: true, inPlace: false } : null;
}

export function typeChangeHazards(table: string, column: string, a: ColumnModel, b: ColumnModel, change: Extract<TypeChange, { kind: 'cast' }>): Hazard[] {
  if (change.inPlace) return [];
  const hazards = [
    hazard('TABLE_REWRITE', `rewrites table ${q(table)} to change ${q(column)} from ${a.type} to ${b.type}`),
    hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} against reads and writes while it is rewritten`),
  ];
  if (!change.keepsValues) {
    hazards.push(hazard('DATA_LOSS', `converts ${q(column)} from ${a.type} to ${b.type}: values can be cut, rounded or changed (backed up; tm rollback puts them back)`));
    hazards.push(hazard('MAY_FAIL_ON_DATA', `fails if a value of ${q(column)} in existing rows of ${q(table)} does not convert to ${b.type}`));
  }
  return hazards;
}

/** Columns dropped and added again, by table: their indexes and constraints go with them and are made again. */
export function recreatedColumns(from: SchemaModel, to: SchemaModel, isEnum: (type: string) => boolean = enumPredicate(from, to)): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const table of kept(from.tables, to.tables)) {
    const a = from.tables[table].columns;
    const b = to.tables[table].columns;
    const columns = kept(a, b).filter((c) => columnChange(a[c], b[c], isEnum) === 'recreate');
    if (columns.length) out.set(table, new Set(columns));
  }
  return out;
}

/** Does an index or constraint use one of these columns (directly, or by name in an expression)? */
export function usesAny(columns: Set<string> | undefined, object: { columns: string[]; definition: string }): boolean {
  if (!columns) return false;
  // Expressions print a name unquoted when it needs no quotes.
  const named = (c: string) => object.definition.includes(q(c)) || (/^[a-z_][a-z0-9_]*$/.test(c) && new RegExp(`\\b${c}\\b`).test(object.definition));
  return [...columns].some((c) => object.columns.includes(c) || named(c));
}

/** A foreign key on `table` uses a recreated column on either side. */
export function foreignKeyUsesAny(recreated: Map<string, Set<string>>, table: string, fk: ConstraintModel): boolean {
  const referenced = fk.definition.slice(fk.definition.indexOf(' REFERENCES '));
  return usesAny(recreated.get(table), fk) || (fk.references !== null && usesAny(recreated.get(fk.references), { columns: [], definition: referenced }));
}
