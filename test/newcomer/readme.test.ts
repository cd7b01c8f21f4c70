/**
 * The README's quick start and 5-minute tour cannot rot: every ```sh block
 * between `<!-- quickstart:start -->`/`<!-- tour:start -->` and their `end`
 * markers runs (bash, in a temp copy of the repository's example), and the
 * ```text block right after it, if any, must be its output (stdout and stderr
 * as a terminal shows them, without colour) after normalising what changes
 * from run to run: plan ids and times, fingerprints and hashes, durations and
 * sizes. A line `…` in a text block stands for any number of lines.
 *
 * The quick start runs against the embedded database (DATABASE_URL unset, as
 * on a fresh machine); the tour runs against the test database (then once
 * more in the same project, as a reader re-running it would, checking only
 * that each step succeeds) and against the embedded one (whose one-line
 * notice the tour's blocks leave out).
 * `npm install` lines are skipped: the test runs from an installed checkout.
 *
 * After an intended change of the output: UPDATE_README=1 rewrites the text
 * blocks from the test-database run (keeping each `…`); review `git diff README.md`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { TM_BIN } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { removeTempProjects, REPO_DIR, tempProject } from '../support/temp-project.js';

const README = path.join(REPO_DIR, 'README.md');
const UPDATE = process.env.UPDATE_README === '1';
const NOTICE = /^tm: DATABASE_URL is not set, so database .*$/;

interface Block {
  lang: string;
  body: string;
  /** Offsets of the body in the README. */
  start: number;
  end: number;
}

interface Step {
  command: Block;
  output?: Block;
}

function section(text: string, name: string): Step[] {
  const from = text.indexOf(`<!-- ${name}:start -->`);
  const to = text.indexOf(`<!-- ${name}:end -->`);
  if (from < 0 || to < from) throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> section`);
  const blocks: Block[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  fence.lastIndex = from;
  for (let m = fence.exec(text); m && m.index < to; m = fence.exec(text)) {
    const start = m.index + m[0].indexOf('\n') + 1;
    blocks.push({ lang: m[1], body: m[2], start, end: start + m[2].length });
  }
  const steps: Step[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'sh') return;
    const next = blocks[i + 1];
    steps.push({ command: block, output: next?.lang === 'text' ? next : undefined });
  });
  return steps;
}

/** Runs a block as the README's reader would, in `dir`; stdout and stderr in the order written. */
function runBlock(body: string, dir: string, env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const prelude = [
    'exec 2>&1',
    // `npx tm` is this checkout's tm; `npm install` already happened.
    'npx() { if [ "$1" = tm ]; then shift; node "$TM_BIN" "$@"; else command npx "$@"; fi; }',
    'npm() { case "$1" in install|ci|i) return 0;; esac; command npm "$@"; }',
    'set -eo pipefail',
  ].join('\n');
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', TM_BIN, ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${prelude}\n${body}`], { cwd: dir, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** What changes from run to run, replaced by placeholders. */
export function normalize(text: string): string {
  return text
    .split('\n')
    .map((line) =>
      line
        .replace(/\d{8}T\d{6}\.\d{3}Z/g, '<ID-TIME>')
        .replace(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{3})?Z/g, '<TIME>')
        .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z/g, '<TIME>')
        .replace(/(?<![0-9a-z])(?=[0-9a-f]*\d)[0-9a-f]{10,64}(?![0-9a-z])/g, '<HEX>')
        .replace(/\(\d+ ms\)/g, '(<N> ms)')
        .replace(/\bin \d+(\.\d+)? s\b/g, 'in <N> s')
        .replace(/\d+(\.\d+)? (kB|MB|GB|bytes)\b/g, '<SIZE>')
        .trimEnd(),
    )
    .reduce<string[]>((lines, line) => {
      // Tenants applied in parallel finish in any order: a run of outcome lines is compared sorted.
      const outcome = /^ {2}[✓✗=!] /;
      let at = lines.length;
      while (at > 0 && outcome.test(lines[at - 1]) && outcome.test(line) && lines[at - 1] > line) at--;
      lines.splice(at, 0, line);
      return lines;
    }, [])
    .join('\n')
    .trim();
}

/** Whether the actual lines match the expected ones, where an expected `…` line matches any number of lines. */
function matches(expected: string[], actual: string[]): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (memo.has(key)) return memo.get(key)!;
    let result: boolean;
    if (i === expected.length) result = j === actual.length;
    else if (expected[i] === '…') result = go(i + 1, j) || (j < actual.length && go(i, j + 1));
    else result = j < actual.length && expected[i] === actual[j] && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** The new text of an output block from an actual run, keeping the old block's `…` (as many head and tail lines). */
function updatedBlock(old: string, actual: string): string {
  const lines = actual.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const oldLines = old.replace(/\n$/, '').split('\n');
  const cut = oldLines.indexOf('…');
  if (cut < 0) return lines.join('\n') + '\n';
  const head = cut;
  const tail = oldLines.length - cut - 1;
  if (head + tail >= lines.length) return lines.join('\n') + '\n';
  return [...lines.slice(0, head), '…', ...lines.slice(lines.length - tail)].join('\n') + '\n';
}

/** Runs each block; each must succeed, and (unless `compare` is false) print its text block. */
async function runSteps(
  steps: Step[],
  dir: string,
  env: Record<string, string | undefined>,
  options: { dropNotice: boolean; record?: Map<Block, string>; compare?: boolean },
): Promise<void> {
  for (const step of steps) {
    const body = step.command.body
      .split('\n')
      .filter((l) => !/^\s*npm (install|ci)\b/.test(l))
      .join('\n');
    const result = await runBlock(body, dir, env);
    expect(result.code, `README block failed:\n${step.command.body}\n--- output\n${result.output}`).to.equal(0);
    if (!step.output || options.compare === false) continue;
    options.record?.set(step.output, result.output);
    if (UPDATE) continue;
    const keep = (l: string) => !(options.dropNotice && NOTICE.test(l));
    const expected = normalize(step.output.body).split('\n').filter(keep);
    const actual = normalize(result.output).split('\n').filter(keep);
    if (!matches(expected, actual)) {
      expect.fail(
        `README output differs for:\n${step.command.body}\n--- README (normalised)\n${expected.join('\n')}\n--- actual (normalised)\n${actual.join('\n')}\n` +
          '(After an intended change: UPDATE_README=1, then review git diff README.md.)',
      );
    }
  }
}

/** A copy of the repository's example, as a fresh clone has it. */
function exampleCopy(): string {
  const dir = tempProject({ 'plans/.gitkeep': '' });
  symlinkSync(path.join(REPO_DIR, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('README: the quick start and the tour run as written', function () {
  this.timeout(300_000);
  const db = useFreshDatabase();
  const text = readFileSync(README, 'utf8');
  const quickstart = section(text, 'quickstart');
  const tour = section(text, 'tour');
  const recorded = new Map<Block, string>();
  after(removeTempProjects);
  after(() => {
    if (!UPDATE || recorded.size === 0) return;
    let updated = text;
    for (const block of [...recorded.keys()].sort((a, b) => b.start - a.start)) {
      updated = updated.slice(0, block.start) + updatedBlock(block.body, recorded.get(block)!) + updated.slice(block.end);
    }
    writeFileSync(README, updated);
  });

  it('has the two commands first, then the tour: plan, review, apply, status, rollback', () => {
    expect(quickstart.map((s) => s.command.body.trim())).to.deep.equal(['npm install\nnpx tm migrate init --force']);
    const commands = tour.map((s) => s.command.body);
    for (const step of ['npx tm plan', 'npx tm show', 'npx tm apply', 'npx tm status', 'npx tm rollback']) {
      expect(commands.some((c) => c.includes(step)), step).to.equal(true);
    }
    expect(text.indexOf('<!-- quickstart:start -->')).to.be.lessThan(text.indexOf('## Set up and test'));
  });

  it('quick start, on the embedded database (no DATABASE_URL, no server)', async () => {
    const dir = exampleCopy();
    await runSteps(quickstart, dir, { DATABASE_URL: undefined, TM_EMBEDDED: undefined }, { dropNotice: false, record: recorded });
  });

  it('the tour, against the test database, then again in the same project', async () => {
    const dir = exampleCopy();
    const env = { DATABASE_URL: db.url };
    await runSteps(quickstart, dir, env, { dropNotice: true });
    await runSteps(tour, dir, env, { dropNotice: true, record: recorded });
    // A reader who runs the tour again: plans/ now holds the first run's plans
    // (and the rollback's, named alike), and tenant_acme is behind. Every step
    // still runs; its output differs from the README's (one tenant to change),
    // so it is not compared.
    await runSteps(tour, dir, env, { dropNotice: true, compare: false });
  });

  it('the tour, on the embedded database', async function () {
    if (UPDATE) this.skip();
    const dir = exampleCopy();
    const env = { DATABASE_URL: undefined, TM_EMBEDDED: undefined };
    await runSteps(quickstart, dir, env, { dropNotice: true });
    await runSteps(tour, dir, env, { dropNotice: true });
  });
});
