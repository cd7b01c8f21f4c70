/**
 * The wanted schemas that exist: each has a model, an empty one when it
 * holds nothing. A signature is computed per existing schema already, so
 * this part adds nothing to it.
 */
import { catalogPart } from './part.js';

export const schemasPart = catalogPart<{ schema: string }>({
  name: 'schemas',
  query: `
select w.nspname::text as schema
from wanted w`,
  cost: 0,
  build(rows, models) {
    for (const row of rows) models.model(row.schema);
  },
});
