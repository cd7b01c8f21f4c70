import { Command, Option } from 'clipanion';
import { KindCommand } from '../kindRun.js';

export class RollbackCommand extends KindCommand {
  static override paths = [['rollback']];
  static override usage = Command.Usage({
    description: 'Return one schema to its state before a named migration, data included',
    details: `
      Reads the schema's history, finds the latest applied plan named <name> (or with that plan id), and plans the way back to the model recorded before it: every later plan is undone too (the plan lists them). Tables and columns those plans dropped, and values they cut (narrowed types), are put back from the backups tm took before them. It refuses, before changing anything, when such data has no backup (the plan was applied with --skip-backup, or its backup was pruned); --schema-only then rolls back the schema and leaves that data out.

      Asks for confirmation like \`tm migrate\` (--force to skip; refused without a terminal). Two steps: \`tm plan --kind rollback --name <name> --schema <s> -o <file>\`, then \`tm apply <file>\`.
    `,
    examples: [
      ['Undo add_user_nickname on one tenant', 'tm rollback add_user_nickname --schema tenant_acme'],
      ['Undo a reset', 'tm rollback reset --schema tenant_acme --force'],
    ],
  });

  name = Option.String({ required: true, name: 'name' });
  schema = Option.String('--schema', { required: true, description: 'The tenant schema to roll back' });
  schemaOnly = Option.Boolean('--schema-only', false, { description: 'Roll back the schema without putting data back (for data that has no backup)' });

  protected async run() {
    const lockTimeoutMs = this.lockTimeoutMs;
    const { openProject } = await import('../context.js');
    const { planRollback } = await import('../../plan/kinds/rollback.js');
    const project = openProject(this.projectDir, this.context.stderr);
    const plan = await planRollback(project, {
      name: this.name,
      schema: this.schema,
      databases: this.databases,
      lockTimeoutMs,
      skipBackup: this.skipBackup,
      schemaOnly: this.schemaOnly,
    });
    return this.runPlan(plan, project, {
      command: 'tm rollback',
      ask: true,
      planArgs: ['--kind', 'rollback', '--name', this.name, '--schema', this.schema, ...(this.schemaOnly ? ['--schema-only'] : [])],
      parallelism: '1',
      nothingToDo: `${this.schema} is already in its state before ${plan.rollback?.target.name ?? this.name}: nothing to roll back.`,
    });
  }
}
