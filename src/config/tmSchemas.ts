/**
 * The schemas tm keeps for itself in every database it manages, by name: its
 * metadata schema (tenants.yaml's `metadataSchema`, `tm` by default), the
 * backup schema beside it, and the scratch schemas tm plan builds the desired
 * state in. None of them is ever a tenant.
 *
 * Pure names, here rather than in src/meta/ (which reads and writes what is
 * inside those schemas) because tenants.yaml is checked against them and
 * config, the bottom layer, imports nothing above it.
 */

export const DEFAULT_METADATA_SCHEMA = 'tm';

/** Scratch schemas tm plan materializes Prisma's SQL in (src/desired/materialize.ts): `tm_desired_<random>`, dropped after. */
export const DESIRED_SCHEMA_PREFIX = 'tm_desired_';

/** PostgreSQL truncates identifiers to 63 bytes. */
const MAX_IDENTIFIER = 63;

/** The schema backups before destructive steps go to: `<metadataSchema>_backup` (`tm_backup`), cut to fit 63 bytes. */
export function backupSchemaName(metadataSchema: string): string {
  const suffix = '_backup';
  return Buffer.from(metadataSchema).subarray(0, MAX_IDENTIFIER - suffix.length).toString('utf8').replace(/\uFFFD+$/, '') + suffix;
}
