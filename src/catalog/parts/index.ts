/**
 * The catalog parts tm reads, one per kind of object (part.ts). The core
 * (introspect.ts) reads each of them, shares them between connections by
 * their cost and builds models with them in this order: a part comes after
 * those whose pieces it uses (its `after`: constraints and indexes name
 * columns from the tables part; sequences put identity options on its
 * columns). A schema's signature joins the parts' digests in this order too.
 */
import { commentsPart } from './comments.js';
import { constraintsPart } from './constraints.js';
import { enumsPart } from './enums.js';
import { indexesPart } from './indexes.js';
import type { CatalogPart } from './part.js';
import { schemasPart } from './schemas.js';
import { sequencesPart } from './sequences.js';
import { tablesPart } from './tables.js';
import { viewsPart } from './views.js';

export const CATALOG_PARTS: readonly CatalogPart[] = [schemasPart, tablesPart, constraintsPart, indexesPart, enumsPart, sequencesPart, viewsPart, commentsPart];

// A part listed before one it builds after would find that part's pieces missing: refused as tm starts, in every test.
for (const [i, part] of CATALOG_PARTS.entries()) {
  const misplaced = (part.after ?? []).find((before) => !CATALOG_PARTS.slice(0, i).includes(before));
  if (misplaced) throw new Error(`catalog part ${part.name} is listed before ${misplaced.name}, whose pieces it uses`);
}

export type { CatalogPart, ModelBuilding } from './part.js';
