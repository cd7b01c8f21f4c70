/**
 * Partitioned tables, as trigger.dev hand-edits them into Prisma's
 * migrations: the Prisma model maps to the parent, partitions are made at run
 * time. Partitions belong to their parent (never a table of the model to
 * drop), and the parent's indexes compare equal to the ones Prisma's SQL
 * makes, so an unchanged partitioned table plans nothing, and a change to it
 * applies through to every partition.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';

const EVENT = `model Event {
  id         String
  createdAt  DateTime   @default(now())
  name       String
  deliveries Delivery[]

  @@id([id, createdAt])
  @@index([name])
}

model Delivery {
  id             Int      @id
  eventId        String
  eventCreatedAt DateTime
  event          Event    @relation(fields: [eventId, eventCreatedAt], references: [id, createdAt])
}
`;

const EVENT_WITH_KIND = EVENT.replace('  name       String\n', '  name       String\n  kind       String?\n').replace('  @@index([name])\n', '  @@index([name])\n  @@index([kind, createdAt(sort: Desc)])\n');

/**
 * Prisma's SQL for EVENT, with Event partitioned by hand (RANGE on the
 * timestamp) and some monthly partitions. The foreign key to it gets a
 * constraint row per partition from PostgreSQL, on the referencing table.
 */
function partitionedTenant(schema: string, months: number): string {
  const partitions = Array.from({ length: months }, (_, i) => {
    const from = `2026-${String(i + 1).padStart(2, '0')}-01`;
    const to = i + 2 > 12 ? '2027-01-01' : `2026-${String(i + 2).padStart(2, '0')}-01`;
    return `CREATE TABLE "${schema}"."Event_m${i + 1}" PARTITION OF "${schema}"."Event" FOR VALUES FROM ('${from}') TO ('${to}');`;
  });
  return `CREATE SCHEMA "${schema}";
CREATE TABLE "${schema}"."Event" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "name" TEXT NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id","createdAt")
) PARTITION BY RANGE ("createdAt");
CREATE INDEX "Event_name_idx" ON "${schema}"."Event"("name");
${partitions.join('\n')}
CREATE TABLE "${schema}"."Delivery" (
    "id" INTEGER NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventCreatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "${schema}"."Delivery" ADD CONSTRAINT "Delivery_eventId_eventCreatedAt_fkey" FOREIGN KEY ("eventId", "eventCreatedAt") REFERENCES "${schema}"."Event"("id", "createdAt") ON DELETE RESTRICT ON UPDATE CASCADE;
INSERT INTO "${schema}"."Event" (id, "createdAt", name) VALUES ('a', '2026-01-15', 'first'), ('b', '2026-02-15', 'second');`;
}

describe('partitioned tables', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('an unchanged partitioned table plans nothing; a change to it applies to the parent and its partitions, and converges', async () => {
    await db.query([partitionedTenant('part_a', 2), partitionedTenant('part_b', 2), partitionedTenant('part_c', 3)].join('\n'));
    const project = fleetProject({ tenants: ['part_a', 'part_b', 'part_c'], prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'event.prisma': EVENT } });

    const unchanged = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'unchanged']);
    expect(unchanged.code, output(unchanged)).to.equal(0);
    expect(unchanged.stdout).to.contain('No changes. 3 schemas already match the Prisma schema.');

    project.writePrisma('event.prisma', EVENT_WITH_KIND);
    const change = await project.plan(db, 'kind', 3);
    // One cohort: the number of partitions is not part of a tenant's state.
    expect(change.json.cohorts).to.have.length(1);
    const objects = change.json.cohorts[0].steps.map((s: any) => s.object);
    expect(objects).to.deep.equal(['column "Event"."kind"', 'index "Event_kind_createdAt_idx"']);
    const apply = await project.tm(db, ['apply', change.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout).to.match(/Apply complete: 3 applied, 0 already applied, 0 stale, 0 failed/);

    // Every partition has the column and its own copy of the index; the rows are where they were.
    const { rows: indexes } = await db.query(
      `select c.relname as partition, count(i.indexrelid)::int as indexes, bool_or(a.attname = 'kind') as has_kind
         from pg_inherits h join pg_class c on c.oid = h.inhrelid join pg_namespace n on n.oid = c.relnamespace
         left join pg_index i on i.indrelid = c.oid
         left join pg_attribute a on a.attrelid = c.oid and a.attname = 'kind'
        where n.nspname = 'part_c' and c.relkind = 'r' group by c.relname order by 1`,
    );
    expect(indexes).to.deep.equal([
      { partition: 'Event_m1', indexes: 3, has_kind: true },
      { partition: 'Event_m2', indexes: 3, has_kind: true },
      { partition: 'Event_m3', indexes: 3, has_kind: true },
    ]);
    const { rows } = await db.query(`select id, name, tableoid::regclass::text as part from part_a."Event" order by id`);
    expect(rows).to.deep.equal([
      { id: 'a', name: 'first', part: 'part_a."Event_m1"' },
      { id: 'b', name: 'second', part: 'part_a."Event_m2"' },
    ]);

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 3 schemas already match the Prisma schema.');
  });
});
