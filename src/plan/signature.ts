/**
 * Plan signing. The integrity hash (build.ts) is unkeyed: it catches a plan
 * edited by mistake, but whoever edits one on purpose can compute it again.
 * With TM_PLAN_KEY set in the environment (or .env), the plans tm writes
 * carry an HMAC-SHA256 of their integrity hash under that key, and
 * `tm apply` refuses a plan that is unsigned or signed with another key: CI
 * that holds the key applies only plans its own `tm plan` wrote.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TmError } from '../errors.js';
import type { Plan } from './types.js';

export const PLAN_KEY_ENV = 'TM_PLAN_KEY';

const PREFIX = 'hmac-sha256:';

/** The key, when the environment sets one; an empty value is an error (a missing CI secret), never "no signing". */
export function planKey(env: Record<string, string | undefined>): string | undefined {
  const key = env[PLAN_KEY_ENV];
  if (key === undefined) return undefined;
  if (key.trim() === '') {
    throw new TmError(`${PLAN_KEY_ENV} is set but empty.`, `Set ${PLAN_KEY_ENV} to the key plans are signed with (a CI secret that is missing shows up this way), or unset it.`);
  }
  return key;
}

function signatureOf(plan: Plan, key: string): string {
  return PREFIX + createHmac('sha256', key).update(plan.integrity).digest('hex');
}

/** The plan with its signature, when there is a key; as it is otherwise. */
export function signPlan(plan: Plan, key: string | undefined): Plan {
  return key === undefined ? plan : { ...plan, signature: signatureOf(plan, key) };
}

/** Refuses a plan the key did not sign (readPlan has already checked its integrity hash against its content). */
export function verifyPlanSignature(plan: Plan, key: string | undefined, path: string): void {
  if (key === undefined) return;
  const hint = `Plans are applied only as \`tm plan\` wrote them with ${PLAN_KEY_ENV} set; run \`tm plan\` again with the same key.`;
  if (!plan.signature) throw new TmError(`${path} is not signed, and ${PLAN_KEY_ENV} is set: tm applies only signed plans. Nothing was applied.`, hint);
  const expected = Buffer.from(signatureOf(plan, key));
  const actual = Buffer.from(plan.signature);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new TmError(`${path} is not signed with ${PLAN_KEY_ENV}: it was signed with another key, or edited and resealed. Nothing was applied.`, hint);
  }
}
