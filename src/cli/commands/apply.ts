import { Command, Option } from 'clipanion';
import type { ApplyOptions } from '../../apply/options.js';
import { TmCommand } from '../base.js';
import { jsonOption, parseCount, parseDuration, parsePositiveInteger } from '../options.js';

export class ApplyCommand extends TmCommand {
  static override paths = [['apply']];
  static override usage = Command.Usage({
    description: 'Run exactly what a plan file says',
    details: `
      Checks the plan's integrity, takes the migration lock of each database, and applies each tenant in its own transaction. A tenant whose schema changed since the plan is skipped as stale. Re-running the same plan after a crash finishes what is left. Exits 0 only when every tenant of the plan ends at its planned state.

      With TM_PLAN_KEY set in the environment, only plans \`tm plan\` signed with that key are applied. Every step must be a statement tm writes (an edited plan is refused before connecting).

      Hazard policy: a plan with DATA_LOSS steps is refused (exit 1, nothing applied) unless \`--allow-hazards DATA_LOSS\` is given or tenants.yaml has \`policy: { allowHazards: [DATA_LOSS] }\`. The hazards accepted, and by what, are printed before applying and are in the --json summary (\`acceptedHazards\`).
    `,
    examples: [
      ['Apply a reviewed plan', 'tm apply plans/20261125T120000Z_add_x.plan.json'],
      ['Apply a plan that drops a column, after review', 'tm apply plans/20261125T120000Z_drop_x.plan.json --allow-hazards DATA_LOSS'],
    ],
  });

  plan = Option.String({ required: true, name: 'plan file' });
  parallelism = Option.String('--parallelism', '4', { description: 'Tenants applied at once, over all databases' });
  perDatabase = Option.String('--per-database', { description: 'Connections per database at most (default: --parallelism)' });
  maxFailures = Option.String('--max-failures', '0', { description: 'Failed tenants tolerated before no new tenant starts' });
  waves = Option.Array('--wave', [], { description: 'Apply only this wave of tenants.yaml (repeatable; `rest` is every tenant in no listed wave)' });
  lockWait = Option.String('--lock-wait', '10s', { description: 'How long to wait for another tm run on the same database' });
  lockRetries = Option.String('--lock-retries', '3', { description: 'Retries of a tenant after a lock timeout' });
  allowHazards = Option.Array('--allow-hazards', [], { description: 'Hazard types to accept, such as DATA_LOSS (repeatable or comma-separated)' });
  includeRemoved = Option.Boolean('--include-removed', false, { description: 'Apply tenants of the plan that tenants.yaml no longer names too (by default they are skipped, with a warning)' });
  json = jsonOption();

  protected async run() {
    const parallelism = parsePositiveInteger(this.parallelism, '--parallelism');
    const lockWaitMs = parseDuration(this.lockWait, '--lock-wait');
    const lockRetries = parseCount(this.lockRetries, '--lock-retries');
    const maxFailures = parseCount(this.maxFailures, '--max-failures');
    const perDatabase = this.perDatabase === undefined ? undefined : parsePositiveInteger(this.perDatabase, '--per-database');
    const { readPlan } = await import('../../plan/file.js');
    const { loadEnvironment } = await import('../../config/env.js');
    const { loadTenantsConfig } = await import('../../config/tenants.js');
    const { applyPlan } = await import('../../apply/apply.js');
    const { rolloutWaves } = await import('../../apply/waves.js');
    const { createApplyReporter } = await import('../../output/applyReporter.js');
    const { describeAcceptance, evaluateHazardPolicy, parseAllowHazards, refusalError } = await import('../../plan/policy.js');

    const { planKey, verifyPlanSignature } = await import('../../plan/signature.js');
    const allowed = parseAllowHazards(this.allowHazards);
    const env = loadEnvironment(this.projectDir);
    const plan = readPlan(this.plan);
    // With TM_PLAN_KEY set, only plans signed with it (before anything else looks at the plan's contents).
    verifyPlanSignature(plan, planKey(env), this.plan);
    const config = loadTenantsConfig(this.projectDir);
    // Every step a statement tm writes, before anything is printed or connected (applyPlan checks again for in-process callers).
    const { assertPlanSteps } = await import('../../plan/stepCheck.js');
    assertPlanSteps(plan, config);
    // The hazard policy, before any connection: a refused plan touches nothing.
    const policy = evaluateHazardPolicy(plan, { flag: allowed, config: config.policy.allowHazards });
    if (policy.refused.length) {
      if (this.json) this.context.stdout.write(JSON.stringify({ event: 'refused', planId: plan.id, reason: 'hazards not allowed', hazards: policy.refused, steps: policy.occurrences }) + '\n');
      throw refusalError(plan, this.plan, policy);
    }
    const acceptedHazards = policy.accepted;
    if (acceptedHazards.length) {
      if (this.json) this.context.stdout.write(JSON.stringify({ event: 'hazards-accepted', planId: plan.id, acceptedHazards }) + '\n');
      else this.context.stdout.write(describeAcceptance(acceptedHazards) + '\n');
    }
    const waves = rolloutWaves(config, this.waves);
    const started = Date.now();
    const reporter = createApplyReporter(this.context.stdout, {
      json: this.json,
      total: plan.summary.toChange,
      header: `Applying ${plan.id}: ${plan.summary.toChange} schema(s) in ${plan.cohorts.length} cohort(s)`,
    });
    const options: ApplyOptions = {
      parallelism,
      perDatabase,
      lockWaitMs,
      lockRetries,
      maxFailures,
      waves,
      acceptedHazards,
      includeRemoved: this.includeRemoved,
      onEvent: (event) => reporter.event(event),
    };
    const result = await applyPlan(plan, config, { projectDir: this.projectDir, env }, options);
    reporter.finish({ ...result, acceptedHazards } as typeof result, plan.id, (Date.now() - started) / 1000);
    return result.ok ? 0 : 1;
  }
}
