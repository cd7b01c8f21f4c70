/**
 * Asking before a command changes anything. On a terminal the question is
 * asked and only `y`/`yes` goes ahead; `--force` skips it; with no terminal
 * to ask on (CI, a pipe) and no `--force`, tm refuses and says how to
 * proceed, rather than guessing an answer. Where a yes typed in passing
 * would lose data for good, only `--force` goes ahead (forceRequired).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { TmError } from '../errors.js';

export interface ConfirmOptions {
  force: boolean;
  /** `Apply this plan?` */
  question: string;
  /** Said when there is no terminal: what to do instead (pass --force, or plan and apply in two steps). */
  instead: string;
  /** The command, for the refusal: `tm migrate`. */
  command: string;
  /** Set when only --force may go ahead, even on a terminal: the refusal's message, saying why. */
  forceRequired?: string;
}

export async function confirm(stdin: Readable & { isTTY?: boolean }, stdout: Writable, options: ConfirmOptions): Promise<boolean> {
  if (options.force) return true;
  if (options.forceRequired) throw new TmError(options.forceRequired, options.instead);
  if (!stdin.isTTY) {
    throw new TmError(`${options.command} asks for confirmation before it changes anything, and there is no terminal to ask on (stdin is not a TTY).`, options.instead);
  }
  const rl = createInterface({ input: stdin, output: stdout, terminal: false });
  try {
    stdout.write(`\n${options.question} [y/N] `);
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
