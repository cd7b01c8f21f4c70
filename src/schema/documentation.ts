/**
 * The `///` documentation of a schema's models and fields, by the table and
 * column names the database has for them (@@map, @map applied), as Prisma's
 * own schema engine reads it (its DMMF): what tm turns into table and column
 * comments when tenants.yaml asks for it (`documentationComments`).
 */
import { prismaSchemaWasm } from './prisma-validator.js';

export interface Documentation {
  table: string;
  /** The column, or null for the model's (table's) documentation. */
  column: string | null;
  text: string;
}

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: string;
  documentation?: string;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  documentation?: string;
  fields: DmmfField[];
}

/** Models' and scalar fields' documentation, in schema order. `files` are [path, text] pairs of a schema Prisma accepts. */
export function schemaDocumentation(files: Array<[string, string]>): Documentation[] {
  const dmmf = JSON.parse(prismaSchemaWasm().get_dmmf(JSON.stringify({ prismaSchema: files }))) as { datamodel: { models: DmmfModel[] } };
  const out: Documentation[] = [];
  for (const model of dmmf.datamodel.models) {
    const table = model.dbName ?? model.name;
    if (model.documentation) out.push({ table, column: null, text: model.documentation });
    for (const field of model.fields) {
      // Relation fields (kind "object") have no column of their own.
      if (field.kind === 'object' || !field.documentation) continue;
      out.push({ table, column: field.dbName ?? field.name, text: field.documentation });
    }
  }
  return out;
}
