/**
 * The JSON Schemas shipped in the repository's schemas/ folder, loaded and
 * compiled with ajv once per process, on first use (compiling costs tens of
 * milliseconds that `tm --help` should not pay).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/** From dist/src/config/ (or src/config/ under a loader) to the package root's schemas/. */
const SCHEMAS_DIR = new URL('../../../schemas/', import.meta.url);

const compiled = new Map<string, ValidateFunction>();

/**
 * The compiled validator of a shipped schema. Errors are verbose (they carry
 * their schema and data, which tenants.yaml's messages use) and union types
 * are allowed (label values may be strings, numbers or booleans).
 */
export function schemaValidator(file: string): ValidateFunction {
  let validate = compiled.get(file);
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')) as object;
    validate = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(schema);
    compiled.set(file, validate);
  }
  return validate;
}

/** A check returning null when the value is valid, else a one-line description of the first problems. */
export function compileSchema(file: string): (value: unknown) => string | null {
  return (value) => {
    const validate = schemaValidator(file);
    if (validate(value)) return null;
    return (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
  };
}
