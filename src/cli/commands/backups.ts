import { Command, Option } from 'clipanion';
import { plural } from '../../output/planText.js';
import { termName } from '../../output/terminal.js';
import { backupObject } from '../../output/kindDetails.js';
import { TmError } from '../../errors.js';
import { TmCommand } from '../base.js';
import { databasesOption, jsonOption, parseDuration, schemasOption } from '../options.js';

/** `30d`, `12h`, `2w`, `90m`, `45s`: an age, in milliseconds. */
export function parseAge(text: string, option: string): number {
  const match = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (!match) throw new TmError(`${option} takes an age such as 30d, 12h or 2w, not "${text}".`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit * 1000;
}

interface Listed {
  database: string;
  rows: import('../../apply/backup.js').BackupRow[];
}

async function collect(projectDir: string, databases: string[], schemas: string[]): Promise<{ listed: Listed[]; project: ReturnType<typeof import('../context.js').openProject> }> {
  const { openProject } = await import('../context.js');
  const { selectDatabases } = await import('../../plan/planner.js');
  const { connect, databaseTarget } = await import('../../db/connect.js');
  const { listBackups } = await import('../../apply/backup.js');
  const project = openProject(projectDir);
  const listed = await Promise.all(
    selectDatabases(project.config, databases).map(async (database) => {
      const client = await connect(databaseTarget(database, project.env), 'backups');
      try {
        return { database: database.name, rows: await listBackups(client, project.config.metadataSchema, schemas.length ? { tenants: schemas } : {}) };
      } finally {
        await client.end();
      }
    }),
  );
  return { listed, project };
}

async function renderTable(listed: Listed[]): Promise<string> {
  const { formatBytes } = await import('../../apply/backup.js');
  const multi = listed.length > 1;
  const header = ['CREATED AT', 'SCHEMA', 'OBJECT', 'PLAN', 'BACKUP TABLE', 'ROWS', 'SIZE'];
  const body = listed.flatMap((l) =>
    l.rows.map((b) => [
      new Date(b.createdAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      termName((multi ? `${l.database}/` : '') + b.tenantSchema),
      termName(backupObject(b)),
      termName(b.planId),
      termName(`${b.backupSchema}.${b.backupTable}`),
      String(b.rows),
      formatBytes(b.bytes),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const total = listed.reduce((n, l) => n + l.rows.reduce((m, b) => m + b.bytes, 0), 0);
  return [line(header), ...body.map(line), '', `${body.length} backup(s), ${formatBytes(total)}.`, ''].join('\n');
}

interface OnlyCopy {
  database: string;
  backup: import('../../apply/backup.js').BackupRow;
}

/** The backups about to go that are the only copy of their data (their table or column no longer exists in the tenant). */
async function onlyCopies(project: Awaited<ReturnType<typeof collect>>['project'], listed: Listed[]): Promise<OnlyCopy[]> {
  const { connect, databaseTarget } = await import('../../db/connect.js');
  const backup = await import('../../apply/backup.js');
  const found: OnlyCopy[] = [];
  for (const l of listed) {
    const database = project.config.databases.find((d) => d.name === l.database)!;
    const client = await connect(databaseTarget(database, project.env), 'backups prune');
    try {
      for (const b of await backup.onlyCopies(client, l.rows)) found.push({ database: l.database, backup: b });
    } finally {
      await client.end();
    }
  }
  return found;
}

function renderOnlyCopies(lost: OnlyCopy[]): string {
  const multi = new Set(lost.map((x) => x.database)).size > 1;
  const lines = lost.map(({ database, backup: b }) => {
    const tenant = (multi ? `${database}/` : '') + b.tenantSchema;
    return `  ${termName(`${tenant}: ${backupObject(b)}, ${b.rows} row(s) in ${b.backupSchema}.${b.backupTable}`)}`;
  });
  return [
    `The only copy of their data: ${plural(lost.length, 'backup')} above ${lost.length === 1 ? 'was' : 'were'} taken from a table or column the tenant no longer has; once pruned, nothing can put it back:`,
    ...lines,
    '',
  ].join('\n');
}

export class BackupsListCommand extends TmCommand {
  static override paths = [['backups', 'list']];
  static override usage = Command.Usage({
    description: 'List the backups tm took before destructive steps',
    details: `
      Per database, every table or column tm copied to the backup schema (\`<metadataSchema>_backup\`) before a destructive step: when, for which plan and tenant, the backup table, rows and size. \`tm rollback\` restores from them; \`tm backups prune\` removes old ones.
    `,
  });
  schemas = schemasOption();
  databases = databasesOption();
  json = jsonOption();
  protected async run() {
    const { listed } = await collect(this.projectDir, this.databases, this.schemas);
    if (this.json) {
      const backups = listed.flatMap((l) => l.rows.map((b) => ({ database: l.database, ...b, createdAt: new Date(b.createdAt).toISOString() })));
      this.context.stdout.write(JSON.stringify({ backups }, null, 2) + '\n');
    } else if (listed.every((l) => l.rows.length === 0)) {
      this.context.stdout.write('No backups.\n');
    } else {
      this.context.stdout.write(await renderTable(listed));
    }
    return 0;
  }
}

export class BackupsPruneCommand extends TmCommand {
  static override paths = [['backups', 'prune']];
  static override usage = Command.Usage({
    description: 'Delete backups older than a given age',
    details: `
      Drops the backup tables taken more than --older-than ago (30d, 12h, 2w…) and their records, under each database's migration lock. Shows what goes and asks first (--force to skip; refused without a terminal). A pruned backup can no longer be restored by \`tm rollback\`.

      Backups that are the only copy of their data (the table or column they were taken from no longer exists in the tenant) are named, and only --force deletes them, even on a terminal.
    `,
    examples: [['Drop backups older than 30 days', 'tm backups prune --older-than 30d']],
  });
  olderThan = Option.String('--older-than', { required: true, description: 'Age such as 30d, 12h or 2w' });
  schemas = schemasOption();
  databases = databasesOption();
  force = Option.Boolean('--force', false, { description: 'Do not ask for confirmation' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'Show what would be deleted and delete nothing' });
  lockWait = Option.String('--lock-wait', '10s', { description: 'How long to wait for another tm run on the same database' });

  protected async run() {
    const age = parseAge(this.olderThan, '--older-than');
    const lockWaitMs = parseDuration(this.lockWait, '--lock-wait');
    const cutoff = Date.now() - age;
    const out = this.context.stdout;
    const { listed, project } = await collect(this.projectDir, this.databases, this.schemas);
    const old = listed.map((l) => ({ ...l, rows: l.rows.filter((b) => new Date(b.createdAt).getTime() < cutoff) })).filter((l) => l.rows.length);
    if (old.length === 0) {
      out.write(`No backups older than ${this.olderThan}.\n`);
      return 0;
    }
    out.write(`Backups older than ${this.olderThan} (taken before ${new Date(cutoff).toISOString()}):\n\n${await renderTable(old)}`);
    const lost = await onlyCopies(project, old);
    if (lost.length) out.write(renderOnlyCopies(lost));
    if (this.dryRun) {
      out.write('Dry run: nothing was deleted.\n');
      return 0;
    }
    const { confirm } = await import('../confirm.js');
    const yes = await confirm(this.context.stdin, out, {
      force: this.force,
      command: 'tm backups prune',
      question: 'Delete these backups? tm rollback can no longer restore their data.',
      instead: lost.length
        ? 'Pass --force to delete them all the same; or keep them: a longer --older-than, or --schema for the other tenants.'
        : 'Pass --force to delete them without asking (--dry-run shows what would go).',
      forceRequired: lost.length
        ? `tm backups prune would delete ${lost.length === 1 ? '1 backup that is the only copy of its data' : `${lost.length} backups that are the only copies of their data`} (listed above); it does that only with --force.`
        : undefined,
    });
    if (!yes) {
      out.write('Cancelled: nothing was deleted.\n');
      return 1;
    }
    const { connect, databaseTarget } = await import('../../db/connect.js');
    const { acquireMigrationLock } = await import('../../apply/lock.js');
    const { pruneBackups, formatBytes } = await import('../../apply/backup.js');
    let count = 0;
    let bytes = 0;
    for (const l of old) {
      const database = project.config.databases.find((d) => d.name === l.database)!;
      const client = await connect(databaseTarget(database, project.env), 'backups prune');
      try {
        // Not while a plan runs: a rollback may be restoring from one of them.
        await acquireMigrationLock(client, database.name, lockWaitMs);
        const pruned = await pruneBackups(client, project.config.metadataSchema, l.rows.map((b) => b.id));
        count += pruned.length;
        bytes += pruned.reduce((n, b) => n + b.bytes, 0);
      } finally {
        await client.end();
      }
    }
    out.write(`Deleted ${count} backup(s), ${formatBytes(bytes)}.\n`);
    return 0;
  }
}
