/**
 * Rollout waves from tenants.yaml: the `waves:` list orders the values of the
 * tenants' `wave` label (canary first, say); tenants with no such label, or
 * one not in the list, make the last wave, `rest`. `tm apply --wave canary`
 * applies one wave only.
 */
import type { TenantsConfig } from '../config/tenants.js';
import { TmError } from '../errors.js';
import type { Wave } from './options.js';

export const LAST_WAVE = 'rest';

export function rolloutWaves(config: TenantsConfig, selected: string[] = []): Wave[] | undefined {
  const labels = new Map<string, string>();
  for (const db of config.databases) {
    for (const tenant of db.tenants) if (tenant.labels.wave !== undefined) labels.set(`${db.name}/${tenant.schema}`, tenant.labels.wave);
  }
  const waveOf = (database: string, schema: string) => {
    const label = labels.get(`${database}/${schema}`);
    return label !== undefined && config.waves.includes(label) ? label : LAST_WAVE;
  };
  const order = [...config.waves, LAST_WAVE];
  for (const name of selected) {
    if (!order.includes(name)) {
      throw new TmError(
        `There is no wave "${name}": tenants.yaml's waves are ${config.waves.length ? config.waves.join(', ') : '(none)'}, and ${LAST_WAVE} for everyone else.`,
        'Add the wave to `waves:` in tenants.yaml and label its tenants with `wave: <name>`.',
      );
    }
  }
  if (config.waves.length === 0 && selected.length === 0) return undefined;
  const names = selected.length ? order.filter((n) => selected.includes(n)) : order;
  return names.map((name) => ({ name, includes: (database, schema) => waveOf(database, schema) === name }));
}
