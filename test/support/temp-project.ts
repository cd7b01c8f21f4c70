/**
 * Throwaway tm projects in temp directories, for tests of broken inputs:
 * a copy of the repository's example (prisma/schema/ and tenants.yaml) with
 * some files replaced, added or (with null) removed.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const REPO_DIR = fileURLToPath(new URL('../../../', import.meta.url));

const created: string[] = [];

export function tempProject(changes: Record<string, string | null> = {}, options: { example?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-project-'));
  created.push(dir);
  if (options.example ?? true) {
    cpSync(path.join(REPO_DIR, 'prisma', 'schema'), path.join(dir, 'prisma', 'schema'), { recursive: true });
    cpSync(path.join(REPO_DIR, 'tenants.yaml'), path.join(dir, 'tenants.yaml'));
  }
  for (const [file, content] of Object.entries(changes)) {
    const target = path.join(dir, file);
    if (content === null) {
      rmSync(target, { recursive: true, force: true });
    } else {
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
  return dir;
}

/** Removes every project tempProject made; call from an `after` hook. */
export function removeTempProjects(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
