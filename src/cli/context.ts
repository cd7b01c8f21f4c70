/** What most commands load first: .env, tenants.yaml and the Prisma schema folder. */
import { loadEnvironment, type Environment } from '../config/env.js';
import { loadTenantsConfig, type TenantsConfig } from '../config/tenants.js';
import { loadPrismaSchema, type LoadedSchema } from '../schema/load.js';

export interface ProjectContext {
  projectDir: string;
  env: Environment;
  config: TenantsConfig;
  schema: LoadedSchema;
}

/** Where a command writes its warnings: its stderr. */
export interface WarningSink {
  write(text: string): unknown;
}

/** The schema's warnings (Prisma 6 keys tm ignores), one `Warning:` line each. */
export function writeSchemaWarnings(schema: LoadedSchema, stderr: WarningSink): void {
  for (const warning of schema.warnings) stderr.write(`Warning: ${warning}\n`);
}

/**
 * Reads .env and tenants.yaml now and starts loading the Prisma folder (about
 * half a second of parsing and validation) in the background, so that the
 * planner can read the databases' catalogs meanwhile. The schema's warnings
 * go to `stderr` once it is loaded.
 */
export function openProject(projectDir: string, stderr?: WarningSink): Omit<ProjectContext, 'schema'> & { schema: Promise<LoadedSchema> } {
  const env = loadEnvironment(projectDir);
  const config = loadTenantsConfig(projectDir);
  // Started on the next turn of the event loop, so that a caller's database
  // connections are opened first and the server works while the files are parsed.
  const schema = new Promise<void>((resolve) => setImmediate(resolve))
    .then(() => loadPrismaSchema(projectDir))
    .then((loaded) => {
      if (stderr) writeSchemaWarnings(loaded, stderr);
      return loaded;
    });
  schema.catch(() => {}); // its error is reported where it is awaited
  return { projectDir, env, config, schema };
}

export async function loadProject(projectDir: string, stderr?: WarningSink): Promise<ProjectContext> {
  const project = openProject(projectDir, stderr);
  return { ...project, schema: await project.schema };
}
