/**
 * Every type change between Prisma's scalar types and common native types, on
 * a table with rows, through the real binary: one tenant holds a table per
 * (from, to) pair. For each pair tm's plan does what Prisma's own engine
 * (diffing the live tenant) does: drop the column and add it again where
 * Prisma does, else convert with a cast PostgreSQL runs (the apply
 * succeeds); every conversion that
 * changed a value was flagged DATA_LOSS; and after `tm rollback` every
 * original value is back (row checksums equal).
 *
 * Rows hold values chosen to show losses (a bigint a double rounds, a
 * timestamp with microseconds, JSON with its keys out of order, text longer
 * than a narrower varchar). A pair whose conversion fails on a value
 * (bigint → integer on a large one) would fail the whole tenant, as it should
 * (MAY_FAIL_ON_DATA): such values are left out of that pair's table by a
 * trial conversion on the server.
 */
import { expect } from 'chai';
import { prismaDrift } from '../../conformance/prismaJudge.js';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';

interface TypeCase {
  /** The field's type in the Prisma schema (the field is optional unless a list). */
  prisma: string;
  /** format_type() of the column Prisma makes. */
  sql: string;
  /** SQL literals of the column's type. */
  samples: string[];
}

const TYPES: Record<string, TypeCase> = {
  Int: { prisma: 'Int', sql: 'integer', samples: ['0', '2147483647', '-5'] },
  BigInt: { prisma: 'BigInt', sql: 'bigint', samples: ['9223372036854775805', '-3', '42'] },
  Float: { prisma: 'Float', sql: 'double precision', samples: ['0.1', '1e300', '-2.5', '3'] },
  Real: { prisma: 'Float @db.Real', sql: 'real', samples: ['0.1', '16777216', '3'] },
  Decimal: { prisma: 'Decimal @db.Decimal(10, 2)', sql: 'numeric(10,2)', samples: ['12345678.91', '-0.5', '3'] },
  Decimal38: { prisma: 'Decimal @db.Decimal(38, 18)', sql: 'numeric(38,18)', samples: ['12345678901234567890.123456789012345678', '0.000000000000000001', '7'] },
  String: { prisma: 'String', sql: 'text', samples: [`'hello world'`, `'12'`, `'true'`, `'2024-02-29'`, `'a'`] },
  VarChar5: { prisma: 'String @db.VarChar(5)', sql: 'character varying(5)', samples: [`'abc'`, `'12'`] },
  VarChar255: { prisma: 'String @db.VarChar(255)', sql: 'character varying(255)', samples: [`'${'x'.repeat(100)}'`, `'7'`] },
  Char10: { prisma: 'String @db.Char(10)', sql: 'character(10)', samples: [`'ab'`, `'12'`] },
  Boolean: { prisma: 'Boolean', sql: 'boolean', samples: ['true', 'false'] },
  DateTime: { prisma: 'DateTime', sql: 'timestamp(3) without time zone', samples: [`'2024-02-29 18:30:02.123'`, `'1999-12-31 23:59:59'`] },
  Date: { prisma: 'DateTime @db.Date', sql: 'date', samples: [`'2024-02-29'`] },
  Timestamp6: { prisma: 'DateTime @db.Timestamp(6)', sql: 'timestamp(6) without time zone', samples: [`'2024-02-29 18:30:02.123456'`] },
  Timestamptz3: { prisma: 'DateTime @db.Timestamptz(3)', sql: 'timestamp(3) with time zone', samples: [`'2024-02-29 18:30:02.123+00'`] },
  Time: { prisma: 'DateTime @db.Time(6)', sql: 'time(6) without time zone', samples: [`'18:30:02.123456'`] },
  Json: { prisma: 'Json', sql: 'jsonb', samples: [`'{"b": 1, "a": [1, 2]}'`, `'"text"'`, `'12'`] },
  JsonText: { prisma: 'Json @db.Json', sql: 'json', samples: [`'{"b":1,  "a":2}'`, `'12'`] },
  Bytes: { prisma: 'Bytes', sql: 'bytea', samples: [`'\\x0102ff'`] },
  Uuid: { prisma: 'String @db.Uuid', sql: 'uuid', samples: [`'2f1c2e0a-7e4b-4c55-9a1f-0d8f8c3b9f10'`] },
  Enum: { prisma: 'Color', sql: '"Color"', samples: [`'RED'`, `'GREEN'`] },
  StringList: { prisma: 'String[]', sql: 'text[]', samples: [`'{a,"b,c"}'`, `'{}'`, `'{12,34}'`] },
  IntList: { prisma: 'Int[]', sql: 'integer[]', samples: [`'{1,2}'`, `'{}'`] },
};

const NAMES = Object.keys(TYPES);
const PAIRS = NAMES.flatMap((from) => NAMES.filter((to) => to !== from).map((to) => ({ from, to, table: `${from}_to_${to}` })));
const TENANT = 'matrix';

/** The type as SQL outside the tenant's search_path (the enum qualified). */
function sqlOf(name: string): string {
  return TYPES[name].sql.replace('"Color"', `"${TENANT}"."Color"`);
}

function schema(side: 'from' | 'to'): string {
  const models = PAIRS.map((pair) => {
    const type = TYPES[pair[side]];
    const optional = type.prisma.endsWith('[]') ? '' : '?';
    const [base, ...attributes] = type.prisma.split(' ');
    return `model ${pair.table} {\n  id Int @id\n  v  ${base}${optional} ${attributes.join(' ')}\n}\n`;
  });
  return `${DATASOURCE_BLOCK}\nenum Color {\n  RED\n  GREEN\n}\n\n${models.join('\n')}`;
}

interface PlanStep {
  object: string;
  sql: string;
  hazards: { type: string }[];
}

describe('type changes between every pair of types, with rows (real binary)', function () {
  this.timeout(600_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('are Prisma\'s drop + add or a conversion PostgreSQL runs; a changed value is always DATA_LOSS; rollback puts every value back', async () => {
    const project = fleetProject({ tenants: [TENANT], prismaFiles: { 'schema.prisma': schema('from') } });
    const init = await project.tm(db, ['migrate', 'init', '--force']);
    expect(init.code, output(init)).to.equal(0);
    const { rows: columns } = await db.query(
      `select c.relname as table, format_type(a.atttypid, a.atttypmod) as type
         from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and a.attname = 'v' and c.relkind = 'r'`,
      [TENANT],
    );
    const made = new Map(columns.map((r) => [r.table, r.type.replace(`${TENANT}.`, '')]));
    for (const pair of PAIRS) expect(made.get(pair.table), `the column Prisma makes for ${pair.from}`).to.equal(TYPES[pair.from].sql);

    project.writePrisma('schema.prisma', schema('to'));
    const plan = await project.plan(db, 'convert', 3);
    const steps: PlanStep[] = plan.json.cohorts.flatMap((c: { steps: PlanStep[] }) => c.steps);
    const stepsOf = (table: string) => steps.filter((s) => s.object.includes(`"${table}"`));

    // Rows: every sample of the old type that the plan's conversion (if any) accepts.
    const q = (table: string) => `"${TENANT}"."${table}"`;
    const kept = new Map<string, string[]>();
    for (const pair of PAIRS) {
      const converts = stepsOf(pair.table).some((s) => / TYPE /.test(s.sql));
      const values: string[] = [];
      for (const sample of TYPES[pair.from].samples) {
        if (converts) {
          const trial = await db.query(`select (${sample}::${sqlOf(pair.from)})::${sqlOf(pair.to)}`).then(
            () => true,
            () => false,
          );
          if (!trial) continue;
        }
        values.push(sample);
      }
      kept.set(pair.table, values);
      const rows = ['(0, NULL)', ...values.map((v, i) => `(${i + 1}, ${v}::${sqlOf(pair.from)})`)];
      await db.query(`insert into ${q(pair.table)} (id, v) values ${rows.join(', ')}`);
    }
    const texts = async (table: string, as: string | null) => {
      const value = as === null ? 'v::text' : `(v::${as})::text`;
      const { rows } = await db.query(`select id, ${value} as v from ${q(table)} order by id`);
      return rows.map((r) => `${r.id}=${r.v ?? '∅'}`).join(',');
    };
    const original = new Map<string, string>();
    for (const pair of PAIRS) original.set(pair.table, await texts(pair.table, null));

    // The judge: Prisma's engine diffing the live tenant against the new schema.
    const prisma = await prismaDrift(db.url, TENANT, [{ path: 'schema.prisma', content: schema('to') }]);
    const prismaRecreates = (table: string) => prisma.some((s) => s.startsWith(`ALTER TABLE "${table}"`) && /DROP COLUMN "v"/.test(s));

    const apply = await project.tm(db, ['apply', plan.path, '--allow-hazards', 'DATA_LOSS'], { timeoutMs: 300_000 });
    expect(apply.code, output(apply)).to.equal(0);

    const problems: string[] = [];
    for (const pair of PAIRS) {
      const own = stepsOf(pair.table);
      const dataLoss = own.some((s) => s.hazards.some((h) => h.type === 'DATA_LOSS'));
      const recreated = own.some((s) => /DROP COLUMN "v"/.test(s.sql)) && own.some((s) => /ADD COLUMN "v"/.test(s.sql));
      const converted = own.some((s) => / ALTER COLUMN "v" TYPE /.test(s.sql));
      if (recreated === converted) problems.push(`${pair.table}: neither drop + add nor one conversion: ${own.map((s) => s.sql).join('; ')}`);
      if (recreated !== prismaRecreates(pair.table)) problems.push(`${pair.table}: tm ${recreated ? 'drops and re-adds' : 'converts'} the column, Prisma ${recreated ? 'converts it' : 'drops and re-adds it'}`);
      if (recreated && !dataLoss) problems.push(`${pair.table}: drops the column's values without DATA_LOSS`);
      // Did any value change? Read each back as the old type (a value that no longer converts back changed too).
      const back = await texts(pair.table, sqlOf(pair.from)).catch(() => null);
      if (back !== original.get(pair.table) && !dataLoss) problems.push(`${pair.table}: values changed without DATA_LOSS: ${original.get(pair.table)} → ${back ?? '(no longer convert back)'}`);
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);

    const rollback = await project.tm(db, ['rollback', 'convert', '--schema', TENANT, '--force'], { timeoutMs: 300_000 });
    expect(rollback.code, output(rollback)).to.equal(0);
    const lost: string[] = [];
    for (const pair of PAIRS) {
      const now = await texts(pair.table, null);
      if (now !== original.get(pair.table)) lost.push(`${pair.table}: ${original.get(pair.table)} → ${now}`);
    }
    expect(lost, `values not put back by tm rollback:\n${lost.join('\n')}`).to.deep.equal([]);
  });
});
