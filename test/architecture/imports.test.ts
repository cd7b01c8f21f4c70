/**
 * The import rules of src/ (README, "Architecture"): each folder imports only
 * folders below it, so the pipeline reads one way. A file that breaks a rule
 * fails this test with the line that does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { importViolations, layerOf } from '../support/importRules.js';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

describe('import rules of src/ (pure)', () => {
  const files = sourceFiles(src).map((file) => ({ file: path.relative(src, file), text: readFileSync(file, 'utf8') }));

  it('every source file belongs to a layer', () => {
    expect(files.filter((f) => layerOf(f.file) === null).map((f) => f.file)).to.deep.equal([]);
  });

  it('no file imports a folder above its own, and output/ does no I/O', () => {
    expect(files.flatMap((f) => importViolations(f.file, f.text))).to.deep.equal([]);
  });

  it('the check sees a broken rule (plan importing apply, output importing node:fs, config importing db)', () => {
    expect(importViolations('plan/build.ts', "import { applyPlan } from '../apply/apply.js';\n")).to.have.length(1);
    expect(importViolations('plan/kinds/x.ts', "const m = await import('../../apply/apply.js');\n")).to.have.length(1);
    expect(importViolations('output/planText.ts', "import { readFileSync } from 'node:fs';\n")).to.have.length(1);
    expect(importViolations('config/env.ts', "import { connect } from '../db/connect.js';\n")).to.have.length(1);
    expect(importViolations('apply/apply.ts', "import { buildPlan } from '../plan/build.js';\n")).to.deep.equal([]);
  });
});
