/**
 * The embedded database: when the environment variable that tenants.yaml
 * names for a database (`url: env(DATABASE_URL)`) is not set at all, tm runs
 * against PGlite (PostgreSQL compiled to wasm, in-process), persisted under
 * `state/pglite/<database>/`, so that a newcomer can plan and apply with no
 * server. A variable that is set but empty (a CI secret that is missing) stays
 * an error, and `TM_EMBEDDED=0` turns the embedded database off.
 *
 * PGlite is one PostgreSQL backend, i.e. one session; tm opens several pg
 * connections (the planner's catalog and desired-state connections, the
 * applier's lock connection and workers, Prisma's adapter). So tm serves
 * PGlite on a Unix socket in a private temp directory and multiplexes the
 * connections onto the one session (see Multiplexer, embeddedWire.ts):
 *
 * - a connection owns the session from the first message of a request until
 *   PostgreSQL is idle again (ReadyForQuery 'I'): a transaction is never
 *   interleaved with another connection's statements, and neither are the
 *   Parse/Bind/Execute/Sync messages of one extended-protocol query;
 * - named prepared statements and portals are renamed per connection (two
 *   connections may both prepare `tm_catalog_columns`), and closed when their
 *   connection goes;
 * - a connection that goes away inside a transaction has it rolled back.
 *
 * What cannot be shared: session settings (SET without LOCAL) and session
 * advisory locks are the same for every connection of the process. tm uses
 * LOCAL settings inside transactions; the applier uses one worker per
 * embedded database, and the planner reads the catalog on one connection.
 * Two tm processes cannot open the same data directory: a lock file
 * (`state/pglite/<database>.lock`, see embeddedLock.ts) makes the second
 * wait, then fail with a clear message.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TmError } from '../errors.js';
import { lockDataDir, removeStaleSocketDirs } from './embeddedLock.js';
import { Multiplexer, type PGliteLike } from './embeddedWire.js';

export interface EmbeddedSpec {
  projectDir: string;
  /** The tenants.yaml name of the database. */
  database: string;
  /** The environment variable that was not set. */
  envName: string;
  /** Absolute. */
  dataDir: string;
  /** Where the socket is served while tm runs (a private temp directory). */
  socketDir: string;
  url: string;
}

const specs = new Map<string, EmbeddedSpec>();
const running = new Map<string, Promise<EmbeddedServer>>();

/**
 * The connection string of the embedded database for a tenants.yaml database
 * (the server starts at the first connect()). The same URL for the same
 * project and database within a process.
 */
export function embeddedUrl(projectDir: string, database: string, envName: string): string {
  for (const spec of specs.values()) if (spec.projectDir === projectDir && spec.database === database) return spec.url;
  const socketDir = path.join(os.tmpdir(), `tm-${process.pid}-${specs.size + 1}`);
  const url = `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`;
  specs.set(url, {
    projectDir,
    database,
    envName,
    dataDir: path.join(projectDir, 'state', 'pglite', database),
    socketDir,
    url,
  });
  return url;
}

export function embeddedSpec(url: string): EmbeddedSpec | undefined {
  return specs.get(url);
}

/** Starts the embedded database behind `url` once per process; a no-op for any other URL. */
export async function ensureEmbedded(url: string): Promise<void> {
  const spec = specs.get(url);
  if (!spec) return;
  let server = running.get(url);
  if (!server) {
    server = EmbeddedServer.start(spec);
    running.set(url, server);
  }
  await server;
}

/** Stops every embedded database this process started (tm calls it when a command ends). */
export async function stopEmbedded(): Promise<void> {
  const servers = [...running.values()];
  running.clear();
  await Promise.all(servers.map((s) => s.then((server) => server.stop(), () => {})));
}

/** Where the notice and timing lines go; tests may replace it. */
export let log: (line: string) => void = (line) => process.stderr.write(`${line}\n`);
export function setEmbeddedLog(writer: (line: string) => void): void {
  log = writer;
}

// ---------------------------------------------------------------------------


class EmbeddedServer {
  private constructor(
    private readonly spec: EmbeddedSpec,
    private readonly db: PGliteLike,
    private readonly server: net.Server,
    private readonly mux: Multiplexer,
    private readonly releaseLock: () => void,
  ) {}

  static async start(spec: EmbeddedSpec): Promise<EmbeddedServer> {
    const shownDir = path.relative(spec.projectDir, spec.dataDir).split(path.sep).join('/') || spec.dataDir;
    const fresh = !existsSync(path.join(spec.dataDir, 'PG_VERSION'));
    log(
      `tm: ${spec.envName} is not set, so database "${spec.database}" is tm's embedded PostgreSQL (PGlite) in ${shownDir}/${fresh ? ' (created now)' : ''}; ` +
        `to use your own server, set ${spec.envName} in the environment or in .env.`,
    );
    const pgliteRoot = path.dirname(spec.dataDir);
    mkdirSync(pgliteRoot, { recursive: true });
    const ignore = path.join(pgliteRoot, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '# tm\'s embedded databases: local only\n*\n');
    await removeStaleSocketDirs();
    const lock = await lockDataDir(`${spec.dataDir}.lock`, spec.socketDir, spec);
    const releaseLock = () => lock.release();
    let db: PGliteLike | null = null;
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      try {
        db = (await PGlite.create({ dataDir: spec.dataDir })) as unknown as PGliteLike;
      } catch (error) {
        throw new TmError(
          `Cannot open the embedded database in ${shownDir}/: ${(error as Error)?.message ?? String(error)}`,
          `Move ${shownDir}/ aside to start from an empty embedded database, or set ${spec.envName} to use a PostgreSQL server.`,
        );
      }
      const mux = new Multiplexer(db, (line) => log(line));
      const server = net.createServer((socket) => mux.attach(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path.join(spec.socketDir, '.s.PGSQL.5432'), () => {
          server.off('error', reject);
          resolve();
        });
      });
      return new EmbeddedServer(spec, db, server, mux, releaseLock);
    } catch (error) {
      await db?.close().catch(() => {});
      rmSync(spec.socketDir, { recursive: true, force: true });
      releaseLock();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.mux.closeAll();
    });
    try {
      await this.db.close();
    } finally {
      rmSync(this.spec.socketDir, { recursive: true, force: true });
      this.releaseLock();
    }
  }
}
