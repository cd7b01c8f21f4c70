/**
 * Reading and writing plan files. Reading checks, in order: JSON syntax, the
 * format version, the JSON Schema (schemas/plan.schema.json), and the
 * integrity hash, so an edited or truncated plan is refused before anything
 * looks at its contents.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TmError } from '../errors.js';
import { planIntegrity } from './build.js';
import { PLAN_FORMAT_VERSION, type Plan } from './types.js';
import { compileSchema } from '../config/jsonSchema.js';

const validatePlanShape = compileSchema('plan.schema.json');

export function defaultPlanPath(projectDir: string, plan: Plan): string {
  return join(projectDir, 'plans', `${plan.id}.plan.json`);
}

export function writePlan(path: string, plan: Plan): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(plan, null, 2) + '\n');
}

export function readPlan(path: string): Plan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TmError(`Cannot read plan file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Give the path of a file written by `tm plan`.');
  }
  return parsePlan(text, path);
}

export function parsePlan(text: string, path: string): Plan {
  let data: any;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new TmError(`${path} is not valid JSON (${(error as Error).message}); it may be truncated.`, 'Run `tm plan` again to write a new plan.');
  }
  if (data?.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new TmError(
      `${path} has plan format version ${JSON.stringify(data?.formatVersion)}; this tm reads version ${PLAN_FORMAT_VERSION}.`,
      'Plan again with this version of tm.',
    );
  }
  const problems = validatePlanShape(data);
  if (problems) throw new TmError(`${path} is not a valid plan: ${problems}`, 'Run `tm plan` again to write a new plan.');
  const plan = data as Plan;
  if (planIntegrity(plan) !== plan.integrity) {
    throw new TmError(
      `${path} was changed after it was written: its integrity hash does not match its content.`,
      'Plans are applied exactly as reviewed; run `tm plan` again instead of editing a plan.',
    );
  }
  return plan;
}
