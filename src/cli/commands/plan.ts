import { Command, Option } from 'clipanion';
import { relative, resolve } from 'node:path';
import { TmError } from '../../errors.js';
import { PLAN_KINDS, type PlanKind } from '../../plan/types.js';
import { TmCommand } from '../base.js';
import { databasesOption, detailedExitCode, detailedExitCodeOption, noSqlOption, parseDuration, schemasOption } from '../options.js';

export const PLAN_NAME = /^[A-Za-z0-9_]{1,64}$/;

export class PlanCommand extends TmCommand {
  static override paths = [['plan']];
  static override usage = Command.Usage({
    description: 'Compare every tenant schema with the Prisma folder and write a plan file',
    details: `
      Introspects every tenant schema of every database in tenants.yaml at once, groups tenants in the same state into cohorts, and writes the SQL each cohort needs, with its hazards, to \`plans/<timestamp>_<name>.plan.json\` (only when something changes, unless \`-o\` is given). Review it, then run it with \`tm apply\`.
    `,
    examples: [
      ['Plan every tenant', 'tm plan'],
      ['Plan two tenants, fail CI on drift', 'tm plan --schema tenant_acme --schema tenant_globex --detailed-exitcode'],
      ['A rollback, for review', 'tm plan --kind rollback --name add_x --schema tenant_acme -o plans/rollback.plan.json'],
    ],
  });

  out = Option.String('-o,--out', { description: 'Where to write the plan file' });
  name = Option.String('--name', { description: 'Name of the plan (letters, digits, _; default changes); with --kind rollback, the migration to roll back' });
  kind = Option.String('--kind', 'migrate', { description: `${PLAN_KINDS.join(' | ')} (what tm ${sayList(PLAN_KINDS, 'and')} would run)` });
  skipBackup = Option.Boolean('--skip-backup', false, { description: 'Take no backups before destructive steps (recorded in the plan)' });
  schemaOnly = Option.Boolean('--schema-only', false, { description: 'With --kind rollback: do not put data back' });
  schemas = schemasOption();
  databases = databasesOption();
  detailed = detailedExitCodeOption();
  lockTimeout = Option.String('--lock-timeout', '5s', { description: 'lock_timeout each statement runs with (recorded in the plan)' });
  concurrentIndexes = Option.Boolean('--concurrent-indexes', false, {
    description: 'Build new indexes on existing tables with CREATE INDEX CONCURRENTLY, after each tenant\'s transaction (writes continue during the build)',
  });
  skipUnreachable = Option.Boolean('--skip-unreachable', false, { description: 'Leave out databases that cannot be reached (listed in the plan as not planned) instead of failing' });
  noSql = noSqlOption();

  protected async run() {
    if (this.name !== undefined && !PLAN_NAME.test(this.name)) throw new TmError(`A plan name uses letters, digits and _ only (at most 64): "${this.name}".`, 'For example: --name add_orders.');
    if (!(PLAN_KINDS as readonly string[]).includes(this.kind)) throw new TmError(`--kind takes ${sayList(PLAN_KINDS, 'or')}, not "${this.kind}".`);
    const lockTimeoutMs = parseDuration(this.lockTimeout, '--lock-timeout');
    const { openProject } = await import('../context.js');
    const { KIND_PLANNERS } = await import('../../plan/kinds/index.js');
    const { defaultPlanPath, writePlan } = await import('../../plan/file.js');
    const { renderPlanText } = await import('../../output/planText.js');
    const { planHasChanges } = await import('../../plan/build.js');

    const project = openProject(this.projectDir, this.context.stderr);
    const plan = await KIND_PLANNERS[this.kind as PlanKind](project, {
      name: this.name,
      schemas: this.schemas,
      databases: this.databases,
      lockTimeoutMs,
      skipBackup: this.skipBackup,
      skipUnreachable: this.skipUnreachable,
      concurrentIndexes: this.concurrentIndexes,
      schemaOnly: this.schemaOnly,
    });
    const { renderKindDetails } = await import('../../output/kindDetails.js');
    const { backupSchemaName } = await import('../../config/tmSchemas.js');
    const { paintPlanText, styleFor } = await import('../../output/style.js');
    this.context.stdout.write(paintPlanText(renderPlanText(plan, { sql: !this.noSql }), styleFor(this.context.stdout as { isTTY?: boolean })) + renderKindDetails(plan, backupSchemaName(project.config.metadataSchema)));
    const { noTenantNotes } = await import('../../output/noTenants.js');
    const planned = [...plan.cohorts.flatMap((c) => c.tenants), ...plan.unchanged].map((t) => t.database);
    for (const note of noTenantNotes(project.config, plan.databases, planned, this.schemas.length > 0)) this.context.stderr.write(note + '\n');
    if (planHasChanges(plan) || this.out) {
      const path = this.out ? resolve(this.projectDir, this.out) : defaultPlanPath(this.projectDir, plan);
      const { planKey, signPlan } = await import('../../plan/signature.js');
      writePlan(path, signPlan(plan, planKey(project.env)));
      const shown = relative(process.cwd(), path) || path;
      this.context.stdout.write(`\nSaved the plan to ${shown}\nApply it with: tm apply ${shown}\n`);
      // Privileges tm apply will need, checked now as the same role (a warning: another role may apply it).
      const { planPrivilegeWarnings } = await import('../../apply/privileges.js');
      const { termLines } = await import('../../output/terminal.js');
      for (const warning of await planPrivilegeWarnings(plan, project.config, project)) this.context.stderr.write(termLines(warning) + '\n');
      const { GATED_HAZARDS } = await import('../../plan/policy.js');
      const gated = plan.summary.hazards.filter((h) => GATED_HAZARDS.includes(h));
      if (gated.length) {
        this.context.stdout.write(`It has ${gated.join(', ')} steps: tm apply refuses it until they are allowed, after review (--allow-hazards ${gated.join(',')}).\n`);
      }
    }
    return this.detailed ? detailedExitCode(planHasChanges(plan), plan.summary.hazards.length > 0) : 0;
  }
}

/** `a, b, c and d`. */
function sayList(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
