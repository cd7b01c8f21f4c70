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
import { PROJECT_DIR } from '../db/embedded.js';

export type Environment = Record<string, string | undefined>;

/** `.env` of projectDir (when present) merged under process.env. Never writes to process.env. */
export function loadEnvironment(projectDir: string): Environment {
  const file = path.join(projectDir, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  // The project travels with its environment: a database whose variable is unset is the
  // project's embedded database (src/db/embedded.ts).
  return { ...fromFile, ...process.env, [PROJECT_DIR]: projectDir } as Environment;
}
