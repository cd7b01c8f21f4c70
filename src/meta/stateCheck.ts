/**
 * tm_expect_state, a function tm keeps in the metadata schema for the quick
 * way through a tenant (src/apply/quick.ts): it raises unless the migration
 * lock is still held and the schema's signature (catalog/queries.ts) is one
 * this run has seen for the expected state. The careful way's checks, made by
 * the server, so that a tenant's whole transaction can go in one round trip.
 */
import type pg from 'pg';
import type { KnownStates } from '../catalog/introspect.js';
import type { BatchStatement } from '../db/batch.js';
import { isConnectionLost } from '../db/connect.js';
import { migrationLockHeldSql } from './lock.js';
import { metadataObject, STATE_CHECK_FUNCTION } from './names.js';

const SQLSTATE = 'TM001';

/** The state check of one database's metadata schema, over one connection (see MetadataStore). */
export class StateCheck {
  /** The function, quoted: `"tm"."tm_expect_state"`. */
  private readonly name: string;

  constructor(
    private readonly db: pg.ClientBase,
    metadataSchema: string,
  ) {
    this.name = metadataObject(metadataSchema, STATE_CHECK_FUNCTION);
  }

  /**
   * Creates or replaces the function for this server's catalogs (under the
   * migration lock). False when the role may not (another role owns the
   * function, say): tenants then all go the careful way.
   */
  async install(states: KnownStates): Promise<boolean> {
    await states.prepare(this.db);
    try {
      await this.db.query(this.createFunction(states));
      return true;
    } catch (error) {
      if (isConnectionLost(error)) throw error;
      return false;
    }
  }

  /** The statement that fails unless `schema` has one of these signatures (and, given lockPid, that session still holds the migration lock). */
  expect(schema: string, signatures: string[], lockPid?: number): BatchStatement {
    return { text: `SELECT ${this.name}($1, $2::text[], $3::integer)`, values: [schema, signatures, lockPid ?? null] };
  }

  private createFunction(states: KnownStates): string {
    // search_path pg_catalog for the function, as for every catalog query: its signatures are those KnownStates reads.
    return `CREATE OR REPLACE FUNCTION ${this.name}(schema_name text, signatures text[], lock_pid integer)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $tm$
BEGIN
  IF lock_pid IS NOT NULL AND NOT ${migrationLockHeldSql('lock_pid')} THEN
    RAISE EXCEPTION 'the migration lock is no longer held' USING ERRCODE = '${SQLSTATE}';
  END IF;
  IF NOT EXISTS (SELECT FROM (${states.signatureQuery('schema_name')}) s WHERE s.signature = ANY (signatures)) THEN
    RAISE EXCEPTION '% is not in a state seen before', schema_name USING ERRCODE = '${SQLSTATE}';
  END IF;
END $tm$`;
  }
}
