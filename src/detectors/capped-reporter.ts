import type { DetectorContext } from '../core/detector.js';
import type { Evidence, Location } from '../core/finding.js';
import { severityRank, type Severity } from '../core/severity.js';

/** What one report carries besides its message id and severity. */
export interface ReportBody {
  data?: Record<string, string | number>;
  location?: Partial<Location>;
  evidence?: Evidence;
}

/** Report with an explicit severity; past the cap, reports of that message id are only counted. */
export type CappedReport<Id extends string> = (messageId: Id, severity: Severity, body: ReportBody) => void;

/**
 * A reporter that lists at most `max` findings per message id (a hostile header can hold 200,000 URLs) and,
 * on `flush()`, one `moreFindings` finding per capped id at the highest severity it swallowed: counted,
 * never dropped silently. Detectors using it declare a `moreFindings` message with `{{count}}` and
 * `{{messageId}}`.
 */
export function cappedReporter<M extends Record<string, string> & { moreFindings: string }>(
  context: DetectorContext<M>,
  max: number,
): { report: CappedReport<keyof M & string>; flush(): void } {
  const reported = new Map<string, number>();
  const omitted = new Map<string, { count: number; severity: Severity }>();
  return {
    report(messageId, severity, body) {
      const count = reported.get(messageId) ?? 0;
      if (count >= max) {
        const skipped = omitted.get(messageId) ?? { count: 0, severity };
        skipped.count++;
        if (severityRank(severity) > severityRank(skipped.severity)) skipped.severity = severity;
        omitted.set(messageId, skipped);
        return;
      }
      reported.set(messageId, count + 1);
      context.report({ messageId, severity, ...body });
    },
    flush() {
      for (const [messageId, { count, severity }] of omitted) {
        context.report({ messageId: 'moreFindings', severity, data: { count, messageId }, evidence: { details: { messageId, omitted: count } } });
      }
    },
  };
}
