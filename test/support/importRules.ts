/**
 * tm's import rules, as data (README, "Architecture"). Folders of src/ form
 * layers, lowest first; a file may import its own layer and the layers
 * below it, never one above. Exceptions are listed with their reason.
 */

/** Lowest first. `.` is a file at the top of src/ (errors.ts, version.ts). */
export const LAYERS: readonly string[][] = [
  ['.', 'sql'], // shared words: errors, quoting, statement splitting
  ['config'], // tenants.yaml and the environment: plain data, no connections
  ['db'], // connections, the embedded server, database targets
  ['schema'], // the Prisma folder
  ['catalog'], // reading a schema's objects into the model
  ['diff'], // model → ordered steps and hazards (pure)
  ['desired'], // what a tenant should be, built in a scratch schema
  ['meta'], // tm's metadata store: history, models, backups, lock
  ['fleet'], // which databases and tenants a command covers
  ['plan'], // the plan file and the plan kinds
  ['apply'], // running a plan
  ['init'], // adopting a project
  ['output'], // views of plans, drift, status, apply events: text, Markdown, JSON
  ['cli'], // commands: parse, call the pipeline, print
];

/** Imports allowed across the rule, each with why. */
const EXCEPTIONS: { from: string; to: string; typeOnly: boolean; why: string }[] = [
  { from: 'db', to: 'config', typeOnly: true, why: 'a database target is made from configuration; db reads its types only' },
];

/** Modules output/ may not import: it renders, it does no I/O. */
const IO_MODULES = /^(node:)?(fs|fs\/promises|child_process|net|http|https|dns|readline)$|^pg$|^@electric-sql\//;

export function layerOf(file: string): number | null {
  const parts = file.split(/[\\/]/);
  const folder = parts.length === 1 ? '.' : parts[0];
  const index = LAYERS.findIndex((layer) => layer.includes(folder));
  return index < 0 ? null : index;
}

function folderOf(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.length === 1 ? '.' : parts[0];
}

interface Import {
  line: number;
  specifier: string;
  typeOnly: boolean;
}

/** Static imports and re-exports (`import … from`, `export … from`) and dynamic `import('…')`. */
export function importsOf(text: string): Import[] {
  const out: Import[] = [];
  const lines = text.split('\n');
  const statement = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  lines.forEach((line, i) => {
    const m = statement.exec(line);
    if (m) {
      const names = m[3].replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
      const allTypes = m[2] !== undefined || (names.length > 0 && names.every((n) => n.startsWith('type ')));
      out.push({ line: i + 1, specifier: m[4], typeOnly: allTypes });
    }
    for (const d of line.matchAll(dynamic)) out.push({ line: i + 1, specifier: d[1], typeOnly: false });
  });
  // A multi-line `import {\n a,\n b\n} from '…'`: its specifier is on the closing line.
  lines.forEach((line, i) => {
    const m = /^\}\s*from\s*['"]([^'"]+)['"]/.exec(line);
    if (!m) return;
    let start = i;
    while (start > 0 && !/^\s*(import|export)\b/.test(lines[start])) start--;
    out.push({ line: start + 1, specifier: m[1], typeOnly: /^\s*(import|export)\s+type\b/.test(lines[start]) });
  });
  return out;
}

/** Problems with the imports of one file, as `file:line: …` (empty when it keeps the rules). `file` is relative to src/. */
export function importViolations(file: string, text: string): string[] {
  const own = layerOf(file);
  if (own === null) return [`${file}: not in any layer (add its folder to LAYERS)`];
  const from = folderOf(file);
  const problems: string[] = [];
  for (const imp of importsOf(text)) {
    if (from === 'output' && IO_MODULES.test(imp.specifier)) {
      problems.push(`${file}:${imp.line}: output/ imports ${imp.specifier} (output renders; the command does the I/O)`);
      continue;
    }
    if (!imp.specifier.startsWith('.')) continue;
    const target = normalize(file, imp.specifier);
    if (target.startsWith('..')) continue; // outside src/ (package.json)
    const layer = layerOf(target);
    const to = folderOf(target);
    if (layer === null || layer <= own) continue;
    if (EXCEPTIONS.some((e) => e.from === from && e.to === to && (!e.typeOnly || imp.typeOnly))) continue;
    problems.push(`${file}:${imp.line}: ${from}/ imports ${to === '.' ? target : to + '/'} (${target}), a layer above it`);
  }
  return problems;
}

/** `plan/kinds/x.ts` + `../../apply/a.js` → `apply/a.js`. */
function normalize(file: string, specifier: string): string {
  const parts = file.split(/[\\/]/).slice(0, -1);
  for (const piece of specifier.split('/')) {
    if (piece === '.' || piece === '') continue;
    if (piece === '..') {
      if (parts.length === 0) return '../' + specifier;
      parts.pop();
    } else parts.push(piece);
  }
  return parts.join('/');
}
