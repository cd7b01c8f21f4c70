/**
 * Where the Prisma schema lives, decided the way Prisma 7 decides it: the
 * `schema` key of prisma.config.ts when there is one, else the folder
 * `prisma/schema/`, else the single file `prisma/schema.prisma`.
 *
 * tm reads prisma.config.ts as text and never executes it: running a
 * project's TypeScript just to find a folder name would need a TypeScript
 * loader and would run whatever else the file does (reading secrets, network).
 * So only a string literal is understood (`schema: 'prisma/schema'`); anything
 * cleverer is reported with the line to simplify.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { TmError } from '../errors.js';

/** The config file names Prisma looks for in a project's root, in its order. */
const CONFIG_FILES = ['prisma.config.ts', 'prisma.config.mts', 'prisma.config.cts', 'prisma.config.js', 'prisma.config.mjs', 'prisma.config.cjs'];

export interface SchemaLocation {
  /** The folder or single file, relative to the project directory, with `/` separators. */
  path: string;
  kind: 'folder' | 'file';
  /** What chose it: a config file name (with line) or `default`. */
  chosenBy: string;
}

export function locateSchema(projectDir: string): SchemaLocation {
  const configFile = CONFIG_FILES.find((name) => existsSync(path.join(projectDir, name)));
  if (configFile) {
    const fromConfig = schemaFromConfig(projectDir, configFile);
    if (fromConfig) return fromConfig;
  }
  for (const candidate of ['prisma/schema', 'prisma/schema.prisma']) {
    const kind = kindOf(path.join(projectDir, candidate));
    if (kind === 'folder' || (kind === 'file' && candidate.endsWith('.prisma'))) return { path: candidate, kind, chosenBy: 'default' };
  }
  throw new TmError(
    `no Prisma schema found in ${projectDir}: neither prisma/schema/ nor prisma/schema.prisma exists`,
    'Create prisma/schema/ with your .prisma files, or set `schema` in prisma.config.ts.',
  );
}

/** The `schema` key of a config file, or null when the file does not set one. */
function schemaFromConfig(projectDir: string, configFile: string): SchemaLocation | null {
  const text = withoutComments(readFileSync(path.join(projectDir, configFile), 'utf8'));
  const literal = /\bschema\s*:\s*(['"])([^'"]+)\1/.exec(text);
  if (!literal) {
    const other = /\bschema\s*:/.exec(text);
    if (!other) return null;
    throw new TmError(
      `${configFile}:${lineAt(text, other.index)}: tm reads \`schema\` only as a plain string literal`,
      `Write it as schema: 'prisma/schema' (tm does not execute ${configFile}).`,
    );
  }
  const where = `${configFile}:${lineAt(text, literal.index)}`;
  const absolute = path.resolve(projectDir, literal[2]);
  const relative = toPosix(path.relative(projectDir, absolute)) || '.';
  const kind = kindOf(absolute);
  if (!kind) throw new TmError(`${where}: schema '${literal[2]}' does not exist`, 'Point `schema` at the Prisma schema folder or file.');
  return { path: relative, kind, chosenBy: where };
}

/**
 * Blanks out comments but keeps every newline, so that a commented-out
 * `// schema: 'old'` is not read and line numbers still match the file.
 * Only whole-line `//` comments are removed: a `//` inside a string ('https://…')
 * must survive.
 */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/^[ \t]*\/\/.*$/gm, '');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

function kindOf(absolute: string): 'folder' | 'file' | null {
  if (!existsSync(absolute)) return null;
  return statSync(absolute).isDirectory() ? 'folder' : 'file';
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
