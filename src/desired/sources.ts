/**
 * The desired-state sources of a project, in the order their SQL runs in the
 * scratch schema (a later source may build on what an earlier one created).
 * A new source (source.ts) is listed here.
 */
import { documentationSource } from './documentation.js';
import { prismaSource } from './prisma.js';
import type { DesiredSource } from './source.js';

/** What the sources are made from: the Prisma schema folder's files. */
export interface DesiredInput {
  files: { path: string; content: string }[];
  /** tenants.yaml's documentationComments: `///` documentation becomes table and column comments. */
  documentationComments?: boolean;
}

export function desiredSources(input: DesiredInput): DesiredSource[] {
  return [prismaSource(input.files), ...(input.documentationComments ? [documentationSource(input.files)] : [])];
}
