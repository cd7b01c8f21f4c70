/**
 * The JSON Schemas shipped in the repository's schemas/ folder, as ajv
 * validators. The build (`npm run build`, precompileSchemas.ts) writes each
 * one's validation code to dist/validators/, so that a command does not pay
 * ajv's compiling (about 100 ms for the plan's schema, on every `tm apply`);
 * a schema without that code, or changed since it was written, is compiled
 * here, once per process, on first use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';

/** From dist/src/config/ (or src/config/ under a loader) to the package root's schemas/. */
const SCHEMAS_DIR = new URL('../../../schemas/', import.meta.url);
/** dist/validators/, where the build writes the validation code. */
export const VALIDATORS_DIR = new URL('../../validators/', import.meta.url);

/**
 * Errors are verbose (they carry their schema and data, which tenants.yaml's
 * messages use) and union types are allowed (label values may be strings,
 * numbers or booleans).
 */
export const AJV_OPTIONS = { allErrors: true, verbose: true, allowUnionTypes: true } as const;

const compiled = new Map<string, ValidateFunction>();
const require = createRequire(import.meta.url);

/** The file names of the shipped schemas (`plan.schema.json`, …). */
export function shippedSchemas(): string[] {
  return readdirSync(SCHEMAS_DIR).filter((name) => name.endsWith('.schema.json'));
}

export function schemaText(file: string): string {
  return readFileSync(new URL(file, SCHEMAS_DIR), 'utf8');
}

/** What ties written validation code to the schema it was written from. */
export function schemaDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function validatorFile(file: string): URL {
  return new URL(`${file}.cjs`, VALIDATORS_DIR);
}

/** The validator of a shipped schema. */
export function schemaValidator(file: string): ValidateFunction {
  let validate = compiled.get(file);
  if (!validate) {
    const text = schemaText(file);
    validate = precompiled(file, schemaDigest(text)) ?? compileNow(text);
    compiled.set(file, validate);
  }
  return validate;
}

/** ajv itself is loaded only here: importing it costs more than reading a precompiled validator. */
function compileNow(text: string): ValidateFunction {
  const Ajv = (require('ajv') as { Ajv: typeof AjvClass }).Ajv;
  return new Ajv(AJV_OPTIONS).compile(JSON.parse(text) as object);
}

function precompiled(file: string, digest: string): ValidateFunction | undefined {
  const path = validatorFile(file);
  if (!existsSync(path)) return undefined;
  const validate = require(fileURLToPath(path)) as ValidateFunction & { schemaDigest?: string };
  return validate.schemaDigest === digest ? validate : undefined;
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
