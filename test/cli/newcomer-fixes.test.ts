/**
 * What a newcomer hits first when following the README in a terminal
 * (issue 19, item 4): `tm help <command>`, the `--no-sql` spelling the README
 * documents, and a missing tenants.yaml pointing at `tm init`. The real binary,
 * as a user runs it. (An empty DATABASE_URL: test/newcomer/embedded.test.ts.)
 */
import { expect } from 'chai';
import { runTm } from '../harness/cli.js';
import { removeTempProjects, tempProject } from '../support/temp-project.js';

describe('newcomer fixes (real binary)', () => {
  after(removeTempProjects);

  it('`tm help <command>` prints what `tm <command> --help` prints; `tm help` alone, the general help', async () => {
    for (const command of [['plan'], ['show'], ['backups', 'prune']]) {
      const viaHelp = await runTm(['help', ...command]);
      const viaOption = await runTm([...command, '--help']);
      expect(viaHelp.code, viaHelp.stderr).to.equal(0);
      expect(viaHelp.stdout).to.equal(viaOption.stdout);
      expect(viaHelp.stdout).to.contain(`$ tm ${command.join(' ')}`);
    }
    const general = await runTm(['help']);
    expect(general.code, general.stderr).to.equal(0);
    expect(general.stdout).to.equal((await runTm(['--help'])).stdout);
  });

  it('`tm help` with an unknown command is one error and what to do next, exit 1', async () => {
    const result = await runTm(['help', 'plna']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal('Error: `tm plna` is not a tm command.\nRun `tm help` for the list of commands.\n');
  });

  it('usage lines and help show --no-sql, as the README documents, and it works', async () => {
    const general = await runTm(['--help']);
    for (const command of ['plan', 'show', 'migrate', 'sync', 'rollback', 'reset']) {
      const usage = general.stdout.split('\n').find((line) => line.trim().startsWith(`tm ${command} `)) ?? '';
      expect(usage, command).to.contain('[--no-sql]');
      expect(usage, command).not.to.contain('[--sql]');
    }
    const plan = await runTm(['plan', '--help']);
    expect(plan.stdout).to.match(/^ {2}--no-sql {2,}One line per step instead of its SQL$/m);
    // Accepted where the README uses it (`tm show … --no-sql`): it fails on the missing file, not on the option.
    const show = await runTm(['show', 'missing.plan.json', '--no-sql'], { cwd: tempProject() });
    expect(show.code).to.equal(1);
    expect(show.stderr).to.match(/^Error: .*missing\.plan\.json/);
  });

  it('a missing tenants.yaml says to run `tm init`, in one error with exit 1', async () => {
    const dir = tempProject({ 'tenants.yaml': null });
    const result = await runTm(['plan'], { cwd: dir });
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).to.deep.equal([
      `Error: No tenants.yaml in ${dir}.`,
      'Run `tm init` to write one (it lists your databases and tenant schemas), or run tm from the project folder.',
    ]);
    expect(result.stderr).not.to.contain('README');
  });
});
