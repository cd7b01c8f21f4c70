/**
 * npm run conformance: tm's planner against other projects' test cases and a
 * real production schema (see README, Conformance).
 *
 *   node dist/conformance/run.js [--corpus a,b] [--case REGEX] [--jobs N] [--quiet] [--no-pg-dump]
 *
 * Corpora: pg-schema-diff, prisma-engines, langfuse (schema), langfuse-history,
 * real (real projects, Prisma's engine as the judge; --case filters projects).
 * Server: CONFORMANCE_DATABASE_URL, else TEST_DATABASE_URL (a superuser
 * connection string), else a throwaway server started like the tests'.
 * Corpus folder: CONFORMANCE_CORPUS, else ../shared/corpus beside the repository.
 *
 * Prints one line per case (pass / FAIL / out-of-scope with the reason), a
 * summary line per corpus, and exits 1 when a corpus is below its target.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startThrowawayServer, type TestServer } from '../test/harness/postgres.js';
import { loadExpectations } from './expectations.js';
import * as langfuse from './langfuse.js';
import * as pgSchemaDiff from './pgSchemaDiff.js';
import * as prismaEngines from './prismaEngines.js';
import { ORACLES, runProject } from './real.js';
import { loadRealProjects } from './realProjects.js';
import { corpusDir, mapLimit, type CaseResult } from './support.js';

const CORPORA = ['pg-schema-diff', 'prisma-engines', 'langfuse', 'langfuse-history', 'real'] as const;
type Corpus = (typeof CORPORA)[number];

/** In-scope pass rate each corpus must reach. */
export const TARGETS: Record<Corpus, number> = {
  'pg-schema-diff': 0.9,
  'prisma-engines': 1,
  langfuse: 1,
  'langfuse-history': 1,
  real: 1,
};

export interface Summary {
  corpus: string;
  inScope: number;
  passed: number;
  failed: number;
  outOfScope: number;
  rate: number;
  target: number;
  line: string;
}

export function summarise(corpus: Corpus, results: CaseResult[]): Summary {
  const inScope = results.filter((r) => r.outcome !== 'out-of-scope').length;
  const passed = results.filter((r) => r.outcome === 'pass').length;
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const outOfScope = results.length - inScope;
  const rate = inScope ? passed / inScope : 1;
  const divergent = results.filter((r) => r.divergences?.length).length;
  const extra = results.filter((r) => r.extraHazards?.length).length;
  const notes = [divergent ? `${divergent} with a documented divergence` : '', extra ? `${extra} with extra hazards` : ''].filter(Boolean).join(', ');
  const line =
    `${corpus}: ${inScope} in scope, ${passed} passed (${(rate * 100).toFixed(1)}%), ${failed} failed, ${outOfScope} out of scope` +
    (notes ? ` (${notes})` : '') +
    ` — target ${(TARGETS[corpus] * 100).toFixed(0)}%${rate >= TARGETS[corpus] ? '' : ': BELOW TARGET'}`;
  return { corpus, inScope, passed, failed, outOfScope, rate, target: TARGETS[corpus], line };
}

function caseLine(r: CaseResult): string {
  const tag = r.outcome === 'pass' ? 'pass        ' : r.outcome === 'fail' ? 'FAIL        ' : 'out-of-scope';
  const notes = [r.reason, r.divergences?.length ? `documented: ${r.divergences.join('; ')}` : '', r.extraHazards?.length ? `extra hazards: ${r.extraHazards.join(', ')}` : '']
    .filter(Boolean)
    .join(' — ');
  return `${tag} ${r.corpus} ${r.id}${notes ? ' — ' + notes : ''}`;
}

function outOfScopeCategories(results: CaseResult[]): string[] {
  const counts = new Map<string, number>();
  for (const r of results.filter((r) => r.outcome === 'out-of-scope')) {
    const category = (r.reason ?? '').split(':')[0];
    counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string' },
      case: { type: 'string' },
      jobs: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'no-pg-dump': { type: 'boolean', default: false },
    },
  });
  const wanted = (values.corpus ? values.corpus.split(',') : [...CORPORA]) as Corpus[];
  for (const c of wanted) if (!CORPORA.includes(c)) throw new Error(`unknown corpus ${c}; corpora: ${CORPORA.join(', ')}`);
  const filter = values.case ? new RegExp(values.case) : null;
  const jobs = Number(values.jobs ?? process.env.CONFORMANCE_JOBS ?? 2);
  if (!existsSync(corpusDir())) throw new Error(`no corpus folder at ${corpusDir()}: set CONFORMANCE_CORPUS`);

  const started = performance.now();
  let server: TestServer | null = null;
  let adminUrl = process.env.CONFORMANCE_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    server = await startThrowawayServer();
    adminUrl = server.adminUrl;
    process.on('exit', () => server?.stop());
  }
  const expectations = loadExpectations();
  const print = (r: CaseResult) => {
    if (!values.quiet || r.outcome === 'fail') console.log(caseLine(r));
  };
  const summaries: Summary[] = [];
  const extraLines: string[] = [];
  try {
    for (const corpus of wanted) {
      const t = performance.now();
      let results: CaseResult[] = [];
      if (corpus === 'pg-schema-diff') {
        const cases = pgSchemaDiff.loadCases().filter((c) => !filter || filter.test(c.id));
        results = await mapLimit(cases, jobs, async (c) => {
          const r = await pgSchemaDiff.runCase(c, { adminUrl: adminUrl!, expectations, pgDump: values['no-pg-dump'] ? false : undefined });
          print(r);
          return r;
        });
        const stale = Object.keys(expectations.pgSchemaDiff).filter((id) => results.some((r) => r.id === id && r.reason?.includes('stale expectation')));
        if (stale.length) extraLines.push(`pg-schema-diff: stale expectations (no longer diverge): ${stale.join(', ')}`);
      } else if (corpus === 'prisma-engines') {
        const cases = prismaEngines.loadCases().filter((c) => !filter || filter.test(c.id));
        results = await mapLimit(cases, jobs, async (c) => {
          const r = await prismaEngines.runCase(c, adminUrl!);
          print(r);
          return r;
        });
      } else if (corpus === 'langfuse') {
        const r = await langfuse.runSchema(adminUrl);
        print(r);
        results = [r];
      } else if (corpus === 'real') {
        const projects = loadRealProjects().filter((p) => !filter || filter.test(p.name));
        const reports = await mapLimit(projects, jobs, async (p) => {
          const report = await runProject(p, adminUrl!, expectations);
          report.results.forEach(print);
          return report;
        });
        for (const line of reports.flatMap((r) => r.notes)) {
          if (!values.quiet || /^(UNEXPLAINED|STALE|TM ONLY)/.test(line)) console.log(line);
        }
        results = reports.flatMap((r) => r.results);
        const byOracle = ORACLES.map((o) => {
          const of = results.filter((r) => r.id.endsWith(`/${o}`));
          return `${o} ${of.filter((r) => r.outcome === 'pass').length}/${of.length}`;
        });
        const times = projects.map((p, i) => `${p.name} ${(reports[i].ms / 1000).toFixed(1)} s`);
        extraLines.push(`real by oracle: ${byOracle.join(', ')}; by project: ${times.join(', ')}`);
      } else {
        const report = await langfuse.runHistory(adminUrl, expectations);
        for (const d of report.differences) {
          if (!values.quiet || !d.documented) {
            console.log(`${d.documented ? 'drift       ' : 'UNEXPLAINED '} langfuse-history ${d.key} — ${d.detail}${d.documented ? ` — documented: ${d.documented}` : ''}`);
          }
        }
        for (const k of report.staleExpectations) console.log(`STALE       langfuse-history ${k} — documented in expectations.json but no longer different`);
        print(report.result);
        results = [report.result];
      }
      const summary = summarise(corpus, results);
      const categories = outOfScopeCategories(results);
      summaries.push(summary);
      extraLines.push(
        `${summary.line}  [${((performance.now() - t) / 1000).toFixed(1)} s]` + (categories.length ? `\n    out of scope by category: ${categories.join(', ')}` : ''),
      );
    }
  } finally {
    server?.stop();
  }
  console.log('');
  for (const line of extraLines) console.log(line);
  console.log(`conformance: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return summaries.every((s) => s.rate >= s.target) ? 0 : 1;
}

process.exitCode = await main().catch((error) => {
  console.error(error);
  return 2;
});
