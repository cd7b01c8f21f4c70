/**
 * Build step (`npm run build`): writes the validation code of every shipped
 * JSON Schema to dist/validators/<schema>.cjs (ajv's standalone code), with
 * the digest of the schema it was written from (jsonSchema.ts uses it only
 * while the schema is unchanged).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { AJV_OPTIONS, schemaDigest, schemaText, shippedSchemas, validatorFile, VALIDATORS_DIR } from './jsonSchema.js';

mkdirSync(VALIDATORS_DIR, { recursive: true });
for (const file of shippedSchemas()) {
  const text = schemaText(file);
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  // module.exports is the validate function; the digest goes on it.
  const code = standaloneCode.default(ajv, ajv.compile(JSON.parse(text) as object));
  writeFileSync(validatorFile(file), `${code}\nmodule.exports.schemaDigest = ${JSON.stringify(schemaDigest(text))};\n`);
}
console.log(`JSON Schema validators written to ${fileURLToPath(VALIDATORS_DIR)}`);
