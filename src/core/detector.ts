import type { Evidence, Location } from './finding.js';
import type { Limits } from './limits.js';
import type { RuleInfo } from './result.js';
import type { Severity } from './severity.js';

/** What a detector needs from its surroundings; the scan presets filter on these. */
export interface DetectorRequirements {
  /** Talks to the network. Never true for `scan` detectors (offline by default). */
  network: boolean;
  /** Might execute the artifact. Such detectors only run with `--allow-unsafe`; none exist today. */
  unsafe: boolean;
}

/** One report from a detector; the context fills in the rule id, path and message text. */
export interface DetectorReport<M extends Record<string, string>> {
  messageId: keyof M & string;
  /** Values for `{{name}}` placeholders in the message. */
  data?: Record<string, string | number>;
  /** Overrides the detector's default severity for this instance (e.g. imported vs called). */
  severity?: Severity;
  /** Location inside the object being scanned; `path` defaults to the object's path. */
  location?: Partial<Location>;
  evidence?: Evidence;
}

/** How an import policy judged one global, and which entry decided it. */
export interface ImportVerdict {
  verdict: 'allow' | 'deny' | 'unknown';
  /** The deciding entry, e.g. `allow:collections.OrderedDict`, `deny:os`, or `none`. */
  rule: string;
  reason?: string;
}

/** Judges pickle globals; implemented by the policy layer from data files. */
export interface ImportPolicy {
  judge(module: string, name: string): ImportVerdict;
}

/** Options every detector may read. */
export interface DetectorOptions {
  /** `--strict`: unknown imports count as high rather than medium. */
  strict: boolean;
  limits: Limits;
  picklePolicy: ImportPolicy;
}

/** Handed to `run()`: where the input came from and how to report. */
export interface DetectorContext<M extends Record<string, string>> {
  /** Display path of the scanned object (`archive.ext!member`). */
  path: string;
  options: DetectorOptions;
  report(report: DetectorReport<M>): void;
}

/**
 * A detector: metadata once (the same fields reports carry as {@link RuleInfo}; `id` equals the detector's
 * path under src/detectors), evidence per finding (the SARIF rules/results split).
 */
export interface Detector<I = unknown, M extends Record<string, string> = Record<string, string>> extends RuleInfo {
  messages: M;
  requires: DetectorRequirements;
  /** The kind of artifact this detector reads, e.g. `pickle`, `zip`, `numpy`, `file`. */
  input: string;
  run(input: I, context: DetectorContext<M>): void;
}

/** Identity function that types a detector definition (the eslint `createRule` shape). */
export function defineDetector<I, M extends Record<string, string>>(detector: Detector<I, M>): Detector<I, M> {
  return detector;
}

/** Fill `{{name}}` placeholders; unknown placeholders are left as they are so a typo stays visible. */
export function formatMessage(template: string, data: Record<string, string | number> | undefined): string {
  if (!data) return template;
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) =>
    Object.prototype.hasOwnProperty.call(data, key) ? String(data[key]) : whole,
  );
}
