/**
 * tm's metadata in one database, reached over one connection: what tm keeps
 * in its metadata schema (`tm` by default; history, models, backups, the
 * state check) and beside it (the backup schema), and the migration lock.
 * Everything that reads or writes them goes through this handle, so the
 * schema's name is given once, not to every call.
 *
 * Cheap to make: the applier makes one per connection.
 */
import type pg from 'pg';
import { Backups } from './backups.js';
import { History } from './history.js';
import { MigrationLock } from './lock.js';
import { StateCheck } from './stateCheck.js';

/** Over `Client`: a pg.Client where its owner ends the connection through the store (the applier's lock connection). */
export class MetadataStore<Client extends pg.ClientBase = pg.ClientBase> {
  /** Plans applied, per tenant, and the models of the states they started from. */
  readonly history: History;
  /** Copies taken before destructive steps, and the backup schema they are in. */
  readonly backups: Backups;
  /** tm_expect_state, for the quick way through a tenant. */
  readonly stateCheck: StateCheck;
  /** One tm run at a time per database. */
  readonly lock: MigrationLock;

  constructor(
    readonly client: Client,
    /** tenants.yaml's metadataSchema. */
    readonly schema: string,
  ) {
    this.history = new History(client, schema);
    this.backups = new Backups(client, schema);
    this.stateCheck = new StateCheck(client, schema);
    this.lock = new MigrationLock(client);
  }
}
