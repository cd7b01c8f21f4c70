import { expect } from 'chai';
import { runTm } from '../harness/cli.js';

describe('tm command line', () => {
  it('prints help for every command and exits 0', async () => {
    const result = await runTm(['--help']);
    expect(result.code).to.equal(0);
    for (const command of ['plan', 'apply', 'status', 'migrate', 'sync', 'rollback', 'reset', 'validate']) {
      expect(result.stdout).to.match(new RegExp(`tm ${command}\\b`), `help lists ${command}`);
    }
  });

  it('says plainly that an unfinished command is not implemented, with exit 1', async () => {
    const result = await runTm(['init']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.contain('`tm init` is not yet implemented');
    expect(result.stdout).to.equal('');
  });
});
