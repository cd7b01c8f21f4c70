/**
 * A fast subset of `npm run conformance` (see conformance/run.ts): a few
 * pg-schema-diff cases (including each planner fix the corpus led to and a
 * documented divergence), one prisma-engines case, and langfuse's schema and
 * history. Skipped when the corpus folder is not there.
 */
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { loadExpectations } from '../../conformance/expectations.js';
import { runHistory, runSchema } from '../../conformance/langfuse.js';
import * as pgSchemaDiff from '../../conformance/pgSchemaDiff.js';
import * as prismaEngines from '../../conformance/prismaEngines.js';
import { corpusDir } from '../../conformance/support.js';
import { adminUrl } from '../harness/database.js';

const PG_SCHEMA_DIFF = [
  'column/024_Add_one_column_with_default',
  'column/068_Add_identity_to_column_with_existing_default',
  'column/078_Alter_all_identity_properties_from_always_to_default_from_no_cycle_to_cycle',
  'sequence/356_Alter_ownership_from_table_to_table_original_column_dropped',
  'sequence/337_Drop_sequence_via_changing_column_type',
  'index/170_Delete_a_primary_key',
  'enum/097_add_value_before_a_single_quote_label',
];

describe('conformance (fast subset of npm run conformance)', function () {
  this.timeout(60_000);
  before(function () {
    if (!existsSync(corpusDir())) this.skip();
  });

  it('pg-schema-diff: sample cases converge with their hazards covered', async () => {
    const expectations = loadExpectations();
    const cases = pgSchemaDiff.loadCases().filter((c) => PG_SCHEMA_DIFF.includes(c.id));
    expect(cases.map((c) => c.id).sort()).to.deep.equal([...PG_SCHEMA_DIFF].sort());
    for (const c of cases) {
      const result = await pgSchemaDiff.runCase(c, { adminUrl: adminUrl(), expectations });
      expect(result.outcome, `${c.id}: ${result.reason}`).to.equal('pass');
    }
  });

  it('pg-schema-diff: cases outside tm’s model are out of scope, with the reason', () => {
    const cases = pgSchemaDiff.loadCases();
    const byId = (prefix: string) => cases.find((c) => c.id.startsWith(prefix))!;
    expect(pgSchemaDiff.staticScope(byId('check_constraint/002_'))).to.match(/^functions:/);
    expect(pgSchemaDiff.staticScope(byId('policy/284_'))).to.match(/^policies/);
    expect(pgSchemaDiff.staticScope(byId('column/024_'))).to.equal(undefined);
  });

  it('prisma-engines: a new tenant converges and matches the catalog of Prisma’s expected SQL', async () => {
    const c = prismaEngines.loadCases().find((x) => x.id === 'enums__enum_fields')!;
    const result = await prismaEngines.runCase(c, adminUrl());
    expect(result.outcome, result.reason).to.equal('pass');
  });

  it('langfuse: a new tenant from schema.prisma converges to no changes', async () => {
    const result = await runSchema(adminUrl());
    expect(result.outcome, result.reason).to.equal('pass');
  });

  it('langfuse: the replayed history differs from schema.prisma only as documented, and converges', async () => {
    const report = await runHistory(adminUrl(), loadExpectations());
    expect(report.differences.filter((d) => !d.documented).map((d) => `${d.key}: ${d.detail}`)).to.deep.equal([]);
    expect(report.staleExpectations).to.deep.equal([]);
    expect(report.result.outcome, report.result.reason).to.equal('pass');
  });
});
