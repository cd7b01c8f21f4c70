/**
 * A database a command covered that has no tenant schema at all: tenants.yaml
 * lists none there and its discover patterns match none. Said plainly, since
 * "No changes" or an empty table alone reads as a healthy fleet (the usual
 * cause: `tm init` ran with no database to look at and wrote `tenants: []`).
 */
import type { TenantsConfig } from '../config/tenants.js';
import { termName } from './terminal.js';

/**
 * One line per covered database (by name) without any tenant, given the
 * database of every tenant the command found. Empty when a --schema narrowed
 * the selection: then the tenants are the ones asked for.
 */
export function noTenantNotes(config: TenantsConfig, covered: readonly string[], tenantDatabases: readonly string[], narrowed: boolean): string[] {
  if (narrowed) return [];
  const withTenants = new Set(tenantDatabases);
  return config.databases
    .filter((d) => covered.includes(d.name) && !withTenants.has(d.name))
    .map((d) => {
      const name = termName(d.name);
      const patterns = d.discover.length ? `its discover patterns (${d.discover.map(termName).join(', ')}) match none` : 'it has no discover patterns';
      return `No tenant schemas: tenants.yaml lists none for database ${name} and ${patterns}. Add them under databases.${name}.tenants (or discover: [tenant_*]).`;
    });
}
