/**
 * The formats `tm show` renders a plan in, by name: a new one is an entry here.
 */
import type { Plan } from '../plan/types.js';
import { renderPlanJson } from './planJson.js';
import { renderPlanMarkdown } from './planMarkdown.js';
import { renderShowText } from './showText.js';
import { paintPlanText, type Style } from './style.js';

export interface PlanFormatOptions {
  /** Show each step's SQL (text and markdown). */
  sql: boolean;
  /** The plan file as the reader names it. */
  planPath: string;
  /** Colours for a terminal (text). */
  style: Style;
  /** tenants.yaml's metadataSchema, where the backups live (text); asked only by the formats that show it. */
  metadataSchema: () => string;
}

export const PLAN_FORMATS = {
  /** What `tm plan` printed: the plan, then what its kind adds (backups, rollback details). */
  text: (plan: Plan, options: PlanFormatOptions) => paintPlanText(renderShowText(plan, { sql: options.sql, metadataSchema: options.metadataSchema() }), options.style),
  /** A pull-request comment. */
  markdown: (plan: Plan, options: PlanFormatOptions) => renderPlanMarkdown(plan, { planPath: options.planPath, sql: options.sql }),
  /** A documented, versioned shape for other tools. */
  json: (plan: Plan) => renderPlanJson(plan),
} satisfies Record<string, (plan: Plan, options: PlanFormatOptions) => string>;

export type PlanFormat = keyof typeof PLAN_FORMATS;

export function isPlanFormat(name: string): name is PlanFormat {
  return Object.hasOwn(PLAN_FORMATS, name);
}
