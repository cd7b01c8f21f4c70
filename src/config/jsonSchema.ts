/** Loads a JSON Schema shipped in the repository's schemas/ folder and compiles it with ajv. */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';

const SCHEMAS_DIR = new URL('../../../schemas/', import.meta.url);

/** A validator returning null when the value is valid, else a one-line description of the first problems. */
export function compileSchema<T>(file: string): (value: unknown) => string | null {
  let validate: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;
  return (value) => {
    if (!validate) {
      const ajv = new Ajv({ allErrors: true, strict: false });
      validate = ajv.compile<T>(JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8')));
    }
    if (validate(value)) return null;
    return (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
  };
}
