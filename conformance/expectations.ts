/**
 * conformance/expectations.json: the documented divergences, each with a
 * one-line reason. Only what is listed there is tolerated, and an entry that
 * no longer matches anything is reported as stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './support.js';

export interface HazardDivergence {
  /** tm hazards (after mapping) the case expects and tm does not report, by design. */
  missingHazards?: string[];
  reason: string;
}

export interface Expectations {
  /** By case id (`<area>/<NNN>_<name>`). */
  pgSchemaDiff: Record<string, HazardDivergence>;
  /** langfuse history: by difference key (see langfuse.ts), the reason it is a real drift of their history. */
  langfuseHistory: Record<string, string>;
  /** real corpus, history oracle: by project, by object Prisma's engine wants to change (see touched.ts), the reason it is a real drift of their history. */
  realHistory: Record<string, Record<string, string>>;
}

export function loadExpectations(path = join(REPO_DIR, 'conformance', 'expectations.json')): Expectations {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  return { pgSchemaDiff: raw['pg-schema-diff'] ?? {}, langfuseHistory: raw['langfuse-history'] ?? {}, realHistory: raw['real-history'] ?? {} };
}
