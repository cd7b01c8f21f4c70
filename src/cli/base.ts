import { Command, Option } from 'clipanion';
import { isConnectionLost } from '../db/connect.js';
import { stopEmbedded } from '../db/embedded.js';
import { isReadOnlyError } from '../db/readOnly.js';
import { isTmError, TmError } from '../errors.js';
import { styleFor } from '../output/style.js';
import { termLines } from '../output/terminal.js';

/**
 * Every tm command: runs `run()`, turns a TmError into one clear line on
 * stderr (plus its hint) and exit code 1, and anything unexpected into a bug
 * report with its stack.
 */
export abstract class TmCommand extends Command {
  cwd = Option.String('--cwd', { hidden: true, description: 'Project directory (default: the current directory)' });

  protected abstract run(): Promise<number | void>;

  get projectDir(): string {
    return this.cwd ?? process.cwd();
  }

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (error) {
      if (isTmError(error)) {
        // Every error ends with what to do next: its own hint, or where the command's options are explained.
        const style = styleFor(this.context.stderr as { isTTY?: boolean });
        const command = this.path.length ? `tm ${this.path.join(' ')}` : 'tm';
        // Messages quote names and server text: their control characters are shown, not obeyed (output/terminal.ts).
        this.context.stderr.write(`${style.red(style.bold('Error:'))} ${termLines(error.message)}\n`);
        this.context.stderr.write(`${termLines(error.hint ?? `Run \`${command} --help\` for its options and examples.`)}\n`);
        return error.exitCode;
      }
      if (isConnectionLost(error)) {
        // The server went away (restarted, the session terminated): not a bug, and nothing to report but its reason.
        const style = styleFor(this.context.stderr as { isTTY?: boolean });
        this.context.stderr.write(`${style.red(style.bold('Error:'))} Lost the connection to the database server: ${termLines((error as Error).message)}\n`);
        this.context.stderr.write('Check that the server is up, then run the command again.\n');
        return 1;
      }
      if (isReadOnlyError(error)) {
        // A write refused by a read-only server (a standby, default_transaction_read_only) that no check caught first: not a bug.
        const style = styleFor(this.context.stderr as { isTTY?: boolean });
        this.context.stderr.write(`${style.red(style.bold('Error:'))} The database server refused a write: it is read-only (${(error as Error).message}).\n`);
        this.context.stderr.write('Run the command against the primary server, or once default_transaction_read_only is off again.\n');
        return 1;
      }
      this.context.stderr.write(`tm: unexpected error (a bug in tm, please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
      return 1;
    } finally {
      // The embedded database (when a command used it) is closed cleanly before tm exits.
      await stopEmbedded();
    }
  }
}

/** A command whose issue has not landed yet: says so and exits 1, never pretends. */
export function notYetImplemented(command: string): never {
  throw new TmError(`\`tm ${command}\` is not yet implemented.`, 'See the open issues for when it lands; `tm --help` lists what works today.');
}
