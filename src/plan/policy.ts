/**
 * The hazard policy: which hazards `tm apply` refuses to run unless someone
 * allowed them, and the record of who did.
 *
 * A plan with steps of a gated hazard type (DATA_LOSS) is refused unless the
 * type is allowed by `--allow-hazards` on the command line or by
 * `policy: { allowHazards: [...] }` in tenants.yaml. The plan file cannot
 * record the acceptance (it is immutable: its integrity hash covers it), so
 * apply reports it (text and --json summary) and hands it on with its options
 * for the history row.
 */
import { TmError } from '../errors.js';
import { HAZARD_TYPES, type HazardType } from '../diff/step.js';
import type { Plan } from './types.js';

/** Hazard types apply refuses unless they are allowed. */
export const GATED_HAZARDS: readonly HazardType[] = ['DATA_LOSS'];

export const ALLOW_FLAG = '--allow-hazards';
export const ALLOW_CONFIG = 'tenants.yaml policy.allowHazards';

export type AcceptedBy = typeof ALLOW_FLAG | typeof ALLOW_CONFIG;

/** A hazard type present in the plan that was explicitly allowed, and by what. */
export interface HazardAcceptance {
  type: HazardType;
  /** `--allow-hazards` when given on the command line (it wins when both allow it), else tenants.yaml. */
  by: AcceptedBy;
  /** Steps (counted once per cohort) with this hazard. */
  steps: number;
  /** Tenant schemas those steps run on. */
  tenants: number;
}

/** One step of the plan with a hazard type, for a refusal message. */
export interface HazardOccurrence {
  type: HazardType;
  cohort: string;
  step: number;
  object: string;
  message: string;
  tenants: number;
}

export interface PolicyDecision {
  /** Gated hazard types in the plan that nothing allowed: apply must refuse. */
  refused: HazardType[];
  accepted: HazardAcceptance[];
  /** The steps behind `refused`. */
  occurrences: HazardOccurrence[];
}

/** `--allow-hazards DATA_LOSS --allow-hazards table_rewrite,INDEX_BUILD` → types; unknown names are an error. */
export function parseAllowHazards(values: string[]): HazardType[] {
  const out = new Set<HazardType>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim().toUpperCase().replace(/-/g, '_');
      if (name === '') continue;
      if (!(HAZARD_TYPES as readonly string[]).includes(name)) {
        throw new TmError(`${ALLOW_FLAG} takes hazard types (${HAZARD_TYPES.join(', ')}), not "${part.trim()}".`);
      }
      out.add(name as HazardType);
    }
  }
  return [...out];
}

export function hazardOccurrences(plan: Plan, type: HazardType): HazardOccurrence[] {
  const out: HazardOccurrence[] = [];
  for (const cohort of plan.cohorts) {
    cohort.steps.forEach((step, i) => {
      for (const h of step.hazards) {
        if (h.type === type) out.push({ type, cohort: cohort.id, step: i + 1, object: step.object, message: h.message, tenants: cohort.tenants.length });
      }
    });
  }
  return out;
}

export function evaluateHazardPolicy(plan: Plan, allowed: { flag: HazardType[]; config: HazardType[] }): PolicyDecision {
  const present = new Set<HazardType>(plan.cohorts.flatMap((c) => c.steps.flatMap((s) => s.hazards.map((h) => h.type))));
  const accepted: HazardAcceptance[] = [];
  const refused: HazardType[] = [];
  for (const type of HAZARD_TYPES) {
    if (!present.has(type)) continue;
    const by: AcceptedBy | null = allowed.flag.includes(type) ? ALLOW_FLAG : allowed.config.includes(type) ? ALLOW_CONFIG : null;
    if (by) {
      const occurrences = hazardOccurrences(plan, type);
      const cohorts = new Set(occurrences.map((o) => o.cohort));
      const tenants = plan.cohorts.filter((c) => cohorts.has(c.id)).reduce((n, c) => n + c.tenants.length, 0);
      const steps = new Set(occurrences.map((o) => `${o.cohort}/${o.step}`)).size;
      accepted.push({ type, by, steps, tenants });
    } else if (GATED_HAZARDS.includes(type)) {
      refused.push(type);
    }
  }
  return { refused, accepted, occurrences: refused.flatMap((type) => hazardOccurrences(plan, type)) };
}

/** How many steps a refusal lists before "and N more". */
const LISTED = 10;

/** The refusal as a TmError: which steps of which cohorts, and how to allow them. */
export function refusalError(plan: Plan, planPath: string, decision: PolicyDecision): TmError {
  const types = decision.refused.join(', ');
  const lines = [`The plan has steps with ${types}, which tm apply runs only when allowed:`];
  for (const o of decision.occurrences.slice(0, LISTED)) {
    lines.push(`  ${o.type}  cohort ${o.cohort} (${o.tenants} schema${o.tenants === 1 ? '' : 's'}), step ${o.step} ${o.object}: ${o.message}`);
  }
  if (decision.occurrences.length > LISTED) lines.push(`  …and ${decision.occurrences.length - LISTED} more (tm show ${planPath} lists them all)`);
  const list = decision.refused.join(',');
  return new TmError(
    lines.join('\n'),
    `Nothing was applied. After reviewing those steps, allow them with: tm apply ${planPath} ${ALLOW_FLAG} ${list}\n` +
      `(or for every apply of this project, in tenants.yaml: policy: { allowHazards: [${decision.refused.join(', ')}] }).`,
  );
}

/** One line for the apply output: what was accepted and by what. */
export function describeAcceptance(accepted: HazardAcceptance[]): string {
  return (
    'Accepted hazards: ' +
    accepted.map((a) => `${a.type} by ${a.by} (${a.steps} step${a.steps === 1 ? '' : 's'} on ${a.tenants} schema${a.tenants === 1 ? '' : 's'})`).join('; ')
  );
}
