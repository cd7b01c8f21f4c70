/**
 * Output polish: colour only on a terminal and never with NO_COLOR (plain
 * text everywhere else, byte for byte what the golden files hold), and every
 * error ends with what to do next.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { colorEnabled, createStyle, paintApplyLine, paintPlanText } from '../../src/output/style.js';
import { runTm, TM_BIN } from '../harness/cli.js';
import { REPO_ROOT } from '../support/fleet.js';
import { goldenPlan, writeTempPlan } from '../support/synthetic-plan.js';

const ESC = '\u001b[';
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

/** Runs tm on a pseudo-terminal (util-linux `script`); null when `script` is not there. */
function onTerminal(args: string[], env: Record<string, string | undefined>): { status: number | null; output: string } | null {
  if (spawnSync('script', ['--version']).status !== 0) return null;
  const command = [process.execPath, TM_BIN, ...args].map((a) => JSON.stringify(a)).join(' ');
  const baseEnv: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined, ...env };
  const cleanEnv = Object.fromEntries(Object.entries(baseEnv).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const result = spawnSync('script', ['-qec', command, '/dev/null'], { env: cleanEnv, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: result.stdout.replace(/\r\n/g, '\n') };
}

describe('output: colour and hints', function () {
  this.timeout(60_000);

  it('colour is on for a terminal only, never with NO_COLOR or TERM=dumb; FORCE_COLOR forces it', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(colorEnabled(tty, {})).to.equal(true);
    expect(colorEnabled(pipe, {})).to.equal(false);
    expect(colorEnabled(undefined, {})).to.equal(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).to.equal(false);
    expect(colorEnabled(tty, { NO_COLOR: '' })).to.equal(true); // no-color.org: set and not empty
    expect(colorEnabled(tty, { TERM: 'dumb' })).to.equal(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).to.equal(true);
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).to.equal(true);
    expect(colorEnabled(pipe, { FORCE_COLOR: '0' })).to.equal(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).to.equal(false);
    // CI alone does not turn colour on (picocolors' own default would).
    expect(colorEnabled(pipe, { CI: 'true' })).to.equal(false);
  });

  it('paints the plan text without changing it: + green, ~ yellow, - red, DATA_LOSS red', () => {
    const golden = readFileSync(path.join(REPO_ROOT, 'test', 'golden', 'plan.txt'), 'utf8');
    expect(paintPlanText(golden, createStyle(false))).to.equal(golden);
    const painted = paintPlanText(golden, createStyle(true));
    expect(painted).to.not.equal(golden);
    expect(stripAnsi(painted)).to.equal(golden);
    const lines = painted.split('\n');
    const created = lines.find((l) => stripAnsi(l).startsWith('  + '));
    const dropped = lines.find((l) => stripAnsi(l).startsWith('  - '));
    expect(created, 'a + line').to.match(/^ {2}\u001b\[32m\+ /);
    expect(dropped, 'a - line').to.match(/^ {2}\u001b\[31m- /);
    const hazard = lines.find((l) => stripAnsi(l).startsWith('      ! DATA_LOSS'));
    expect(hazard, 'a DATA_LOSS line').to.match(/^\u001b\[31m/);
    // SQL lines are left as they are.
    for (const line of lines.filter((l) => /^ {6}[A-Z]/.test(l))) expect(line).to.not.contain(ESC);
  });

  it('paints apply lines by outcome', () => {
    const style = createStyle(true);
    expect(paintApplyLine('  ✓ main/t: applied (3 ms)', style)).to.equal(`  ${ESC}32m✓${ESC}39m main/t: applied (3 ms)`);
    expect(paintApplyLine('  ✗ main/t: failed', style)).to.contain(`${ESC}31m✗`);
    expect(paintApplyLine('  ✓ main/t: applied', createStyle(false))).to.equal('  ✓ main/t: applied');
  });

  it('tm show on a terminal is in colour, and plain with NO_COLOR', function () {
    const file = writeTempPlan(goldenPlan());
    const coloured = onTerminal(['show', file], {});
    if (!coloured) this.skip();
    expect(coloured!.status, coloured!.output).to.equal(0);
    expect(coloured!.output).to.contain(`${ESC}32m+`);
    const plain = onTerminal(['show', file], { NO_COLOR: '1' });
    expect(plain!.output).to.not.contain(ESC);
    expect(plain!.output).to.match(/^tm migrate "/);
    expect(stripAnsi(coloured!.output)).to.equal(plain!.output);
  });

  it('an error on a terminal starts with a red "Error:"; piped, it is plain', async function () {
    const onTty = onTerminal(['show', '/nonexistent/x.plan.json'], {});
    if (!onTty) this.skip();
    expect(onTty!.status).to.equal(1);
    expect(onTty!.output).to.match(/^\u001b\[31m\u001b\[1mError:\u001b\[22m\u001b\[39m Cannot read plan file/m);
    const piped = await runTm(['show', '/nonexistent/x.plan.json']);
    expect(piped.stderr).to.match(/^Error: Cannot read plan file/);
    expect(piped.stderr).to.not.contain(ESC);
  });

  it('every error ends with what to do next: its own hint, or where the command’s options are explained', async () => {
    const file = writeTempPlan(goldenPlan());
    const result = await runTm(['show', file, '--format', 'yaml']);
    expect(result.code).to.equal(1);
    expect(result.stderr.trimEnd().split('\n')).to.deep.equal([
      'Error: --format takes text, markdown, json, not "yaml".',
      'Run `tm show --help` for its options and examples.',
    ]);
  });

  it('the source: every TmError in src/ is given a hint, or is printed with the fallback', () => {
    // The fallback in src/cli/base.ts covers the rest; this keeps the count of hintless errors from growing.
    const files = (readdirSync(path.join(REPO_ROOT, 'src'), { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts'));
    let hintless = 0;
    for (const f of files) {
      const text = readFileSync(path.join(REPO_ROOT, 'src', f), 'utf8');
      for (const match of text.matchAll(/new TmError\(/g)) {
        const args = topLevelArguments(text, match.index! + match[0].length);
        if (args < 2) hintless++;
      }
    }
    expect(hintless, 'TmErrors without a hint (they get the generic one)').to.be.at.most(9);
  });
});

/** The number of top-level arguments of the call whose `(` ends at `from`. */
function topLevelArguments(text: string, from: number): number {
  let depth = 1;
  let commas = 0;
  let quote: string | null = null;
  let sawContent = false;
  let trailingComma = false;
  const braces: number[] = [];
  for (let i = from; i < text.length && depth > 0; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (quote === '`' && c === '$' && text[i + 1] === '{') {
        braces.push(depth);
        depth++;
        quote = null;
        i++;
      } else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      sawContent = true;
      trailingComma = false;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (c === '}' && braces.length && braces[braces.length - 1] === depth) {
        braces.pop();
        quote = '`';
      }
    } else if (c === ',' && depth === 1) {
      commas++;
      trailingComma = true;
    } else if (!/\s/.test(c)) {
      sawContent = true;
      trailingComma = false;
    }
  }
  if (!sawContent) return 0;
  return commas + 1 - (trailingComma ? 1 : 0);
}
