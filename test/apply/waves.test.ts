/** Rollout waves from tenants.yaml (pure: no database). */
import { expect } from 'chai';
import { rolloutWaves } from '../../src/apply/waves.js';
import type { TenantsConfig } from '../../src/config/tenants.js';
import { TmError } from '../../src/errors.js';

function config(waves: string[]): TenantsConfig {
  return {
    path: '/x/tenants.yaml',
    metadataSchema: 'tm',
    documentationComments: false,
    policy: { allowHazards: [] },
    waves,
    databases: [
      {
        name: 'main',
        urlEnv: 'DATABASE_URL',
        discover: ['tenant_*'],
        extensionSchema: 'public',
        tenants: [
          { schema: 't_canary', labels: { wave: 'canary' } },
          { schema: 't_early', labels: { wave: 'early' } },
          { schema: 't_odd', labels: { wave: 'not-listed' } },
          { schema: 't_plain', labels: {} },
        ],
      },
    ],
  };
}

function members(waves: ReturnType<typeof rolloutWaves>, tenants: string[]): Record<string, string[]> {
  return Object.fromEntries((waves ?? []).map((w) => [w.name, tenants.filter((t) => w.includes('main', t))]));
}

describe('rollout waves (pure)', () => {
  const tenants = ['t_canary', 't_early', 't_odd', 't_plain', 'tenant_found'];

  it('is one wave (undefined) without waves: in tenants.yaml', () => {
    expect(rolloutWaves(config([]))).to.equal(undefined);
  });

  it('orders listed waves first; unlisted or missing labels and discovered tenants make the last wave, rest', () => {
    const waves = rolloutWaves(config(['canary', 'early']));
    expect(waves!.map((w) => w.name)).to.deep.equal(['canary', 'early', 'rest']);
    expect(members(waves, tenants)).to.deep.equal({
      canary: ['t_canary'],
      early: ['t_early'],
      rest: ['t_odd', 't_plain', 'tenant_found'],
    });
  });

  it('--wave selects waves, in rollout order, and names the waves that exist when one does not', () => {
    expect(rolloutWaves(config(['canary', 'early']), ['rest', 'canary'])!.map((w) => w.name)).to.deep.equal(['canary', 'rest']);
    expect(() => rolloutWaves(config(['canary']), ['beta'])).to.throw(TmError, `There is no wave "beta": tenants.yaml's waves are canary, and rest for everyone else.`);
  });
});
