/**
 * Statements sent together and answered together: one round trip for a
 * whole transaction, while each statement stays a statement of its own on
 * the server (its log, pg_stat_activity and current_query() show each one
 * alone, as they would not for a multi-statement query string).
 *
 * Extended query protocol: Parse, Bind, Execute for each statement, then one
 * Sync. The server runs them in order and, at the first error, skips the rest
 * up to the Sync (protocol "Extended Query": "the backend … reads and
 * discards messages until a Sync is reached"), so a statement never runs
 * after one that failed. node-postgres sends one Sync per query (even in its
 * pipeline mode); a Submittable (the interface pg-cursor uses) lets tm send
 * its own messages through the client's connection.
 */
import type pg from 'pg';
import { prepareValue } from 'pg/lib/utils.js';

export interface BatchStatement {
  text: string;
  /** Parameters ($1, $2, …) of this statement. */
  values?: unknown[];
}

export interface BatchResult {
  /** Command tags of the statements that completed, in order (`BEGIN`, `ALTER TABLE`, …, `COMMIT`). */
  commands: string[];
  /** The first statement's error, when one failed: the statements after it did not run. */
  error?: Error & { code?: string };
  /** Which statement failed (index in the batch). */
  failedAt?: number;
  /** Transaction status after the batch: 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  transactionStatus: string | null;
}

class StatementBatch implements pg.Submittable {
  private readonly commands: string[] = [];
  private settled = false;
  readonly done: Promise<BatchResult>;
  private resolve!: (result: BatchResult) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly statements: BatchStatement[],
    private readonly client: pg.ClientBase,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    // One write for all the messages.
    connection.stream.cork();
    try {
      for (const statement of this.statements) {
        connection.parse({ text: statement.text, name: '', types: [] }, true);
        connection.bind({ values: statement.values ?? [], valueMapper: prepareValue } as pg.BindConfig, true);
        connection.execute({}, true);
      }
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
  }

  // The client hands the active query what the server answers.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCommandComplete(message: { text: string }): void {
    this.commands.push(message.text);
  }
  handleCopyInResponse(): void {}
  handleCopyData(): void {}

  /** A statement failed (the client detaches the query until the server's ReadyForQuery), or the connection did. */
  handleError(error: Error & { code?: string; severity?: string }): void {
    if (this.settled) return;
    this.settled = true;
    if (error.severity !== 'ERROR') {
      // Not a statement's error: the connection failed or the server is closing it (FATAL), no ReadyForQuery comes.
      this.reject(error);
      return;
    }
    // The server skips to the Sync; its ReadyForQuery goes to no query (the client has detached this one), so the
    // caller's next query (ROLLBACK) waits for it.
    this.resolve({ commands: this.commands, error, failedAt: this.commands.length, transactionStatus: 'E' });
  }

  handleReadyForQuery(): void {
    if (this.settled) return;
    this.settled = true;
    const status = (this.client as pg.ClientBase & { getTransactionStatus?: () => string | null }).getTransactionStatus?.() ?? null;
    this.resolve({ commands: this.commands, transactionStatus: status });
  }
}

/** Sends the statements in one round trip; resolves once the server has answered them all (or the first error). */
export function runBatch(client: pg.ClientBase, statements: BatchStatement[]): Promise<BatchResult> {
  const batch = new StatementBatch(statements, client);
  client.query(batch);
  return batch.done;
}
