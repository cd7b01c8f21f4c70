/**
 * Connections to tenants.yaml's databases. Errors name the database by its
 * tenants.yaml name and the environment variable, never the URL or password.
 */
import pg from 'pg';
import { isTmError, TmError } from '../errors.js';
import { ensureEmbedded } from './embedded.js';
import type { DatabaseTarget } from './target.js';

export function connectionError(database: string, error: unknown): TmError {
  const e = error as NodeJS.ErrnoException & { code?: string };
  return new TmError(
    `Cannot connect to database "${database}": ${e.message ?? String(error)}${e.code && !e.message?.includes(e.code) ? ` (${e.code})` : ''}`,
    'Check that the server is up and that the environment variable named in tenants.yaml points at it.',
  );
}

/**
 * The server or the network went away (as opposed to a statement failing):
 * SQLSTATE class 08 (connection exception) or 57P0x (the server shutting
 * down or terminating the session), or the socket closing under the client.
 */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code && /^(08|57P0)/.test(e.code)) return true;
  if (e?.code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(e.code)) return true;
  return /Connection terminated|Client has encountered a connection error|Client was closed|not queryable/i.test(e?.message ?? '');
}

/** A lost connection, as an error that names the database by its tenants.yaml name (never the URL). */
export function connectionLostError(database: string, error: unknown, doing: string): TmError {
  const e = error as { code?: string; message?: string };
  return new TmError(
    `Lost the connection to database "${database}" while ${doing}: ${e?.message ?? String(error)}${e?.code && !e.message?.includes(e.code) ? ` (${e.code})` : ''}`,
    'Nothing was written. Check that the server is up, then run the command again.',
  );
}

export async function connect(target: DatabaseTarget, purpose: string): Promise<pg.Client> {
  if (target.kind === 'embedded') {
    try {
      await ensureEmbedded(target.url);
    } catch (error) {
      throw isTmError(error) ? error : connectionError(target.config.name, error);
    }
  }
  let client: pg.Client;
  if (!/^([a-z][a-z0-9+.-]*:|\/)/i.test(target.url)) {
    // pg reads anything else as a path relative to a host named "base" ("getaddrinfo ENOTFOUND base").
    throw new TmError(
      `Cannot connect to database "${target.config.name}": the connection string in ${target.config.urlEnv} is not a URL (libpq's key=value form is not supported)`,
      `Set ${target.config.urlEnv} to a URL such as postgresql://app@db.example.com:5432/app (a password goes URL-encoded after the user name and a colon).`,
    );
  }
  try {
    client = new pg.Client({ connectionString: target.url, application_name: `tm ${purpose}` });
  } catch (error) {
    // pg parses the string here (a TypeError "Invalid URL"): say which variable holds it, never its value.
    throw new TmError(
      `Cannot connect to database "${target.config.name}": the connection string in ${target.config.urlEnv} is not valid (${(error as Error).message})`,
      `Set ${target.config.urlEnv} to a URL such as postgresql://app@db.example.com:5432/app (a password goes URL-encoded after the user name and a colon).`,
    );
  }
  // A dropped connection must surface as an error on the query in flight, not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw connectionError(target.config.name, error);
  }
  return client;
}
