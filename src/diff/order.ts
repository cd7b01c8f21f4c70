/**
 * The order of a diff's steps: a dependency sort (pg-schema-diff's model).
 * An object is created after the objects it depends on, and dropped before
 * them. Where dependencies leave the choice open, steps keep their phase
 * (differ.ts PHASES), then the order their differ gave them, then the order
 * differs ran in: so the sort moves a step only where the phases alone would
 * be wrong (a view dropped before a view selecting from it, say).
 */
import type { ObjectRef } from '../catalog/objectRef.js';
import { PHASES, type PlannedStep } from './differ.js';
import type { Step } from './step.js';

/** What a dependency names: tables and views share PostgreSQL's relation names (a view may select from either). */
export function dependencyKey(target: ObjectRef): string {
  switch (target.kind) {
    case 'table':
    case 'view':
      return JSON.stringify(['relation', target.name]);
    case 'constraint':
      return JSON.stringify(['constraint', target.table, target.name]);
    default:
      return JSON.stringify(target);
  }
}

function compareOrder(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (a[i] as number) - (b[i] as number);
    return String(a[i]) < String(b[i]) ? -1 : 1;
  }
  return a.length - b.length;
}

export function orderSteps(steps: PlannedStep[]): Step[] {
  const ranked = steps
    .map((p, emitted) => ({ p, emitted, phase: PHASES.indexOf(p.phase) }))
    .sort((a, b) => a.phase - b.phase || compareOrder(a.p.order, b.p.order) || a.emitted - b.emitted)
    .map((r) => r.p);

  // Edges between ranks: `before[r]` must run before each of `successors[r]`.
  const creates = new Map<string, number[]>();
  const drops = new Map<string, number[]>();
  ranked.forEach((p, r) => {
    const byKey = p.step.action === 'create' ? creates : p.step.action === 'drop' ? drops : null;
    if (!byKey) return;
    const key = dependencyKey(p.step.target);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  });
  const successors: number[][] = ranked.map(() => []);
  const indegree: number[] = ranked.map(() => 0);
  let edges = 0;
  const edge = (first: number, then: number) => {
    if (first === then) return;
    successors[first].push(then);
    indegree[then]++;
    edges++;
  };
  ranked.forEach((p, r) => {
    for (const dependency of p.dependsOn) {
      const key = dependencyKey(dependency);
      if (p.step.action === 'drop') for (const t of drops.get(key) ?? []) edge(r, t);
      else for (const t of creates.get(key) ?? []) edge(t, r);
    }
  });
  if (edges === 0) return ranked.map((p) => p.step);

  // Kahn's algorithm, always taking the lowest-ranked step that is free to run.
  const ready = new MinHeap();
  indegree.forEach((d, r) => d === 0 && ready.push(r));
  const done: boolean[] = ranked.map(() => false);
  const out: Step[] = [];
  while (out.length < ranked.length) {
    let r = ready.pop();
    // A cycle (a false dependency both ways): the lowest-ranked step left goes first.
    if (r === undefined) r = done.indexOf(false);
    if (done[r]) continue;
    done[r] = true;
    out.push(ranked[r].step);
    for (const t of successors[r]) if (--indegree[t] === 0 && !done[t]) ready.push(t);
  }
  return out;
}

class MinHeap {
  private items: number[] = [];

  push(value: number): void {
    const a = this.items;
    a.push(value);
    for (let i = a.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (a[parent] <= a[i]) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
