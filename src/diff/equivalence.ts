/**
 * What a tenant should become when the desired model is Prisma's: the desired
 * model, except where the tenant differs from it only in ways Prisma's schema
 * engine does not count as drift. Those parts are kept as the tenant has them,
 * so that the diff plans nothing for them and a tenant that differs only so
 * has its target's fingerprint (it is up to date, for plan, status and drift).
 *
 *  - Enum values in another order (Prisma's migrations append new values with
 *    ADD VALUE, whatever the order in the schema): the tenant's order, with the
 *    values it lacks placed after the value they follow in the schema (the
 *    diff adds them with ADD VALUE … BEFORE, no rewrite). When values go, the
 *    type is rebuilt anyway: Prisma's order.
 *  - NOT NULL on a list column (Prisma renders lists nullable; a hand-written
 *    NOT NULL is no drift to it).
 *  - A UNIQUE constraint where Prisma makes a unique index on the same columns
 *    (deferrable or not: Prisma sees one unique index either way). Kept under
 *    the index's name: when the names differ, the diff renames the constraint.
 *  - CHECK and exclusion constraints, partial and expression indexes the
 *    tenant has and the desired model lacks, and a predicate on an index the
 *    desired model has without one: Prisma's schema cannot express
 *    them and its engine leaves them alone, so tm does not drop them either
 *    (unless a column they use goes). Declaring them, so that every tenant
 *    gets them, is the tenant SQL's job (issue #17).
 *
 * The diff itself stays exact (it turns any model into any other), and so does
 * everything that reads a plan: the target is the plan's after-model.
 */
import type { ConstraintModel, EnumModel, IndexModel, SchemaModel, TableModel } from '../catalog/model.js';
import { splitTopLevelCommas } from '../sql/split.js';
import { recreatedColumns, usesAny } from './columnChange.js';

/** What the desired state declares beyond Prisma's schema, which tm then owns rather than keeps. */
export interface Declared {
  /** Table and column comments (tenants.yaml's documentationComments). */
  ownsComments: boolean;
}

/** The targets already worked out, by tenant model (models are shared by tenants in the same state). */
const memo = new WeakMap<SchemaModel, { desired: SchemaModel; ownsComments: boolean; target: SchemaModel }>();

/** The model `current` should have; `desired` itself (the same object) when nothing of the tenant's is kept. */
export function tenantTarget(current: SchemaModel, desired: SchemaModel, declared: Declared = { ownsComments: false }): SchemaModel {
  const known = memo.get(current);
  if (known && known.desired === desired && known.ownsComments === declared.ownsComments) return known.target;
  const target = keepEquivalents(current, desired, declared);
  memo.set(current, { desired, ownsComments: declared.ownsComments, target });
  return target;
}

function keepEquivalents(current: SchemaModel, desired: SchemaModel, declared: Declared): SchemaModel {
  let copy: SchemaModel | null = null;
  const recreated = recreatedColumns(current, desired);
  const writable = (): SchemaModel => (copy ??= structuredClone(desired));

  for (const name of Object.keys(desired.enums)) {
    if (!current.enums[name]) continue;
    const values = enumValues(current.enums[name], desired.enums[name]);
    if (values) writable().enums[name] = { values };
  }

  for (const table of Object.keys(desired.tables).sort()) {
    const have = current.tables[table];
    if (!have) continue;
    const want = desired.tables[table];
    for (const column of Object.keys(want.columns)) {
      const a = have.columns[column];
      const b = want.columns[column];
      if (a && a.notNull && !b.notNull && a.type.endsWith('[]') && b.type.endsWith('[]')) writable().tables[table].columns[column].notNull = true;
    }
    for (const [index, constraint] of uniqueConstraintsForIndexes(have, want)) {
      const t = writable().tables[table];
      delete t.indexes[index];
      t.constraints[index] = structuredClone(constraint);
    }
    const goes = recreated.get(table) ?? new Set<string>();
    for (const column of Object.keys(have.columns)) if (!want.columns[column]) goes.add(column);
    for (const [name, index] of Object.entries(have.indexes)) {
      if (want.constraints[name] || usesAny(goes, index)) continue;
      // Prisma (without its partial-index preview feature) compares an index less its predicate.
      const samePredicateAside = want.indexes[name] !== undefined && withoutPredicate(index.definition) === want.indexes[name].definition;
      if (want.indexes[name] ? !samePredicateAside : !beyondPrismaIndex(index)) continue;
      writable().tables[table].indexes[name] = structuredClone(index);
    }
    for (const [name, constraint] of Object.entries(have.constraints)) {
      if (constraint.kind !== 'check' && constraint.kind !== 'exclusion') continue;
      if (want.constraints[name] || want.indexes[name] || usesAny(goes, constraint)) continue;
      writable().tables[table].constraints[name] = structuredClone(constraint);
    }
  }
  if (!declared.ownsComments) {
    const kept = commentsOnTarget(current.comments, copy ?? desired);
    if (JSON.stringify(kept ?? {}) !== JSON.stringify(desired.comments ?? {})) {
      if (kept) writable().comments = kept;
      else delete writable().comments;
    }
  }
  return copy ?? desired;
}

/** The tenant's comments on tables and columns the target has (the others go with their object); undefined when none. */
function commentsOnTarget(comments: SchemaModel['comments'], target: SchemaModel): SchemaModel['comments'] {
  const kept = Object.entries(comments ?? {}).filter(([, c]) => {
    const table = target.tables[c.on.table];
    return table !== undefined && (c.on.kind === 'table' || table.columns[c.on.column] !== undefined);
  });
  return kept.length ? Object.fromEntries(kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : undefined;
}

/** An index element that is a column (quoted or not), maybe with collation, operator class and order: not an expression. */
const COLUMN_ELEMENT = /^(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)(?:\s|$)/;

/**
 * An index Prisma's schema cannot express, which its engine therefore leaves
 * alone: one with a WHERE predicate, or with an expression among its keys.
 */
export function beyondPrismaIndex(index: IndexModel): boolean {
  if (/\) WHERE /.test(index.definition)) return true;
  const keys = /USING \w+ \((.*)\)(?: INCLUDE \(.*\))?(?: WITH \(.*\))?(?: TABLESPACE \S+)?$/.exec(index.definition)?.[1];
  if (keys === undefined) return true;
  return splitTopLevelCommas(keys).some((element) => !COLUMN_ELEMENT.test(element));
}

function withoutPredicate(definition: string): string {
  return definition.replace(/\) WHERE .*$/s, ')');
}

/** The values the tenant's enum should have, or null for the desired ones. */
function enumValues(current: EnumModel, desired: EnumModel): string[] | null {
  if (!current.values.every((v) => desired.values.includes(v))) return null;
  const values = [...current.values];
  desired.values.forEach((value, i) => {
    if (values.includes(value)) return;
    values.splice(i === 0 ? 0 : values.indexOf(desired.values[i - 1]) + 1, 0, value);
  });
  return values.join('\0') === desired.values.join('\0') ? null : values;
}

/** `UNIQUE (a, b)` with nothing but deferrability after it (no INCLUDE, NULLS NOT DISTINCT or storage options). */
const PLAIN_UNIQUE = /^UNIQUE \(([^()]*)\)(?: DEFERRABLE(?: INITIALLY DEFERRED)?)?$/;
/** The index a plain UNIQUE constraint makes: btree, ascending, default operator classes. */
const PLAIN_UNIQUE_INDEX = /^CREATE UNIQUE INDEX ON \S+ USING btree \(([^()]*)\)$/;

/**
 * The desired unique indexes of a table that the tenant has as UNIQUE
 * constraints: first one of the same name, else one whose name the desired
 * table does not use (the first by name, so that the choice is stable).
 */
function uniqueConstraintsForIndexes(have: TableModel, want: TableModel): [string, ConstraintModel][] {
  const out: [string, ConstraintModel][] = [];
  const used = new Set<string>();
  const matches = (c: ConstraintModel | undefined, i: IndexModel) => {
    if (c?.kind !== 'unique') return false;
    const columns = PLAIN_UNIQUE.exec(c.definition)?.[1];
    return columns !== undefined && columns === PLAIN_UNIQUE_INDEX.exec(i.definition)?.[1];
  };
  const wanted = Object.keys(want.indexes)
    .sort()
    .filter((name) => !want.constraints[name] && !have.indexes[name]);
  for (const name of wanted) {
    if (matches(have.constraints[name], want.indexes[name])) {
      out.push([name, have.constraints[name]]);
      used.add(name);
    }
  }
  for (const name of wanted) {
    if (used.has(name)) continue;
    const other = Object.keys(have.constraints)
      .sort()
      .find((c) => !used.has(c) && !want.constraints[c] && !want.indexes[c] && matches(have.constraints[c], want.indexes[name]));
    if (other === undefined) continue;
    out.push([name, have.constraints[other]]);
    used.add(other);
  }
  return out;
}
