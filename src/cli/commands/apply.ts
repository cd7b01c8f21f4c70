import { Command, Option } from 'clipanion';
import { TmCommand } from '../base.js';
import { jsonOption, parseDuration, parsePositiveInteger } from '../options.js';

export class ApplyCommand extends TmCommand {
  static override paths = [['apply']];
  static override usage = Command.Usage({
    description: 'Run exactly what a plan file says',
    details: `
      Checks the plan's integrity, takes the migration lock of each database, and applies each tenant in its own transaction. A tenant whose schema changed since the plan is skipped as stale. Re-running the same plan after a crash finishes what is left. Exits 0 only when every tenant of the plan ends at its planned state.
    `,
    examples: [['Apply a reviewed plan', 'tm apply plans/20261125T120000Z_add_x.plan.json']],
  });

  plan = Option.String({ required: true, name: 'plan file' });
  parallelism = Option.String('--parallelism', '4', { description: 'Connections per database working at once' });
  lockWait = Option.String('--lock-wait', '10s', { description: 'How long to wait for another tm run on the same database' });
  lockRetries = Option.String('--lock-retries', '3', { description: 'Retries of a tenant after a lock timeout' });
  json = jsonOption();

  protected async run() {
    const parallelism = parsePositiveInteger(this.parallelism, '--parallelism');
    const lockWaitMs = parseDuration(this.lockWait, '--lock-wait');
    const lockRetries = /^\d+$/.test(this.lockRetries) ? Number(this.lockRetries) : parsePositiveInteger(this.lockRetries, '--lock-retries');
    const { readPlan } = await import('../../plan/file.js');
    const { loadEnvironment } = await import('../../config/env.js');
    const { loadTenantsConfig } = await import('../../config/tenants.js');
    const { applyPlan } = await import('../../apply/apply.js');
    const { createApplyReporter } = await import('../../output/applyReporter.js');

    const plan = readPlan(this.plan);
    const config = loadTenantsConfig(this.projectDir);
    const env = loadEnvironment(this.projectDir);
    const started = Date.now();
    const reporter = createApplyReporter(this.context.stdout, {
      json: this.json,
      total: plan.summary.toChange,
      header: `Applying ${plan.id}: ${plan.summary.toChange} schema(s) in ${plan.cohorts.length} cohort(s)`,
    });
    const result = await applyPlan(plan, config, env, { parallelism, lockWaitMs, lockRetries, onEvent: (event) => reporter.event(event) });
    reporter.finish(result, plan.id, (Date.now() - started) / 1000);
    return result.ok ? 0 : 1;
  }
}
