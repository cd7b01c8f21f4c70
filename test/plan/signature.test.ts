/**
 * Plan signing (TM_PLAN_KEY, src/plan/signature.ts): with the key set, tm
 * plan signs the plan it writes and tm apply refuses, before connecting, a
 * plan that is unsigned, signed with another key, or edited and resealed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DB_ENV, columnsOf, fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { runTm } from '../harness/cli.js';
import { planIntegrity } from '../../src/plan/build.js';

describe('plan signing (TM_PLAN_KEY)', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('tm apply with the key applies only plans signed with it', async () => {
    const project = fleetProject({ tenants: ['sig_a'] });
    const tm = (args: string[], key: string | undefined) => runTm(args, { cwd: project.dir, env: { [DB_ENV]: db.url, TM_PLAN_KEY: key } });
    const init = await tm(['migrate', 'init', '--force'], 'k1');
    expect(init.code, output(init)).to.equal(0);
    project.writePrisma('user.prisma', project.readPrisma('user.prisma').replace(/(\nmodel User \{[^}]*)\n}/, '$1\n  nickname String?\n}'));

    const unsigned = await tm(['plan', '--name', 'unsigned', '-o', 'unsigned.plan.json'], undefined);
    expect(unsigned.code, output(unsigned)).to.equal(0);
    const signed = await tm(['plan', '--name', 'signed', '-o', 'signed.plan.json'], 'k1');
    expect(signed.code, output(signed)).to.equal(0);
    const signedJson = JSON.parse(readFileSync(path.join(project.dir, 'signed.plan.json'), 'utf8'));
    expect(signedJson.signature).to.match(/^hmac-sha256:[0-9a-f]{64}$/);

    // Edited (a step that passes the step check) and resealed: the integrity hash matches, the signature does not.
    const edited = structuredClone(signedJson);
    edited.cohorts[0].steps[0].sql = 'ALTER TABLE "User" ADD COLUMN "evil" text';
    edited.integrity = planIntegrity(edited);
    writeFileSync(path.join(project.dir, 'edited.plan.json'), JSON.stringify(edited, null, 2));

    const refusals: [string, string | undefined, RegExp][] = [
      ['unsigned.plan.json', 'k1', /^Error: unsigned\.plan\.json is not signed, and TM_PLAN_KEY is set: tm applies only signed plans\. Nothing was applied\.$/m],
      ['signed.plan.json', 'k2', /^Error: signed\.plan\.json is not signed with TM_PLAN_KEY: it was signed with another key, or edited and resealed\. Nothing was applied\.$/m],
      ['edited.plan.json', 'k1', /^Error: edited\.plan\.json is not signed with TM_PLAN_KEY/m],
      ['signed.plan.json', '', /^Error: TM_PLAN_KEY is set but empty\.$/m],
    ];
    for (const [file, key, message] of refusals) {
      const result = await tm(['apply', file], key);
      expect(result.code, output(result)).to.equal(1);
      expect(output(result)).to.match(message);
      expect(Object.keys(await columnsOf(db, 'sig_a', 'User')), file).to.not.include.members(['nickname', 'evil']);
    }

    const applied = await tm(['apply', 'signed.plan.json'], 'k1');
    expect(applied.code, output(applied)).to.equal(0);
    expect(Object.keys(await columnsOf(db, 'sig_a', 'User'))).to.include('nickname');
  });
});
