/**
 * One tm at a time per embedded data directory. The lock must die with its
 * holder, however it ends (kill -9 included) and whatever its pid: a pid in
 * the lock file is not enough, since a tm killed while it was pid 1 (a
 * container) leaves a lock naming a pid that is alive in every later run.
 *
 * So the holder listens on a Unix socket of its own (in its private socket
 * directory) and the lock file names it: a tm that can connect knows the
 * holder is alive (even stopped: the kernel accepts for it); a refused
 * connection, or no socket, means the holder is gone and its lock is taken
 * over. The kernel closes the socket when the process ends, so no native
 * module is needed. Socket directories that killed runs left in the temp
 * directory (`tm-<pid>-<n>`) are removed on the way.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TmError } from '../errors.js';

/** How long to wait for another tm process to release the data directory (TM_EMBEDDED_LOCK_WAIT_MS, for tests). */
const DATA_DIR_LOCK_WAIT_MS = Number(process.env.TM_EMBEDDED_LOCK_WAIT_MS) || 15_000;

/** The name of the liveness socket in a socket directory. */
const LIVENESS_SOCKET = 'tm.lock';

/** A socket directory of a tm run: `tm-<pid>-<n>` in the temp directory (see embeddedUrl). */
const SOCKET_DIR = /^tm-(\d+)-(\d+)$/;

/** A socket directory younger than this may be one a starting tm has just made, not yet listening. */
const STARTING_GRACE_MS = 60_000;

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the lock of a data directory, making `socketDir` (emptied first) the
 * holder's private directory with its liveness socket in it.
 */
export async function lockDataDir(lockFile: string, socketDir: string, what: { database: string; envName: string }): Promise<DataDirLock> {
  rmSync(socketDir, { recursive: true, force: true });
  mkdirSync(socketDir, { mode: 0o700 });
  const socketPath = path.join(socketDir, LIVENESS_SOCKET);
  const liveness = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    liveness.once('error', reject);
    liveness.listen(socketPath, () => resolve());
  });
  liveness.unref();
  const content = `${process.pid}\n${socketPath}\n`;
  const deadline = Date.now() + DATA_DIR_LOCK_WAIT_MS;
  try {
    for (;;) {
      try {
        writeFileSync(lockFile, content, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let held: string;
      try {
        held = readFileSync(lockFile, 'utf8');
      } catch {
        continue; // released meanwhile
      }
      if (!(await holderAlive(held))) {
        // Only the stale content we looked at: a lock taken meanwhile by another tm is left alone.
        if (readFileSync(lockFile, 'utf8') === held) rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new TmError(
          `The embedded database of "${what.database}" is in use by another tm process (pid ${Number.parseInt(held, 10)}); it serves one tm at a time.`,
          `Wait for that tm to finish and try again, or set ${what.envName} to a PostgreSQL server that several runs can share.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    liveness.close();
    throw error;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    liveness.close();
    try {
      if (readFileSync(lockFile, 'utf8') === content) unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return { release };
}

/**
 * Whether the tm that wrote this lock content still runs: its liveness socket
 * accepts. A lock an earlier tm wrote (a pid alone) is judged by its pid,
 * except pid 1 and our own, which only a tm in another PID namespace (a
 * container) can have left.
 */
async function holderAlive(lock: string): Promise<boolean> {
  const [pidLine, socketPath] = lock.split('\n');
  if (socketPath) return accepts(socketPath);
  const pid = Number.parseInt(pidLine, 10);
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something listens on the Unix socket (ECONNREFUSED, ENOENT: nothing does). */
function accepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Removes the socket directories that tm runs killed before they could clean
 * up: those in which no socket accepts a connection any more (and not made
 * just now by a tm that is starting). Directories of other users stay.
 */
export async function removeStaleSocketDirs(tmp = os.tmpdir()): Promise<void> {
  let entries: string[];
  try {
    entries = readdirSync(tmp);
  } catch {
    return;
  }
  await Promise.all(
    entries
      .filter((name) => SOCKET_DIR.test(name) && SOCKET_DIR.exec(name)![1] !== String(process.pid))
      .map(async (name) => {
        const dir = path.join(tmp, name);
        try {
          if (Date.now() - statSync(dir).mtimeMs < STARTING_GRACE_MS) return;
          const sockets = readdirSync(dir).map((file) => path.join(dir, file));
          for (const socket of sockets) if (await accepts(socket)) return;
          rmSync(dir, { recursive: true, force: true });
        } catch {
          // not ours to remove, or gone meanwhile
        }
      }),
  );
}
