import type { Detector } from '../../src/core/detector.js';
import type { Finding } from '../../src/core/finding.js';
import { DEFAULT_LIMITS } from '../../src/core/limits.js';
import { loadPicklePolicy } from '../../src/policy/pickle-policy.js';
import { FindingCollector } from '../../src/scan/collector.js';

const policy = loadPicklePolicy();

/** Run one detector on one artifact, as the engine would, and return its findings (the RuleTester shape). */
export function runDetector<I>(detector: Detector<I, any>, artifact: I, options: { strict?: boolean; path?: string } = {}): Finding[] {
  const collector = new FindingCollector({ strict: options.strict ?? false, limits: DEFAULT_LIMITS, picklePolicy: policy });
  collector.run([detector], detector.input, artifact, options.path ?? 'sample');
  return collector.findings;
}

/** `messageId:severity` of each finding, for compact data-driven assertions. */
export function brief(findings: Finding[]): string[] {
  return findings.map((f) => `${f.messageId}:${f.severity}`);
}
