/**
 * What the fault suite did, counted as it goes and printed once at the end
 * (a root hook: .mocharc.faults.json requires this file). The README's
 * reliability section quotes these figures.
 */
export interface Figures {
  /** Faults injected into real processes and a real server, by kind ("SIGKILL of tm apply", …). */
  faults: Record<string, number>;
  /** Tenant schemas whose state (before / after, fingerprint, data) a test checked, counted once per check. */
  schemasChecked: number;
  /** Rows whose contents a test verified by checksum (counted once per check). */
  rowsVerified: number;
  /** Hostile inputs fed to the real binary (files, plans, names, options, environment). */
  hostileInputs: number;
  /** Outputs (stdout, stderr, files, history rows) scanned for secrets. */
  outputsScanned: number;
}

export const figures: Figures = { faults: {}, schemasChecked: 0, rowsVerified: 0, hostileInputs: 0, outputsScanned: 0 };

export function faultInjected(kind: string, n = 1): void {
  figures.faults[kind] = (figures.faults[kind] ?? 0) + n;
}

export function summary(): string {
  const faults = Object.entries(figures.faults);
  const total = faults.reduce((n, [, k]) => n + k, 0);
  const lines = [
    'Fault suite figures:',
    `  faults injected:     ${total}${faults.length ? ` (${faults.map(([k, n]) => `${n} ${k}`).join(', ')})` : ''}`,
    `  schema states checked: ${figures.schemasChecked}`,
    `  rows verified:       ${figures.rowsVerified}`,
    `  hostile inputs tried: ${figures.hostileInputs}`,
    `  outputs scanned for secrets: ${figures.outputsScanned}`,
  ];
  return lines.join('\n');
}

export const mochaHooks = {
  afterAll(): void {
    process.stdout.write('\n' + summary() + '\n');
  },
};
