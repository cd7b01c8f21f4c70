/**
 * The hazard policy: `tm apply` refuses a plan with DATA_LOSS steps unless
 * `--allow-hazards DATA_LOSS` or tenants.yaml's `policy.allowHazards` allows
 * them, says which steps of which cohorts and how to allow them, touches
 * nothing when it refuses, and reports what was accepted and by what.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { TmError } from '../../src/errors.js';
import { ALLOW_CONFIG, ALLOW_FLAG, evaluateHazardPolicy, parseAllowHazards, refusalError } from '../../src/plan/policy.js';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, historyRows, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';
import { goldenPlan, identicalFleetPlan } from '../support/synthetic-plan.js';

describe('hazard policy', function () {
  this.timeout(120_000);

  describe('pure', () => {
    const plan = goldenPlan(); // c3 drops column "User"."legacy": DATA_LOSS; c1 and c3 build an index.

    it('parses --allow-hazards: repeatable, comma lists, any case, unknown names refused', () => {
      expect(parseAllowHazards([])).to.deep.equal([]);
      expect(parseAllowHazards(['DATA_LOSS'])).to.deep.equal(['DATA_LOSS']);
      expect(parseAllowHazards(['data_loss,TABLE_REWRITE', 'index-build', 'DATA_LOSS'])).to.deep.equal(['DATA_LOSS', 'TABLE_REWRITE', 'INDEX_BUILD']);
      expect(() => parseAllowHazards(['DATA_LOSS,DROP'])).to.throw(TmError, '--allow-hazards takes hazard types (DATA_LOSS, TABLE_REWRITE, ACCESS_EXCLUSIVE_LOCK, INDEX_BUILD, MAY_FAIL_ON_DATA, NON_TRANSACTIONAL), not "DROP".');
    });

    it('refuses DATA_LOSS that nothing allows, naming each step; other hazards pass', () => {
      const decision = evaluateHazardPolicy(plan, { flag: [], config: [] });
      expect(decision.refused).to.deep.equal(['DATA_LOSS']);
      expect(decision.accepted).to.deep.equal([]);
      expect(decision.occurrences).to.deep.equal([
        { type: 'DATA_LOSS', cohort: 'c3', step: 3, object: 'column "User"."legacy"', message: plan.cohorts[2].steps[2].hazards[0].message, tenants: 1 },
      ]);
      expect(evaluateHazardPolicy(identicalFleetPlan(3), { flag: [], config: [] })).to.deep.equal({ refused: [], accepted: [], occurrences: [] });
    });

    it('records what accepted each hazard present: the flag wins over tenants.yaml; absent hazards are not listed', () => {
      const byFlag = evaluateHazardPolicy(plan, { flag: ['DATA_LOSS', 'TABLE_REWRITE'], config: [] });
      expect(byFlag.refused).to.deep.equal([]);
      expect(byFlag.accepted).to.deep.equal([{ type: 'DATA_LOSS', by: ALLOW_FLAG, steps: 1, tenants: 1 }]);
      const byConfig = evaluateHazardPolicy(plan, { flag: ['INDEX_BUILD'], config: ['DATA_LOSS', 'INDEX_BUILD'] });
      expect(byConfig.accepted).to.deep.equal([
        { type: 'DATA_LOSS', by: ALLOW_CONFIG, steps: 1, tenants: 1 },
        { type: 'INDEX_BUILD', by: ALLOW_FLAG, steps: 2, tenants: 25 },
      ]);
    });

    it('explains a refusal: the steps, and both ways to allow them', () => {
      const error = refusalError(plan, 'plans/p.plan.json', evaluateHazardPolicy(plan, { flag: [], config: [] }));
      expect(error.message).to.equal(
        'The plan has steps with DATA_LOSS, which tm apply runs only when allowed:\n' +
          `  DATA_LOSS  cohort c3 (1 schema), step 3 column "User"."legacy": ${plan.cohorts[2].steps[2].hazards[0].message}`,
      );
      expect(error.hint).to.contain('Nothing was applied').and.contain('tm apply plans/p.plan.json --allow-hazards DATA_LOSS');
      expect(error.hint).to.contain('policy: { allowHazards: [DATA_LOSS] }');
    });
  });

  describe('tm apply (real binary)', () => {
    const db = useFreshDatabase();
    after(removeFleetProjects);

    it('refuses a DATA_LOSS plan without touching the database, applies it with --allow-hazards, and with tenants.yaml', async () => {
      const project = fleetProject({ tenants: ['tenant_a', 'tenant_b'] });
      const base = await project.plan(db, 'base');
      expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);

      // Dropping User.name loses data.
      project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
      const drop = await project.plan(db, 'drop_name', 3);
      expect(drop.json.summary.hazards).to.deep.equal(['DATA_LOSS']);
      expect(drop.result.stdout).to.match(/^It has DATA_LOSS steps: tm apply refuses it until they are allowed, after review \(--allow-hazards DATA_LOSS\)\.$/m);
      const shown = path.relative(project.dir, drop.path);

      const refused = await project.tm(db, ['apply', shown]);
      expect(refused.code, output(refused)).to.equal(1);
      expect(refused.stderr).to.contain('Error: The plan has steps with DATA_LOSS, which tm apply runs only when allowed:\n');
      expect(refused.stderr).to.match(/^  DATA_LOSS  cohort c1 \(2 schemas\), step 1 column "User"\."name": drops column "User"\."name"/m);
      expect(refused.stderr).to.contain(`allow them with: tm apply ${shown} --allow-hazards DATA_LOSS`);
      expect(refused.stderr).to.contain('policy: { allowHazards: [DATA_LOSS] }');
      expect(refused.stdout).to.equal('');
      expect(await columnsOf(db, 'tenant_a', 'User')).to.have.property('name');
      expect(await historyRows(db, drop.id)).to.deep.equal([]);

      const refusedJson = await project.tm(db, ['apply', shown, '--json']);
      expect(refusedJson.code).to.equal(1);
      const event = JSON.parse(refusedJson.stdout.trim());
      expect(event).to.deep.include({ event: 'refused', planId: drop.id, reason: 'hazards not allowed', hazards: ['DATA_LOSS'] });
      expect(event.steps).to.have.length(1);

      const wrongType = await project.tm(db, ['apply', shown, '--allow-hazards', 'TABLE_REWRITE']);
      expect(wrongType.code).to.equal(1);
      expect(wrongType.stderr).to.contain('The plan has steps with DATA_LOSS');

      const allowed = await project.tm(db, ['apply', shown, '--allow-hazards', 'DATA_LOSS']);
      expect(allowed.code, output(allowed)).to.equal(0);
      expect(allowed.stdout).to.match(/^Accepted hazards: DATA_LOSS by --allow-hazards \(1 step on 2 schemas\)$/m);
      expect(await columnsOf(db, 'tenant_a', 'User')).to.not.have.property('name');
      expect((await historyRows(db, drop.id)).map((r) => r.tenant_schema)).to.deep.equal(['tenant_a', 'tenant_b']);
      // The history row says what was accepted, and by what.
      const recorded = await db.query(`select distinct accepted_hazards from tm.history where plan_id = $1`, [drop.id]);
      expect(recorded.rows).to.deep.equal([{ accepted_hazards: [{ type: 'DATA_LOSS', by: '--allow-hazards', steps: 1, tenants: 2 }] }]);

      // The same, allowed by tenants.yaml; --json reports it before applying and in the summary.
      project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  createdAt DateTime @default(now())\n', ''));
      const drop2 = await project.plan(db, 'drop_created_at', 3);
      appendFileSync(path.join(project.dir, 'tenants.yaml'), 'policy:\n  allowHazards: [DATA_LOSS]\n');
      const byConfig = await project.tm(db, ['apply', drop2.path, '--json']);
      expect(byConfig.code, output(byConfig)).to.equal(0);
      const events = byConfig.stdout.trim().split('\n').map((line) => JSON.parse(line));
      const accepted = [{ type: 'DATA_LOSS', by: 'tenants.yaml policy.allowHazards', steps: 1, tenants: 2 }];
      expect(events[0]).to.deep.equal({ event: 'hazards-accepted', planId: drop2.id, acceptedHazards: accepted });
      const summary = events.at(-1);
      expect(summary).to.deep.include({ event: 'summary', planId: drop2.id, ok: true, applied: 2 });
      expect(summary.acceptedHazards).to.deep.equal(accepted);
      expect(await columnsOf(db, 'tenant_b', 'User')).to.not.have.property('createdAt');
    });

    it('refuses an unknown hazard name before reading anything else', async () => {
      const project = fleetProject({ tenants: ['tenant_x'] });
      const result = await project.tm(db, ['apply', 'plans/none.plan.json', '--allow-hazards', 'DATA_LOSS,EVERYTHING']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^Error: --allow-hazards takes hazard types \(DATA_LOSS, .*\), not "EVERYTHING"\.$/m);
    });
  });
});
