/**
 * What tm keeps inside its metadata schema of each database, by name. The
 * schema names themselves (metadata, backup, desired-state scratch) are in
 * src/config/tmSchemas.ts, where tenants.yaml is checked against them.
 */
import { quoteIdent } from '../sql/quote.js';

/** One row per plan applied to a tenant (history.ts). */
export const HISTORY_TABLE = 'history';
/** Models of schemas before a plan ran, one row per state (history.ts). */
export const MODELS_TABLE = 'models';
/** One row per backup taken before a destructive step (backups.ts). */
export const BACKUPS_TABLE = 'backups';
/** The function the quick way checks a tenant's state with, on the server (stateCheck.ts). */
export const STATE_CHECK_FUNCTION = 'tm_expect_state';

/** `"<metadataSchema>".<name>`: an object of the metadata schema, quoted. */
export function metadataObject(metadataSchema: string, name: string): string {
  return `${quoteIdent(metadataSchema)}.${quoteIdent(name)}`;
}
