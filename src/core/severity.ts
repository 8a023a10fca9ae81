/** Severities in ascending order of weight; the order is the contract for `--fail-on`. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** How serious one finding is. */
export type Severity = (typeof SEVERITIES)[number];

/** Numeric rank of a severity (info = 0 ... critical = 4), for comparisons. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is at or above `threshold`. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

/** Type guard for user-supplied severity strings (CLI flags, policy files). */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** The highest severity among `severities`, or undefined for none. */
export function maxSeverity(severities: Iterable<Severity>): Severity | undefined {
  let best: Severity | undefined;
  for (const s of severities) if (best === undefined || severityRank(s) > severityRank(best)) best = s;
  return best;
}
