/**
 * Sequences: created and altered before tables (defaults call nextval on
 * them), owned by their column once it exists, dropped last (with their
 * current value: DATA_LOSS). A kept sequence whose owning column or table
 * goes would go with it (pg-schema-diff's sequence ownership cases): it is
 * released first and given its new owner after.
 */
import type { SequenceModel } from '../../catalog/model.js';
import { ref } from '../../catalog/objectRef.js';
import { quoteIdent } from '../../sql/quote.js';
import { added, hazard, keys, kept, planned, removed, type ObjectDiffer, type PlannedStep } from '../differ.js';
import { fieldChanges, type SchemaKindDrift } from '../kindDrift.js';
import { makeStep as step } from '../step.js';

const q = quoteIdent;

function sequenceOptions(seq: SequenceModel): string {
  return `AS ${seq.dataType} INCREMENT BY ${seq.increment} MINVALUE ${seq.min} MAXVALUE ${seq.max} START WITH ${seq.start} CACHE ${seq.cache}${seq.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

export const sequenceDiffer: ObjectDiffer = {
  kind: 'sequence',
  diff({ from, to }) {
    const out: PlannedStep[] = [];
    const released = new Set<string>();
    for (const name of kept(from.sequences, to.sequences)) {
      const owner = from.sequences[name].ownedBy;
      if (!owner) continue;
      const column = to.tables[owner.table]?.columns[owner.column];
      const fromColumn = from.tables[owner.table]?.columns[owner.column];
      if (column && fromColumn && column.generated === fromColumn.generated) continue;
      released.add(name);
      out.push(planned('release sequences', step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} OWNED BY NONE`)));
    }

    for (const name of added(from.sequences, to.sequences)) {
      out.push(planned('sequences', step('create', ref.sequence(name), `CREATE SEQUENCE ${q(name)} ${sequenceOptions(to.sequences[name])}`), [0]));
    }
    for (const name of kept(from.sequences, to.sequences)) {
      const b = to.sequences[name];
      if (sequenceOptions(from.sequences[name]) !== sequenceOptions(b)) {
        out.push(planned('sequences', step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} ${sequenceOptions(b)}`), [1]));
      }
    }

    // Ownership, once the owning columns exist.
    for (const name of keys(to.sequences)) {
      const owner = to.sequences[name].ownedBy;
      const current = released.has(name) ? null : (from.sequences[name]?.ownedBy ?? null);
      if (JSON.stringify(owner) === JSON.stringify(current)) continue;
      const target = owner ? `${q(owner.table)}.${q(owner.column)}` : 'NONE';
      const owners = owner ? [ref.table(owner.table), ref.column(owner.table, owner.column)] : [];
      out.push(planned('sequence ownership', step('alter', ref.sequence(name), `ALTER SEQUENCE ${q(name)} OWNED BY ${target}`), [], owners));
    }

    // A sequence owned by a dropped column or table went with it.
    for (const name of removed(from.sequences, to.sequences)) {
      const owner = from.sequences[name].ownedBy;
      if (owner && !to.tables[owner.table]?.columns[owner.column]) continue;
      // Its current value goes too: a sequence made again starts over and hands out used ids.
      const drop = step('drop', ref.sequence(name), `DROP SEQUENCE ${q(name)}`, [hazard('DATA_LOSS', `drops sequence ${q(name)} and its current value`)]);
      out.push(planned('drop sequences and enums', drop, [0]));
    }
    return out;
  },
};

/** Drift: a sequence by its options and owner. */
export const sequenceDrift: SchemaKindDrift<SequenceModel> = {
  kind: 'sequence',
  scope: 'schema',
  objects: (model) => model.sequences,
  target: (name) => ref.sequence(name),
  summary: () => null,
  changes: (x, y) =>
    fieldChanges([
      ['type', x.dataType, y.dataType],
      ['start', x.start, y.start],
      ['increment', x.increment, y.increment],
      ['min', x.min, y.min],
      ['max', x.max, y.max],
      ['cache', x.cache, y.cache],
      ['cycle', x.cycle, y.cycle],
      ['owned by', x.ownedBy ? `${x.ownedBy.table}.${x.ownedBy.column}` : null, y.ownedBy ? `${y.ownedBy.table}.${y.ownedBy.column}` : null],
    ]),
};
