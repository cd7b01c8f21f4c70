/**
 * `tm status` through the real binary: per tenant its history (count, last
 * migration, when), its fingerprint and whether the Prisma folder has pending
 * changes for it; tenants not created yet and discovered schemas too.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';

describe('tm status (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('shows each tenant with the migration applied, when, and what is pending', async () => {
    await db.query('create schema tenant_found');
    const project = fleetProject({ tenants: ['tenant_a', 'tenant_b'], discover: ['tenant_*'] });
    const plan = await project.plan(db, 'add_shop', 2);
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);

    const fresh = await project.tm(db, ['status', '--detailed-exitcode']);
    expect(fresh.code, output(fresh)).to.equal(0);
    const lines = fresh.stdout.split('\n');
    const today = new Date().toISOString().slice(0, 10);
    for (const [schema, label] of [['tenant_a', 'tenant_a'], ['tenant_b', 'tenant_b'], ['tenant_found', 'tenant_found (discovered)']]) {
      const line = lines.find((l) => l.startsWith(label + ' '));
      expect(line, `a row for ${schema}\n${fresh.stdout}`).to.not.equal(undefined);
      expect(line).to.match(new RegExp(`^${label.replace(/[()]/g, '\\$&')}\\s+1\\s+add_shop\\s+${today} \\d\\d:\\d\\d:\\d\\dZ\\s+[0-9a-f]{12}\\s+up to date$`));
    }
    expect(fresh.stdout).to.contain('3 tenant schema(s): 3 up to date, 0 with pending changes, 0 not created.');

    // A new tenant in tenants.yaml and a model change: both show, and the exit code says so.
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?', '  name      String?\n  nickname  String?'));
    await db.query('create schema tenant_later');
    const json = await project.tm(db, ['status', '--json']);
    expect(json.code, output(json)).to.equal(0);
    const rows = JSON.parse(json.stdout).tenants as any[];
    const byName = Object.fromEntries(rows.map((r) => [r.schema, r]));
    expect(byName.tenant_a).to.include({ state: 'pending changes', version: 1, lastName: 'add_shop', listed: true });
    expect(byName.tenant_later).to.include({ state: 'pending changes', version: 0, lastName: null, listed: false });
    const pending = await project.tm(db, ['status', '--detailed-exitcode']);
    expect(pending.code, output(pending)).to.equal(2);
    expect(pending.stdout).to.contain('4 tenant schema(s): 0 up to date, 4 with pending changes, 0 not created.');
  });

  it('lists a tenant of tenants.yaml whose schema does not exist yet as not created', async () => {
    const project = fleetProject({ tenants: ['tenant_missing'], discover: [] });
    const result = await project.tm(db, ['status']);
    expect(result.code, output(result)).to.equal(0);
    expect(result.stdout).to.match(/^tenant_missing\s+0\s+-\s+-\s+absent\s+not created$/m);
  });
});
