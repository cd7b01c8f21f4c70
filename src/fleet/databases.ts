/**
 * Which of tenants.yaml's databases a command works on, as targets
 * (src/db/target.ts): all of them, or those named with --database.
 */
import type { ProjectEnvironment } from '../config/env.js';
import type { DatabaseConfig, TenantsConfig } from '../config/tenants.js';
import { databaseTarget, type DatabaseTarget } from '../db/target.js';
import { TmError } from '../errors.js';

/** A project's fleet: tenants.yaml, and the folder and environment its databases are reached from. */
export interface Fleet extends ProjectEnvironment {
  config: TenantsConfig;
}

/** The databases named (all when none is); a name tenants.yaml does not have is an error. In file order. */
export function selectDatabases(config: TenantsConfig, names: string[]): DatabaseConfig[] {
  for (const name of names) {
    if (!config.databases.some((d) => d.name === name)) {
      throw new TmError(`There is no database "${name}" in tenants.yaml.`, `Databases: ${config.databases.map((d) => d.name).join(', ')}.`);
    }
  }
  return config.databases.filter((d) => names.length === 0 || names.includes(d.name));
}

/** selectDatabases, as targets. */
export function selectTargets(fleet: Fleet, names: string[]): DatabaseTarget[] {
  return selectDatabases(fleet.config, names).map((d) => databaseTarget(d, fleet));
}

/** The targets of exactly these databases (a plan's), in file order; names tenants.yaml does not have are left out. */
export function targetsOf(fleet: Fleet, names: readonly string[]): DatabaseTarget[] {
  return fleet.config.databases.filter((d) => names.includes(d.name)).map((d) => databaseTarget(d, fleet));
}
