/**
 * `tm help [command]`: the help a newcomer types first. `tm help plan` prints
 * what `tm plan --help` prints; `tm help` alone, the list of commands (as
 * `tm --help`). clipanion only knows the `--help` spellings.
 */
import { Command, Option } from 'clipanion';

export class HelpCommand extends Command {
  static override paths = [['help']];
  static override usage = Command.Usage({
    description: 'Print the help of a command (as `tm <command> --help` does)',
    examples: [
      ['Every command', 'tm help'],
      ['The options of tm plan', 'tm help plan'],
    ],
  });

  command = Option.Rest({ name: 'command' });

  async execute(): Promise<number> {
    if (this.command.length === 0) {
      this.context.stdout.write(this.cli.usage());
      return 0;
    }
    const path = ['tm', ...this.command].join(' ');
    if (!this.cli.definitions().some((definition) => definition.path === path)) {
      // Plain text, not clipanion's list of every usage line: one error and what to do next, as every tm error.
      this.context.stderr.write(`Error: \`${path}\` is not a tm command.\nRun \`tm help\` for the list of commands.\n`);
      return 1;
    }
    return this.cli.run([...this.command, '--help']);
  }
}
