/**
 * Enums: created, given new values (ALTER TYPE … ADD VALUE), or, when values
 * go or move, built again under a temporary name with every column moved over
 * (the values of removed labels go: DATA_LOSS), and dropped last.
 */
import type { EnumModel, SchemaModel } from '../../catalog/model.js';
import { ref } from '../../catalog/objectRef.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { added, hazard, keys, kept, planned, removed, type ObjectDiffer, type PlannedStep } from '../differ.js';
import type { SchemaKindDrift } from '../kindDrift.js';
import { makeStep as step } from '../step.js';
import { conversionStep } from '../columnSql.js';

const q = quoteIdent;

/** Columns of `model` whose type is the enum (or an array of it). */
function columnsOfEnum(model: SchemaModel, enumName: string): { table: string; column: string; array: boolean }[] {
  const typeName = q(enumName);
  const out: { table: string; column: string; array: boolean }[] = [];
  for (const table of keys(model.tables)) {
    for (const column of keys(model.tables[table].columns)) {
      const type = model.tables[table].columns[column].type;
      if (type === typeName || type === enumName) out.push({ table, column, array: false });
      else if (type === typeName + '[]' || type === enumName + '[]') out.push({ table, column, array: true });
    }
  }
  return out;
}

/** True when `to` keeps every value of `from` in the same relative order (so values can just be added). */
function onlyAddsValues(from: EnumModel, to: EnumModel): boolean {
  const kept = to.values.filter((v) => from.values.includes(v));
  return kept.length === from.values.length && kept.every((v, i) => v === from.values[i]);
}

/** Does any default the plan sets use one of these new enum values? (PostgreSQL forbids that in the transaction that added them.) */
function newValueUsedByNewDefault(from: SchemaModel, to: SchemaModel, enumName: string, newValues: string[]): boolean {
  for (const { table, column } of columnsOfEnum(to, enumName)) {
    const target = to.tables[table].columns[column].default;
    const current = from.tables[table]?.columns[column]?.default ?? null;
    if (target !== null && target !== current && newValues.some((v) => target.includes(quoteLiteral(v)))) return true;
  }
  return false;
}

function newValues(a: EnumModel, b: EnumModel): string[] {
  return b.values.filter((v) => !a.values.includes(v));
}

/** Kept enums built again (values go or move, or a new value a new default uses) rather than given values. */
export function recreatedEnums(from: SchemaModel, to: SchemaModel): Set<string> {
  const out = new Set<string>();
  for (const name of kept(from.enums, to.enums)) {
    const a = from.enums[name];
    const b = to.enums[name];
    if (a.values.join('\0') === b.values.join('\0')) continue;
    if (!(onlyAddsValues(a, b) && !newValueUsedByNewDefault(from, to, name, newValues(a, b)))) out.add(name);
  }
  return out;
}

export const enumDiffer: ObjectDiffer = {
  kind: 'enum',
  diff({ from, to, recreatedEnums }) {
    const out: PlannedStep[] = [];
    for (const name of added(from.enums, to.enums)) {
      const values = to.enums[name].values.map(quoteLiteral).join(', ');
      out.push(planned('enums', step('create', ref.enum(name), `CREATE TYPE ${q(name)} AS ENUM (${values})`), [0]));
    }
    for (const name of kept(from.enums, to.enums)) {
      const a = from.enums[name];
      const b = to.enums[name];
      if (a.values.join('\0') === b.values.join('\0')) continue;
      if (!recreatedEnums.has(name)) {
        for (const value of newValues(a, b)) {
          const index = b.values.indexOf(value);
          const next = b.values.slice(index + 1).find((v) => a.values.includes(v));
          const position = next === undefined ? '' : ` BEFORE ${quoteLiteral(next)}`;
          out.push(planned('enums', step('alter', ref.enum(name), `ALTER TYPE ${q(name)} ADD VALUE ${quoteLiteral(value)}${position}`), [1]));
        }
        continue;
      }
      out.push(...recreate(from, to, name).map((s) => planned('enums', s, [1])));
    }
    for (const name of removed(from.enums, to.enums)) {
      out.push(planned('drop sequences and enums', step('drop', ref.enum(name), `DROP TYPE ${q(name)}`), [1]));
    }
    return out;
  },
};

/** Values go or move: build the new type, move every column over, swap names. */
function recreate(from: SchemaModel, to: SchemaModel, name: string) {
  const a = from.enums[name];
  const b = to.enums[name];
  const gone = a.values.filter((v) => !b.values.includes(v));
  const temp = `${name}_new`;
  const hazards = gone.length
    ? [
        hazard('DATA_LOSS', `removes value${gone.length > 1 ? 's' : ''} ${gone.map(quoteLiteral).join(', ')} from enum ${q(name)}`),
        hazard('MAY_FAIL_ON_DATA', `fails if a row still uses ${gone.map(quoteLiteral).join(', ')}`),
      ]
    : [];
  const steps = [step('create', ref.enum(temp), `CREATE TYPE ${q(temp)} AS ENUM (${b.values.map(quoteLiteral).join(', ')})`)];
  const users = columnsOfEnum(from, name);
  for (const { table, column, array } of users) {
    const current = from.tables[table].columns[column];
    if (current.default !== null) {
      steps.push(step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} DROP DEFAULT`));
    }
    const cast = array ? `${q(column)}::text[]::${q(temp)}[]` : `${q(column)}::text::${q(temp)}`;
    steps.push(
      conversionStep(table, column, { type: `${q(temp)}${array ? '[]' : ''}`, collation: null, using: `(${cast})` }, [
        ...hazards,
        hazard('TABLE_REWRITE', `rewrites table ${q(table)} to change the type of ${q(column)}`),
        hazard('ACCESS_EXCLUSIVE_LOCK', `locks table ${q(table)} against reads and writes while it is rewritten`),
      ]),
    );
  }
  steps.push(step('alter', ref.enum(name), `ALTER TYPE ${q(name)} RENAME TO ${q(name + '_old')}`));
  steps.push(step('alter', ref.enum(temp), `ALTER TYPE ${q(temp)} RENAME TO ${q(name)}`));
  steps.push(step('drop', ref.enum(name + '_old'), `DROP TYPE ${q(name + '_old')}`, users.length ? [] : hazards));
  for (const { table, column } of users) {
    const target = to.tables[table]?.columns[column];
    const current = from.tables[table].columns[column];
    // Put back a default that stays the same; changed defaults are set with the other column changes (column.ts).
    if (current.default !== null && target && target.default === current.default) {
      steps.push(step('alter', ref.column(table, column), `ALTER TABLE ${q(table)} ALTER COLUMN ${q(column)} SET DEFAULT ${target.default}`));
    }
  }
  return steps;
}

/** Drift: an enum by its values, in order. */
export const enumDrift: SchemaKindDrift<EnumModel> = {
  kind: 'enum',
  scope: 'schema',
  objects: (model) => model.enums,
  target: (name) => ref.enum(name),
  summary: (e) => e.values.join(', '),
  changes: (x, y) => (x.values.join(', ') !== y.values.join(', ') ? `values ${x.values.join(', ')} → ${y.values.join(', ')}` : null),
};
