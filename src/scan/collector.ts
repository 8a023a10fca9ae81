import { formatMessage, type Detector, type DetectorContext, type DetectorOptions } from '../core/detector.js';
import type { Finding } from '../core/finding.js';
import type { RuleInfo } from '../core/result.js';

/**
 * Runs detectors and gathers their reports into findings. Detector exceptions are caught here: a detector
 * bug becomes a finding on the object being scanned, never a crashed scan.
 */
export class FindingCollector {
  readonly findings: Finding[] = [];
  private readonly rules = new Map<string, RuleInfo>();

  constructor(private readonly options: DetectorOptions) {}

  /** Run every detector in `detectors` whose input kind is `input` on `artifact` at `path`. */
  run<I>(detectors: readonly Detector<any, any>[], input: string, artifact: I, path: string): void {
    for (const detector of detectors) {
      if (detector.input !== input) continue;
      const context = this.contextFor(detector, path);
      try {
        detector.run(artifact, context);
      } catch (error) {
        this.findings.push({
          ruleId: detector.id,
          severity: 'medium',
          messageId: 'internal-error',
          message: `detector failed on this object (${error instanceof Error ? error.message : String(error)}); the object is not verified by it`,
          location: { path },
          evidence: {},
        });
        this.remember(detector);
      }
    }
  }

  /** Metadata of every rule that produced a finding, in first-seen order. */
  ruleInfos(): RuleInfo[] {
    return [...this.rules.values()];
  }

  private remember(detector: Detector<any, any>): void {
    if (this.rules.has(detector.id)) return;
    this.rules.set(detector.id, {
      id: detector.id,
      title: detector.title,
      description: detector.description,
      remediation: detector.remediation,
      defaultSeverity: detector.defaultSeverity,
      tags: [...detector.tags],
    });
  }

  private contextFor(detector: Detector<any, any>, path: string): DetectorContext<Record<string, string>> {
    return {
      path,
      options: this.options,
      report: (report) => {
        const template = (detector.messages as Record<string, string>)[report.messageId];
        const evidence = { ...(report.evidence ?? {}) };
        for (const key of Object.keys(evidence) as (keyof typeof evidence)[]) {
          if (evidence[key] === undefined) delete evidence[key];
        }
        this.findings.push({
          ruleId: detector.id,
          severity: report.severity ?? detector.defaultSeverity,
          messageId: report.messageId,
          message: formatMessage(template ?? report.messageId, report.data),
          location: { ...report.location, path: report.location?.path ?? path },
          evidence,
        });
        this.remember(detector);
      },
    };
  }
}
