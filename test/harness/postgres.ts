/**
 * A real PostgreSQL server for the test suite.
 *
 * With TEST_DATABASE_URL set, tests use that server. Otherwise a throwaway
 * server is started from the PostgreSQL binaries installed on the machine
 * (/usr/lib/postgresql/<version>/bin): initdb into a temporary directory, on a
 * free port, trust authentication on loopback only, removed again at the end.
 * initdb refuses to run as root, so as root the server runs as the `postgres`
 * system user (created by Debian's postgresql package) or a `tmtest` user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestServer {
  /** Connection string of a superuser on the `postgres` database. */
  adminUrl: string;
  /** The data directory (pg_hba.conf, postgresql.conf), for tests that reconfigure a server of their own. */
  dataDir: string;
  /** `pg_ctl restart -m <mode>`, waiting until it accepts connections again (for fault tests on a dedicated server). */
  restart(mode?: 'fast' | 'immediate' | 'smart'): void;
  /** `pg_ctl reload`: re-reads pg_hba.conf and postgresql.conf. */
  reload(): void;
  /** Runs a command as the user the server runs as (for files it must own). */
  runAsServerUser(command: string, args: string[]): void;
  stop(): void;
}

function findBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'No PostgreSQL server binaries under /usr/lib/postgresql/*/bin: install them (apt-get install -y postgresql) or set TEST_DATABASE_URL.',
    );
  }
  return join(root, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The system user the server runs as: ourselves, or an unprivileged user when we are root. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'tmtest']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (id.status === 0) {
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { name, uid: Number(id.stdout.trim()), gid };
    }
  }
  execFileSync('useradd', ['--system', '--no-create-home', 'tmtest']);
  return serverUser();
}

function runAs(user: { name: string } | null, command: string, args: string[]): void {
  const [file, argv] = user ? ['runuser', ['-u', user.name, '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
}

export async function startThrowawayServer(): Promise<TestServer> {
  const bin = findBinDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'tm-test-pg-'));
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  runAs(user, join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
  let stopped = false;
  return {
    adminUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    dataDir: data,
    restart(mode = 'fast') {
      runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-m', mode, '-w', '-t', '60', '-o', serverOptions, 'restart']);
    },
    reload() {
      runAs(user, join(bin, 'pg_ctl'), ['-D', data, 'reload']);
    },
    runAsServerUser(command, args) {
      runAs(user, command, args);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        runAs(user, join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
