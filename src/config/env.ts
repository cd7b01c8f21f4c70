/**
 * The environment tm reads connection strings from: the process environment
 * over the project's `.env` file. The process wins, as with Prisma and most
 * tools, so that CI secrets and one-off `DATABASE_URL=… tm plan` override a
 * developer's .env. Parsed with Node's own `util.parseEnv` (dotenv syntax),
 * so tm needs no dotenv dependency.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type Environment = Record<string, string | undefined>;

/**
 * The project tm runs in: its folder (whose state/pglite/ holds the embedded
 * databases, see src/db/target.ts) and its environment.
 */
export interface ProjectEnvironment {
  projectDir: string;
  env: Environment;
}

/** `.env` of projectDir (when present) merged under process.env. Never writes to process.env. */
export function loadEnvironment(projectDir: string): Environment {
  const file = path.join(projectDir, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}
