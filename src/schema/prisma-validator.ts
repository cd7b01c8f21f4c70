/**
 * Prisma's own schema validator (`@prisma/prisma-schema-wasm`, the engine
 * behind `prisma validate`), run in-process: the Prisma CLI cannot run on
 * machines without its native engine download (see the offline notes).
 *
 * The wasm module is required on first use only, so that commands which never
 * read the schema (and `tm --help`) do not pay for loading it.
 */
import { createRequire } from 'node:module';

type PrismaSchemaWasm = typeof import('@prisma/prisma-schema-wasm');

/** One error as Prisma reports it, already reduced to one line. */
export interface PrismaProblem {
  file: string;
  line: number;
  message: string;
}

let wasm: PrismaSchemaWasm | null = null;

export function prismaSchemaWasm(): PrismaSchemaWasm {
  if (!wasm) {
    // Without this registry a Rust panic inside the module surfaces as an
    // unrelated TypeError ("reading 'set_message'") instead of its message.
    const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { message: string; set_message(m: string): void } };
    registry.PRISMA_WASM_PANIC_REGISTRY ??= { message: '', set_message(m: string) { this.message = m; } };
    wasm = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as PrismaSchemaWasm;
  }
  return wasm;
}

/**
 * Validates a multi-file schema exactly as Prisma would. `files` are
 * [name, text] pairs; the names come back in the problems, so pass the paths
 * the user should open. Returns [] when the schema is valid.
 */
export function validatePrismaFiles(files: Array<[string, string]>): PrismaProblem[] {
  try {
    prismaSchemaWasm().validate(JSON.stringify({ prismaSchema: files, noColor: true }));
    return [];
  } catch (error) {
    return parseProblems(error);
  }
}

const knownPreviewFeatures = new Map<string, boolean>();

/**
 * Whether Prisma's validator accepts `name` in a generator's previewFeatures
 * (active, hidden, or deprecated with a warning): asked of Prisma itself, on a
 * schema of a few lines, so that the answer follows the Prisma version tm ships.
 */
export function isKnownPreviewFeature(name: string): boolean {
  let known = knownPreviewFeatures.get(name);
  if (known === undefined) {
    const probe = `datasource db {\n  provider = "postgresql"\n}\ngenerator client {\n  provider        = "prisma-client"\n  previewFeatures = [${JSON.stringify(name)}]\n}\n`;
    known = validatePrismaFiles([['probe.prisma', probe]]).length === 0;
    knownPreviewFeatures.set(name, known);
  }
  return known;
}

/**
 * Prisma throws an Error whose message is JSON `{ error_code, message }`; the
 * inner message is the human report, one block per error:
 *
 *     error: Error validating: This line is invalid. …
 *       -->  prisma/schema/user.prisma:5
 *        | …
 */
function parseProblems(error: unknown): PrismaProblem[] {
  const raw = error instanceof Error ? error.message : String(error);
  let report = raw;
  try {
    report = (JSON.parse(raw) as { message?: string }).message ?? raw;
  } catch {
    // Not the usual JSON: keep the raw text and let the fallback below report it.
  }
  const problems: PrismaProblem[] = [];
  for (const match of report.matchAll(/^error: ([\s\S]*?)\n\s*-->\s+(.+):(\d+)\s*$/gm)) {
    const firstLine = match[1].split('\n')[0].replace(/^Error validating: /, '');
    problems.push({ file: match[2], line: Number(match[3]), message: firstLine });
  }
  if (problems.length === 0) throw new Error(`Prisma's schema validator failed unexpectedly: ${report}`);
  return problems;
}
