import { Command, Option } from 'clipanion';
import { relative, resolve } from 'node:path';
import { TmError } from '../../errors.js';
import { TmCommand } from '../base.js';
import { databasesOption, detailedExitCode, detailedExitCodeOption, parseDuration, schemasOption } from '../options.js';

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
    ],
  });

  out = Option.String('-o,--out', { description: 'Where to write the plan file' });
  name = Option.String('--name', 'changes', { description: 'Name of the plan (letters, digits, _)' });
  schemas = schemasOption();
  databases = databasesOption();
  detailed = detailedExitCodeOption();
  lockTimeout = Option.String('--lock-timeout', '5s', { description: 'lock_timeout each statement runs with (recorded in the plan)' });
  skipUnreachable = Option.Boolean('--skip-unreachable', false, { description: 'Leave out databases that cannot be reached (listed in the plan as not planned) instead of failing' });
  sql = Option.Boolean('--sql', true, { description: 'Show the SQL of each step (--no-sql: one line per step)' });

  protected async run() {
    if (!PLAN_NAME.test(this.name)) throw new TmError(`A plan name uses letters, digits and _ only (at most 64): "${this.name}".`);
    const lockTimeoutMs = parseDuration(this.lockTimeout, '--lock-timeout');
    const { openProject } = await import('../context.js');
    const { planFleet } = await import('../../plan/planner.js');
    const { defaultPlanPath, writePlan } = await import('../../plan/file.js');
    const { renderPlanText } = await import('../../output/planText.js');
    const { planHasChanges } = await import('../../plan/build.js');

    const project = openProject(this.projectDir);
    const plan = await planFleet(project, { kind: 'migrate', name: this.name, schemas: this.schemas, databases: this.databases, lockTimeoutMs, skipUnreachable: this.skipUnreachable });
    this.context.stdout.write(renderPlanText(plan, { sql: this.sql }));
    if (planHasChanges(plan) || this.out) {
      const path = this.out ? resolve(this.projectDir, this.out) : defaultPlanPath(this.projectDir, plan);
      writePlan(path, plan);
      const shown = relative(process.cwd(), path) || path;
      this.context.stdout.write(`\nSaved the plan to ${shown}\nApply it with: tm apply ${shown}\n`);
      const { GATED_HAZARDS } = await import('../../plan/policy.js');
      const gated = plan.summary.hazards.filter((h) => GATED_HAZARDS.includes(h));
      if (gated.length) {
        this.context.stdout.write(`It has ${gated.join(', ')} steps: tm apply refuses it until they are allowed, after review (--allow-hazards ${gated.join(',')}).\n`);
      }
    }
    return this.detailed ? detailedExitCode(planHasChanges(plan), plan.summary.hazards.length > 0) : 0;
  }
}
