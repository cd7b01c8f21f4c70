/**
 * Golden files: `tm show` text, Markdown and JSON of a fixed synthetic plan
 * (test/support/synthetic-plan.ts, fixed createdAt) must match
 * test/golden/plan.{txt,md,json} byte for byte.
 *
 * After an intended change of the output, regenerate them and review the diff:
 *
 *   UPDATE_GOLDEN=1 npm test
 *   (or just this file: npx tsc -p . && UPDATE_GOLDEN=1 npx mocha --no-config --require dist/test/harness/hooks.js dist/test/output/golden.test.js)
 *   git diff test/golden/
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { planToJson } from '../../src/output/planJson.js';
import { renderPlanMarkdown } from '../../src/output/planMarkdown.js';
import { renderShowText } from '../../src/output/showText.js';
import { ABSENT } from '../../src/catalog/fingerprint.js';
import type { Plan } from '../../src/plan/types.js';
import { goldenPlan } from '../support/synthetic-plan.js';
import { REPO_ROOT } from '../support/fleet.js';

export const GOLDEN_DIR = path.join(REPO_ROOT, 'test', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function checkGolden(file: string, actual: string): void {
  const target = path.join(GOLDEN_DIR, file);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(target, actual);
    return;
  }
  expect(existsSync(target), `test/golden/${file} is missing: run UPDATE_GOLDEN=1 npm test and commit it`).to.equal(true);
  const expected = readFileSync(target, 'utf8');
  if (actual !== expected) {
    const a = actual.split('\n');
    const e = expected.split('\n');
    const line = a.findIndex((l, i) => l !== e[i]);
    expect.fail(
      `test/golden/${file} differs from the output at line ${line + 1}:\n  expected: ${JSON.stringify(e[line])}\n  actual:   ${JSON.stringify(a[line])}\n` +
        'If the change is intended, regenerate with UPDATE_GOLDEN=1 npm test and review `git diff test/golden/`.',
    );
  }
}

/**
 * The golden plan with its hashes replaced by fixed stand-ins: the golden files
 * follow how tm renders a plan, not the catalog model's or the plan file's
 * shape (which change fingerprints and the integrity hash without changing a
 * line of rendering code).
 */
function stablePlan(): Plan {
  const plan = goldenPlan();
  const stand = new Map<string, string>();
  const fake = (fp: string) => {
    if (fp === ABSENT) return fp;
    if (!stand.has(fp)) stand.set(fp, String(stand.size + 1).repeat(64).slice(0, 64));
    return stand.get(fp)!;
  };
  for (const c of plan.cohorts) {
    c.beforeFingerprint = fake(c.beforeFingerprint);
    c.afterFingerprint = fake(c.afterFingerprint);
  }
  for (const u of plan.unchanged) u.fingerprint = fake(u.fingerprint);
  plan.afterModels = Object.fromEntries(Object.entries(plan.afterModels).map(([fp, model]) => [fake(fp), model]));
  plan.integrity = 'f'.repeat(64);
  return plan;
}

describe('golden files of a fixed plan (UPDATE_GOLDEN=1 regenerates them)', () => {
  const plan = stablePlan();

  it('text: test/golden/plan.txt', () => {
    checkGolden('plan.txt', renderShowText(plan, { sql: true, metadataSchema: 'tm' }));
  });

  it('Markdown: test/golden/plan.md', () => {
    checkGolden('plan.md', renderPlanMarkdown(plan, { planPath: `plans/${plan.id}.plan.json` }));
  });

  it('JSON: test/golden/plan.json (tm_version left out, so a release does not change it)', () => {
    checkGolden('plan.json', JSON.stringify({ ...planToJson(plan), tm_version: '<tm version>' }, null, 2) + '\n');
  });
});
