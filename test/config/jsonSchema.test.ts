/**
 * The build writes each shipped JSON Schema's validation code
 * (src/config/precompileSchemas.ts), so commands do not compile schemas when
 * they start; the code must be that of the schema as shipped.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { schemaDigest, schemaText, schemaValidator, shippedSchemas, validatorFile } from '../../src/config/jsonSchema.js';

const require = createRequire(import.meta.url);
const SCHEMAS = shippedSchemas();

describe('precompiled JSON Schema validators', () => {
  it('exist for every shipped schema, written from its current text, and are the ones commands use', () => {
    expect(SCHEMAS).to.include.members(['plan.schema.json', 'tenants.schema.json']);
    for (const file of SCHEMAS) {
      const written = require(fileURLToPath(validatorFile(file))) as { schemaDigest: string };
      expect(written.schemaDigest, `${file}: written from the schema as it is now (npm run build)`).to.equal(schemaDigest(schemaText(file)));
      expect(schemaValidator(file), file).to.equal(written);
    }
  });

  it('report errors with their schema and data (tenants.yaml messages use them)', () => {
    const validate = schemaValidator('tenants.schema.json');
    expect(validate({ databases: 'nope' })).to.equal(false);
    const error = validate.errors!.find((e) => e.instancePath === '/databases')!;
    expect(error.data).to.equal('nope');
    expect(error.schema).to.not.equal(undefined);
  });
});
