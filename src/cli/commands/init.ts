import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { TmCommand } from '../base.js';
import { TmError } from '../../errors.js';
import type { FoundSchema } from '../../init/init.js';

/** Asks one question on a terminal and returns the answer line ('' at end of input). */
export type Ask = (question: string) => Promise<string>;

/**
 * On a terminal: which of the schemas found to list by name (the discover
 * patterns find the others anyway). Asks again, at most twice more, when the
 * answer is not understood; then lists none.
 */
export async function chooseListed(found: FoundSchema[], ask: Ask, write: (text: string) => void): Promise<string[]> {
  const { parseSelection } = await import('../../init/init.js');
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await ask('List which of them by name in tenants.yaml? Numbers (1,3-5), all or none [none]: ');
    const picked = parseSelection(answer, found.length);
    if (picked) return picked.map((i) => found[i].schema);
    write(`Not understood: "${answer.trim()}". Answer with numbers between 1 and ${found.length}, all or none.\n`);
  }
  return [];
}

export class InitCommand extends TmCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'Set up tm in an existing Prisma project: tenants.yaml, plans/, state/ and a CI workflow',
    details: `
      Writes tenants.yaml (one database, \`main\`, whose connection string is in the variable the project's Prisma setup uses: prisma.config.ts's datasource, else the schema's, else DATABASE_URL), plans/.gitkeep, state/.gitignore and .github/workflows/tm.yml (tm's example workflow: plan on pull requests, apply on merge, nightly drift).

      When that variable is set (environment or .env), tm looks at the database: the schemas it finds (other than public and tm's own) are shown, a \`discover\` pattern is written for the prefixes they share (\`tenant_*\` when none), and on a terminal tm asks which to list by name.

      Existing files are left alone: tm init refuses (exit 1, naming them) unless --force is given, and writes nothing.
    `,
    examples: [
      ['Set up tm in this project', 'tm init'],
      ['Overwrite existing tenants.yaml, workflow, …', 'tm init --force'],
    ],
  });

  force = Option.Boolean('--force', false, { description: 'Overwrite files that already exist' });

  protected async run() {
    const { locateSchema } = await import('../../schema/locate.js');
    const init = await import('../../init/init.js');
    const { loadEnvironment } = await import('../../config/env.js');
    const out = (text: string) => this.context.stdout.write(text);

    const schema = locateSchema(this.projectDir);
    const urlEnv = init.urlEnvName(this.projectDir);
    const fixed: Array<{ path: string; content: string; note?: string }> = [
      { path: 'plans/.gitkeep', content: '' },
      { path: 'state/.gitignore', content: init.STATE_GITIGNORE },
      { path: '.github/workflows/tm.yml', content: init.workflowText(urlEnv.name), note: 'needs the repository secret STAGING_DATABASE_URL' },
    ];
    // tenants.yaml's content depends on the database; any existing one is in the way.
    const conflicts = [
      ...(existsSync(path.join(this.projectDir, 'tenants.yaml')) && !this.force ? ['tenants.yaml'] : []),
      ...init.outcomes(this.projectDir, fixed, this.force).filter((f) => f.outcome === 'conflict').map((f) => f.path),
    ];
    if (conflicts.length) {
      throw new TmError(
        `tm init would overwrite ${conflicts.join(', ')}, which already exist${conflicts.length === 1 ? 's' : ''}; nothing was written.`,
        'Run `tm init --force` to overwrite, or move the file aside first.',
      );
    }

    out(`Prisma schema: ${schema.path}${schema.kind === 'folder' ? '/' : ''}; connection string: ${urlEnv.name}${urlEnv.from === 'default' ? " (Prisma's default)" : ` (as in ${urlEnv.from})`}\n`);
    const env = loadEnvironment(this.projectDir);
    const url = env[urlEnv.name];
    let found: FoundSchema[] = [];
    if (url) {
      found = await this.lookAtDatabase(urlEnv.name, url);
    } else {
      out(`${urlEnv.name} is not set: no database to look at for tenant schemas.\n`);
    }

    const discover = init.discoverPatterns(found.map((f) => f.schema));
    let listed: string[] = [];
    if (found.length) {
      const width = Math.max(...found.map((f) => f.schema.length));
      out(`Schemas that could be tenants (${found.length}):\n`);
      found.forEach((f, i) => out(`  ${String(i + 1).padStart(String(found.length).length)}) ${f.schema.padEnd(width)}  ${f.tables} table${f.tables === 1 ? '' : 's'}\n`));
      const { globToRegExp } = await import('../../config/tenants.js');
      const matched = found.filter((f) => discover.some((p) => globToRegExp(p).test(f.schema)));
      out(`discover: [${discover.join(', ')}] finds ${matched.length} of them.\n`);
      const stdin = this.context.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
      if (stdin.isTTY) {
        listed = await this.ask(found, stdin);
      } else {
        out('(No terminal to ask which to list by name: none listed; edit tenants.yaml to list some.)\n');
      }
    }

    const files = [{ path: 'tenants.yaml', content: init.renderTenantsYaml({ urlEnv: urlEnv.name, listed, discover }) }, ...fixed];
    out('\n');
    for (const file of init.outcomes(this.projectDir, files, true)) {
      if (file.outcome !== 'unchanged') {
        const absolute = path.join(this.projectDir, file.path);
        mkdirSync(path.dirname(absolute), { recursive: true });
        writeFileSync(absolute, file.content);
      }
      const verb = { create: 'created', overwrite: 'overwrote', unchanged: 'unchanged', conflict: 'unchanged' }[file.outcome];
      out(`  ${verb.padEnd(9)} ${file.path}${file.note ? `  (${file.note})` : ''}\n`);
    }
    out(
      [
        '',
        'Next:',
        '  npx tm validate     check the Prisma schema and tenants.yaml (offline)',
        `  npx tm plan         what tm would change${url ? '' : ` (with ${urlEnv.name} unset: in tm's embedded PostgreSQL, state/pglite/)`}`,
        '',
      ].join('\n'),
    );
    return 0;
  }

  /** The candidate schemas of the database in the variable; a database that cannot be reached is reported, not fatal. */
  private async lookAtDatabase(envName: string, url: string): Promise<FoundSchema[]> {
    const { connect } = await import('../../db/connect.js');
    const { databaseTarget } = await import('../../db/target.js');
    const { candidateSchemas } = await import('../../init/init.js');
    const database = { name: 'main', urlEnv: envName, tenants: [], discover: [], extensionSchema: 'public' };
    const target = databaseTarget(database, { projectDir: this.projectDir, env: { [envName]: url } });
    try {
      const client = await connect(target, 'init');
      try {
        return await candidateSchemas(client);
      } finally {
        await client.end();
      }
    } catch (error) {
      this.context.stderr.write(`Warning: could not look at the database in ${envName}: ${(error as Error).message}\n`);
      return [];
    }
  }

  private async ask(found: FoundSchema[], stdin: NodeJS.ReadableStream): Promise<string[]> {
    const { createInterface } = await import('node:readline');
    const rl = createInterface({ input: stdin, output: this.context.stdout, terminal: false });
    const lines: string[] = [];
    const waiting: Array<(line: string) => void> = [];
    let ended = false;
    rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : lines.push(line)));
    rl.on('close', () => {
      ended = true;
      for (const resolve of waiting.splice(0)) resolve('');
    });
    const ask: Ask = (question) => {
      this.context.stdout.write(question);
      if (lines.length) return Promise.resolve(lines.shift()!);
      if (ended) return Promise.resolve('');
      return new Promise((resolve) => waiting.push(resolve));
    };
    try {
      return await chooseListed(found, ask, (text) => this.context.stdout.write(text));
    } finally {
      rl.close();
    }
  }
}
