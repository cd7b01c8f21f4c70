/**
 * A database target: one of tenants.yaml's databases as tm will reach it,
 * worked out once from the configuration and the environment, with what that
 * kind of database can do as data. The stages read the capabilities (how many
 * apply workers, a second catalog connection, the quick path) instead of
 * asking each for itself whether the database is the embedded one.
 *
 * A database whose variable is not set at all is the project's embedded
 * database (PGlite in state/pglite/<database>/, see embedded.ts), unless
 * TM_EMBEDDED turns that off; a variable set to the empty string (a missing CI
 * secret) stays an error.
 */
import type { Environment, ProjectEnvironment } from '../config/env.js';
import type { DatabaseConfig } from '../config/tenants.js';
import { TmError } from '../errors.js';
import { embeddedUrl } from './embedded.js';

export interface DatabaseCapabilities {
  /**
   * Connections are PostgreSQL sessions of their own, so several can work at
   * once (apply's workers). False for the embedded database: one session the
   * process's connections take turns on, whose session settings are shared.
   */
  concurrentSessions: boolean;
  /**
   * A second connection can read the catalog in the first one's snapshot
   * (pg_export_snapshot), which the planner does for a big fleet. False for
   * the embedded database: a second connection is the same session.
   */
  sharedSnapshotReads: boolean;
  /**
   * Worth installing tm_expect_state for apply's quick path (apply/quick.ts).
   * False for the embedded database: one developer's database needs no speed.
   */
  quickPath: boolean;
}

export interface DatabaseTarget {
  config: DatabaseConfig;
  url: string;
  /** A PostgreSQL server, or tm's embedded PostgreSQL (started in-process at the first connect, see embedded.ts). */
  kind: 'server' | 'embedded';
  capabilities: DatabaseCapabilities;
}

const SERVER: DatabaseCapabilities = { concurrentSessions: true, sharedSnapshotReads: true, quickPath: true };
const EMBEDDED: DatabaseCapabilities = { concurrentSessions: false, sharedSnapshotReads: false, quickPath: false };

/** Whether TM_EMBEDDED leaves the embedded database on (it is unless set to 0, false, off or no). */
export function embeddedAllowed(env: Environment): boolean {
  const setting = env.TM_EMBEDDED;
  return !(typeof setting === 'string' && /^(0|false|off|no)$/i.test(setting.trim()));
}

/** Whether a database is the project's embedded one: its variable is not set at all, and TM_EMBEDDED allows it. */
export function usesEmbedded(database: DatabaseConfig, env: Environment): boolean {
  return env[database.urlEnv] === undefined && embeddedAllowed(env);
}

/** The target of a tenants.yaml database in a project. An unusable connection setting is an error naming the variable, never its value. */
export function databaseTarget(database: DatabaseConfig, project: ProjectEnvironment): DatabaseTarget {
  if (usesEmbedded(database, project.env)) {
    return { config: database, url: embeddedUrl(project.projectDir, database.name, database.urlEnv), kind: 'embedded', capabilities: EMBEDDED };
  }
  return { config: database, url: resolveDatabaseUrl(database, project.env), kind: 'server', capabilities: SERVER };
}

/**
 * The connection string of a server database, from the environment. The
 * error names the variable and the database, never a value.
 */
export function resolveDatabaseUrl(database: DatabaseConfig, env: Environment): string {
  const url = env[database.urlEnv];
  if (url === '') {
    // Set but empty (`DATABASE_URL=` in a shell or .env): saying "not set" would send the user looking in the wrong place.
    throw new TmError(
      `environment variable ${database.urlEnv} is set but empty (database "${database.name}" has url: env(${database.urlEnv}) in tenants.yaml)`,
      `Give ${database.urlEnv} the database's connection string, in the environment or in .env${embeddedAllowed(env) ? ', or unset it to use tm\'s embedded PostgreSQL' : ''}.`,
    );
  }
  if (url === undefined) {
    throw new TmError(
      `environment variable ${database.urlEnv} is not set (database "${database.name}" has url: env(${database.urlEnv}) in tenants.yaml)`,
      `Set ${database.urlEnv} to the database's connection string, in the environment or in .env.`,
    );
  }
  return url;
}
