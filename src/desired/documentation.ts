/**
 * A desired-state source a project opts into (tenants.yaml's
 * `documentationComments`): the `///` documentation of its models and
 * fields as their tables' and columns' comments. Prisma's own SQL has none,
 * so without it tm leaves comments alone (src/diff/equivalence.ts).
 */
import { schemaDocumentation } from '../schema/documentation.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import type { DesiredSource } from './source.js';

const q = quoteIdent;

export function documentationSource(files: { path: string; content: string }[]): DesiredSource {
  return {
    author: "tm writes from the schema's /// documentation",
    allowed: /^COMMENT ON (TABLE|COLUMN) /,
    refusedHint: 'This is a bug in tm: it writes only COMMENT ON TABLE and COMMENT ON COLUMN here.',
    failedHint: () => 'A documented model or field has no table or column of that name: check its @@map / @map.',
    ownsComments: true,
    async render() {
      const docs = schemaDocumentation(files.map((f) => [f.path, f.content]));
      const statements = docs.map((d) =>
        d.column === null ? `COMMENT ON TABLE ${q(d.table)} IS ${quoteLiteral(d.text)}` : `COMMENT ON COLUMN ${q(d.table)}.${q(d.column)} IS ${quoteLiteral(d.text)}`,
      );
      return { statements, extensions: [] };
    },
  };
}
