/**
 * The one-step commands (migrate, sync, rollback, reset): show the plan of
 * their kind, ask, save it to plans/ (so an interrupted run can be finished
 * with `tm apply <file>`), and run it through the same applier as `tm apply`.
 */
import { relative } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Option } from 'clipanion';
import type { Plan } from '../plan/types.js';
import type { ProjectContext } from './context.js';
import { TmCommand } from './base.js';
import { confirm } from './confirm.js';
import { databasesOption, noSqlOption, parseDuration, parsePositiveInteger, parseSize } from './options.js';
import { termName } from '../output/terminal.js';

/** Backups listed after a run; the rest are in `tm backups list`. */
const MAX_BACKUP_LINES = 10;

/** Options every one-step command takes. */
export const kindOptions = {
  force: () => Option.Boolean('--force', false, { description: 'Do not ask for confirmation' }),
  dryRun: () => Option.Boolean('--dry-run', false, { description: 'Show the plan and change nothing (no plan file is written)' }),
  skipBackup: () => Option.Boolean('--skip-backup', false, { description: 'Do not back up data that destructive steps remove (recorded in the plan and history)' }),
  parallelism: () => Option.String('--parallelism', '4', { description: 'Tenants applied at once' }),
  lockWait: () => Option.String('--lock-wait', '10s', { description: 'How long to wait for another tm run on the same database' }),
  lockTimeout: () => Option.String('--lock-timeout', '5s', { description: 'lock_timeout each statement runs with' }),
  maxBackupSize: () => Option.String('--max-backup-size', '10GB', { description: 'Refuse to back up more than this per database' }),
};

export interface KindRun {
  /** `tm migrate`, for messages. */
  command: string;
  plan: Plan;
  project: Pick<ProjectContext, 'projectDir' | 'config' | 'env'>;
  io: { stdin: Readable & { isTTY?: boolean }; stdout: Writable; stderr: Writable };
  dryRun: boolean;
  force: boolean;
  /** Ask before applying (sync asks only when something would be lost). */
  ask: boolean;
  /** The two-step way to run the same plan, for the refusal without a terminal. */
  twoStep: string;
  parallelism: string;
  lockWait: string;
  maxBackupSize: string;
  sql: boolean;
  /** Said instead of the plan summary when there is nothing to do. */
  nothingToDo?: string;
}

export async function runKindPlan(run: KindRun): Promise<number> {
  const parallelism = parsePositiveInteger(run.parallelism, '--parallelism');
  const lockWaitMs = parseDuration(run.lockWait, '--lock-wait');
  const { backupSchemaName } = await import('../config/tmSchemas.js');
  const { formatBytes } = await import('../meta/backups.js');
  const { MetadataStore } = await import('../meta/store.js');
  const maxBackupBytes = parseSize(run.maxBackupSize, '--max-backup-size');
  const { renderPlanText } = await import('../output/planText.js');
  const { renderKindDetails, backupObject } = await import('../output/kindDetails.js');
  const { planHasChanges } = await import('../plan/build.js');
  const { plan, io } = run;
  const out = io.stdout;
  const backupSchema = backupSchemaName(run.project.config.metadataSchema);

  if (!planHasChanges(plan) && run.nothingToDo) {
    out.write(termName(run.nothingToDo) + '\n' + renderKindDetails(plan, backupSchema));
    return 0;
  }
  const { paintPlanText, styleFor } = await import('../output/style.js');
  out.write(paintPlanText(renderPlanText(plan, { sql: run.sql }), styleFor(out as { isTTY?: boolean })) + renderKindDetails(plan, backupSchema));
  if (!planHasChanges(plan)) return 0;
  if (run.dryRun) {
    out.write('\nDry run: nothing was applied and no plan file was written.\n');
    return 0;
  }
  if (run.ask) {
    const yes = await confirm(io.stdin, out, {
      force: run.force,
      command: run.command,
      question: 'Apply this plan?',
      instead: `Pass --force to apply without asking, or review and apply in two steps: ${run.twoStep}`,
    });
    if (!yes) {
      out.write('Cancelled: nothing was changed.\n');
      return 1;
    }
  }

  const { defaultPlanPath, writePlan } = await import('../plan/file.js');
  const { applyPlan } = await import('../apply/apply.js');
  const { createApplyReporter } = await import('../output/applyReporter.js');
  const path = defaultPlanPath(run.project.projectDir, plan);
  const { planKey, signPlan } = await import('../plan/signature.js');
  // Signed as `tm plan` signs (TM_PLAN_KEY): the file may be applied again to finish an interrupted run.
  writePlan(path, signPlan(plan, planKey(run.project.env)));
  const shown = relative(process.cwd(), path) || path;
  out.write(`\nSaved the plan to ${shown} (if this run is interrupted, finish it with: tm apply ${shown})\n`);

  const started = Date.now();
  const reporter = createApplyReporter(out as NodeJS.WritableStream, {
    json: false,
    total: plan.summary.toChange,
    header: `Applying ${plan.id}: ${plan.summary.toChange} schema(s) in ${plan.cohorts.length} cohort(s)`,
  });
  const result = await applyPlan(plan, run.project.config, run.project, {
    parallelism,
    lockWaitMs,
    lockRetries: 3,
    maxBackupBytes,
    onEvent: (event) => reporter.event(event),
  });

  reporter.finish(result, plan.id, (Date.now() - started) / 1000);
  // What was backed up, read back from each database's backups table.
  if (!plan.settings.skipBackup && plan.cohorts.some((c) => c.backups?.length)) {
    const { connect } = await import('../db/connect.js');
    const { targetsOf } = await import('../fleet/databases.js');
    const lines: string[] = [];
    for (const target of targetsOf(run.project, plan.databases)) {
      const database = target.config;
      const client = await connect(target, 'backups');
      try {
        for (const b of await new MetadataStore(client, run.project.config.metadataSchema).backups.list({ planIds: [plan.id] })) {
          lines.push(`  ${termName(`${database.name}/${b.tenantSchema}: ${backupObject(b)} → ${b.backupSchema}.${b.backupTable}`)} (${b.rows} row(s), ${formatBytes(b.bytes)})`);
        }
      } finally {
        await client.end();
      }
    }
    const shown = lines.length > MAX_BACKUP_LINES ? [...lines.slice(0, MAX_BACKUP_LINES), `  … and ${lines.length - MAX_BACKUP_LINES} more (tm backups list)`] : lines;
    if (lines.length) out.write(`Backed up before the destructive steps:\n${shown.join('\n')}\n`);
  }
  return result.ok ? 0 : 1;
}

/** `tm plan --kind … -o plans/<file> && tm apply plans/<file>`, for the refusal without a terminal. */
export function twoStepHint(plan: Plan, planArgs: string[]): string {
  const file = `plans/${plan.kind}_${plan.name}.plan.json`;
  const allow = plan.summary.hazards.includes('DATA_LOSS') ? ' --allow-hazards DATA_LOSS' : '';
  return `tm plan ${planArgs.join(' ')} -o ${file}, review it, then tm apply ${file}${allow}.`;
}

/** `--schema a --schema b --database d`: the selection flags, for the two-step hint. */
export function selectionArgs(schemas: string[], databases: string[]): string[] {
  return [...schemas.flatMap((s) => ['--schema', s]), ...databases.flatMap((d) => ['--database', d])];
}

/**
 * migrate, sync, rollback and reset: the options they share, and the run
 * they share (runKindPlan) once each has built its plan.
 */
export abstract class KindCommand extends TmCommand {
  databases = databasesOption();
  force = kindOptions.force();
  dryRun = kindOptions.dryRun();
  skipBackup = kindOptions.skipBackup();
  lockWait = kindOptions.lockWait();
  lockTimeout = kindOptions.lockTimeout();
  maxBackupSize = kindOptions.maxBackupSize();
  noSql = noSqlOption();

  protected get lockTimeoutMs(): number {
    return parseDuration(this.lockTimeout, '--lock-timeout');
  }

  protected async runPlan(
    plan: Plan,
    project: KindRun['project'],
    how: { command: string; ask: boolean; planArgs: string[]; parallelism: string; nothingToDo?: string },
  ): Promise<number> {
    return runKindPlan({
      command: how.command,
      plan,
      project,
      io: this.context,
      dryRun: this.dryRun,
      force: this.force,
      ask: how.ask,
      twoStep: twoStepHint(plan, how.planArgs),
      parallelism: how.parallelism,
      lockWait: this.lockWait,
      maxBackupSize: this.maxBackupSize,
      sql: !this.noSql,
      nothingToDo: how.nothingToDo,
    });
  }
}
