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

export async function loadProject(projectDir: string): Promise<ProjectContext> {
  const env = loadEnvironment(projectDir);
  const config = loadTenantsConfig(projectDir);
  const schema = await loadPrismaSchema(projectDir);
  return { projectDir, env, config, schema };
}
