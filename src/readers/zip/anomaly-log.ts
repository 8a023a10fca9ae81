import type { ZipAnomaly, ZipAnomalyKind } from './zip-archive.js';

/**
 * Anomalies kept per kind. A hostile archive with 200,000 entries that all mismatch would otherwise turn
 * into 200,000 findings (CWE-770 on the report side); past this count the rest are only counted.
 */
export const MAX_ANOMALIES_PER_KIND = 1000;

/** Collects anomalies with a per-kind cap, then reports how many were dropped. */
export class AnomalyLog {
  private readonly kept: ZipAnomaly[];
  private readonly counts = new Map<ZipAnomalyKind, number>();

  constructor(into: ZipAnomaly[] = []) {
    this.kept = into;
    for (const anomaly of into) this.counts.set(anomaly.kind, (this.counts.get(anomaly.kind) ?? 0) + 1);
  }

  /** Record one anomaly (dropped, but counted, past the cap for its kind). */
  add(anomaly: ZipAnomaly): void {
    const count = (this.counts.get(anomaly.kind) ?? 0) + 1;
    this.counts.set(anomaly.kind, count);
    if (count <= MAX_ANOMALIES_PER_KIND) this.kept.push(anomaly);
  }

  /** True when at least one anomaly of `kind` was recorded. */
  has(kind: ZipAnomalyKind): boolean {
    return (this.counts.get(kind) ?? 0) > 0;
  }

  /** The kept anomalies plus one `anomalies-truncated` record per kind that overflowed. */
  finish(): ZipAnomaly[] {
    for (const [kind, count] of this.counts) {
      if (count > MAX_ANOMALIES_PER_KIND && kind !== 'anomalies-truncated') {
        this.kept.push({
          kind: 'anomalies-truncated',
          message: `${count} '${kind}' anomalies found; only the first ${MAX_ANOMALIES_PER_KIND} are listed`,
        });
      }
    }
    return this.kept;
  }
}
