/** The confirmation question (src/cli/confirm.ts), in process with a stand-in terminal. */
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { confirm } from '../../src/cli/confirm.js';
import { TmError } from '../../src/errors.js';

function terminal(input: string | null): PassThrough & { isTTY?: boolean } {
  const stream: PassThrough & { isTTY?: boolean } = new PassThrough();
  stream.isTTY = true;
  if (input === null) stream.end();
  else stream.end(input);
  return stream;
}

const options = { force: false, question: 'Apply this plan?', instead: 'Pass --force.', command: 'tm migrate' };

describe('confirm (in process)', () => {
  it('asks on a terminal; only y or yes goes ahead', async () => {
    for (const [answer, expected] of [['y\n', true], ['yes\n', true], ['Y\n', true], ['n\n', false], ['\n', false], ['maybe\n', false]] as const) {
      const out = new PassThrough();
      let written = '';
      out.on('data', (c) => (written += c));
      expect(await confirm(terminal(answer), out, options), JSON.stringify(answer)).to.equal(expected);
      expect(written).to.contain('Apply this plan? [y/N] ');
    }
  });

  it('takes a closed input as no', async () => {
    expect(await confirm(terminal(null), new PassThrough(), options)).to.equal(false);
  });

  it('--force goes ahead without asking, terminal or not', async () => {
    const notTerminal = new PassThrough();
    expect(await confirm(notTerminal, new PassThrough(), { ...options, force: true })).to.equal(true);
  });

  it('without a terminal refuses with what to do instead', async () => {
    const error = await confirm(new PassThrough(), new PassThrough(), options).catch((e) => e);
    expect(error).to.be.instanceOf(TmError);
    expect(error.message).to.equal('tm migrate asks for confirmation before it changes anything, and there is no terminal to ask on (stdin is not a TTY).');
    expect(error.hint).to.equal('Pass --force.');
  });

  it('with forceRequired refuses even on a terminal, without asking; --force still goes ahead', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (c) => (written += c));
    const strict = { ...options, forceRequired: 'this would lose data for good; only --force does it.' };
    const error = await confirm(terminal('y\n'), out, strict).catch((e) => e);
    expect(error).to.be.instanceOf(TmError);
    expect(error.message).to.equal('this would lose data for good; only --force does it.');
    expect(error.hint).to.equal('Pass --force.');
    expect(written).to.equal('');
    expect(await confirm(terminal(null), new PassThrough(), { ...strict, force: true })).to.equal(true);
  });
});
