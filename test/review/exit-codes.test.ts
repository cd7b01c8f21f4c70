/**
 * `--detailed-exitcode` for CI, through the real binary: `tm plan` exits 0
 * with no changes, 2 with changes, 3 with hazardous changes, 1 on an error;
 * `tm status` exits 0 when every tenant is up to date, 2 when any has pending
 * changes or is not created, 1 on an error. Without the flag both exit 0.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { runTm } from '../harness/cli.js';
import { DB_ENV, fleetProject, output, removeFleetProjects, replaceOnce, type FleetProject } from '../support/fleet.js';

describe('--detailed-exitcode (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  let project: FleetProject;
  const plan = (...args: string[]) => project.tm(db, ['plan', '--no-sql', '--detailed-exitcode', ...args]);
  const status = (...args: string[]) => project.tm(db, ['status', '--detailed-exitcode', ...args]);

  before(() => {
    project = fleetProject({ tenants: ['tenant_a', 'tenant_b'] });
  });

  it('tm plan: 2 for changes without hazards (new tenants); without the flag, 0', async () => {
    const changes = await plan('--name', 'create', '-o', 'plans/create.plan.json');
    expect(changes.code, output(changes)).to.equal(2);
    expect(changes.stdout).to.not.contain('Hazards:');
    const plain = await project.tm(db, ['plan', '--no-sql', '-o', 'plans/create2.plan.json']);
    expect(plain.code, output(plain)).to.equal(0);

    const st = await status();
    expect(st.code, output(st)).to.equal(2);
    expect(st.stdout).to.match(/^tenant_a\s.*not created$/m);
    expect((await project.tm(db, ['status'])).code).to.equal(0);

    const apply = await project.tm(db, ['apply', 'plans/create.plan.json']);
    expect(apply.code, output(apply)).to.equal(0);
  });

  it('tm plan and tm status: 0 when every tenant matches the Prisma folder', async () => {
    const none = await plan('--name', 'nothing');
    expect(none.code, output(none)).to.equal(0);
    expect(none.stdout).to.contain('No changes.');
    const st = await status();
    expect(st.code, output(st)).to.equal(0);
    expect(st.stdout).to.contain('2 up to date');
  });

  it('tm plan: 3 for changes with hazards (a new index on existing tables); tm status: 2', async () => {
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  orders    Order[]\n', '  orders    Order[]\n\n  @@index([name])\n'));
    const hazardous = await plan('--name', 'index_name');
    expect(hazardous.code, output(hazardous)).to.equal(3);
    expect(hazardous.stdout).to.match(/Hazards: INDEX_BUILD\.$/m);
    const st = await status();
    expect(st.code, output(st)).to.equal(2);
    expect(st.stdout).to.match(/^tenant_a\s.*pending changes$/m);
  });

  it('tm plan: 3 for DATA_LOSS too', async () => {
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  @@index([name])\n', ''));
    const lossy = await plan('--name', 'drop_name');
    expect(lossy.code, output(lossy)).to.equal(3);
    expect(lossy.stdout).to.contain('DATA_LOSS');
  });

  it('tm plan and tm status: 1 on an error, whatever the state (unknown schema, unreachable server, broken Prisma file)', async () => {
    const unknown = await plan('--schema', 'tenant_zzz');
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('Not a tenant in tenants.yaml');
    const unknownStatus = await status('--schema', 'tenant_zzz');
    expect(unknownStatus.code).to.equal(1);

    // A server that is not there (an unset variable now means tm's embedded PostgreSQL, not an error).
    const nowhere = { cwd: project.dir, env: { [DB_ENV]: 'postgresql://postgres@127.0.0.1:1/nowhere' } };
    const noServer = await runTm(['plan', '--detailed-exitcode'], nowhere);
    expect(noServer.code, output(noServer)).to.equal(1);
    expect(noServer.stderr).to.contain('Cannot connect to database "main"');
    const noServerStatus = await runTm(['status', '--detailed-exitcode'], nowhere);
    expect(noServerStatus.code, output(noServerStatus)).to.equal(1);

    project.writePrisma('broken.prisma', 'model Broken {\n  id Int @id\n  other Nope\n}\n');
    const broken = await plan('--name', 'broken');
    expect(broken.code, output(broken)).to.equal(1);
    const brokenStatus = await status();
    expect(brokenStatus.code, output(brokenStatus)).to.equal(1);
    project.writePrisma('broken.prisma', null);
  });
});
