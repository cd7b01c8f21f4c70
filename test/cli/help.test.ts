import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runTm } from '../harness/cli.js';

describe('tm command line', () => {
  it('prints help for every command and exits 0', async () => {
    const result = await runTm(['--help']);
    expect(result.code).to.equal(0);
    for (const command of ['init', 'plan', 'apply', 'status', 'migrate', 'sync', 'rollback', 'reset', 'validate']) {
      expect(result.stdout).to.match(new RegExp(`tm ${command}\\b`), `help lists ${command}`);
    }
  });

  it('an error is one line and what to do next, with exit 1 and no stack', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tm-empty-'));
    try {
      const result = await runTm(['init'], { cwd: dir });
      expect(result.code).to.equal(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(/^Error: no Prisma schema found in /);
      expect(lines[1]).to.contain('prisma/schema/');
      expect(result.stdout).to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
