import type { Finding } from '../../core/finding.js';
import type { FileStatus, RuleInfo, ScanResult } from '../../core/result.js';
import { maxSeverity, severityRank, SEVERITIES, type Severity } from '../../core/severity.js';
import type { CdxProperty, CdxVulnerability } from './cyclonedx-types.js';

/*
 * The scan's verdicts in CycloneDX terms, two ways, because consumers read different places:
 * - per component, `antidote:scan:*` properties (status, verdict, highest severity, counts): present on every
 *   component, so "not scanned" and "scan incomplete" stay visible where a vulnerability list would simply be
 *   empty and look clean;
 * - one `vulnerabilities[]` entry per finding at low or above, with a rating, CWE ids, CVE references and
 *   `affects` pointing at the component: the standard place vulnerability-aware tools (Dependency-Track,
 *   GUAC, cyclonedx-cli diff) read and alert on. Info findings are notes, not weaknesses, and stay out.
 */

/** Findings at or above this severity are weaknesses: counted and listed as vulnerabilities. */
const REPORTED_FROM: Severity = 'low';

/** How much of a component the scan judged, in one word. */
export type ScanVerdict = 'flagged' | 'incomplete' | 'not-scanned' | 'clean';

/** What the scan said about one file on disk (archive members folded into it) or one model folder. */
export interface ScanFacts {
  /** `not-scanned` when there was no scan or no record for the path. */
  status: FileStatus | 'not-scanned';
  findings: Finding[];
}

/** The on-disk path a finding or record belongs to: `a.zip!x/data.pkl` belongs to `a.zip`. */
export function onDiskPath(path: string): string {
  const bang = path.indexOf('!');
  return bang < 0 ? path : path.slice(0, bang);
}

/** Scan facts per on-disk path (files and the folders folder-level detectors judged). */
export function scanFactsByPath(scan: ScanResult | undefined): Map<string, ScanFacts> {
  const facts = new Map<string, ScanFacts>();
  if (!scan) return facts;
  for (const record of scan.files) {
    if (record.path.includes('!')) continue;
    facts.set(record.path, { status: record.status, findings: [] });
  }
  for (const finding of scan.findings) {
    const path = onDiskPath(finding.location.path);
    const entry = facts.get(path) ?? { status: 'not-scanned', findings: [] };
    entry.findings.push(finding);
    facts.set(path, entry);
  }
  return facts;
}

const STATUS_WEIGHT: Record<ScanFacts['status'], number> = { scanned: 0, skipped: 1, 'not-scanned': 2, partial: 3, failed: 4 };

/** The worst of several statuses (failed > partial > not-scanned > skipped > scanned). */
export function worstStatus(statuses: ScanFacts['status'][]): ScanFacts['status'] {
  return statuses.reduce<ScanFacts['status']>((worst, s) => (STATUS_WEIGHT[s] > STATUS_WEIGHT[worst] ? s : worst), 'scanned');
}

function reported(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => severityRank(f.severity) >= severityRank(REPORTED_FROM));
}

/** The one-word verdict: findings first, then how completely the bytes were read. */
export function verdictOf(facts: ScanFacts, scanned: boolean): ScanVerdict {
  if (!scanned) return 'not-scanned';
  if (reported(facts.findings).length > 0) return 'flagged';
  if (facts.status === 'partial' || facts.status === 'failed') return 'incomplete';
  if (facts.status === 'skipped' || facts.status === 'not-scanned') return 'not-scanned';
  return 'clean';
}

/** The `antidote:scan:*` properties of one component. */
export function scanProperties(facts: ScanFacts, scanned: boolean): CdxProperty[] {
  const weaknesses = reported(facts.findings);
  const props: CdxProperty[] = [
    { name: 'antidote:scan:status', value: scanned ? facts.status : 'not-scanned' },
    { name: 'antidote:scan:verdict', value: verdictOf(facts, scanned) },
  ];
  if (!scanned) return props;
  props.push({ name: 'antidote:scan:highest-severity', value: maxSeverity(weaknesses.map((f) => f.severity)) ?? 'none' });
  props.push({ name: 'antidote:scan:findings', value: String(weaknesses.length) });
  for (const severity of [...SEVERITIES].reverse()) {
    const n = weaknesses.filter((f) => f.severity === severity).length;
    if (n > 0) props.push({ name: `antidote:scan:findings:${severity}`, value: String(n) });
  }
  return props;
}

function locationText(finding: Finding): string {
  const l = finding.location;
  const parts = [l.path];
  if (l.offset !== undefined) parts.push(`offset ${l.offset}`);
  if (l.pickleIndex !== undefined) parts.push(`pickle ${l.pickleIndex}`);
  if (l.row !== undefined) parts.push(`row ${l.row}`);
  if (l.jsonPath !== undefined) parts.push(l.jsonPath);
  return parts.join(', ');
}

const ANTIDOTE: { name: string } = { name: 'antidote' };

/** Stable order for findings: by component, most severe first, then rule, place and message. */
function compareFindings(a: { ref: string; finding: Finding }, b: { ref: string; finding: Finding }): number {
  const key = (x: { ref: string; finding: Finding }): string[] => [
    x.ref,
    String(9 - severityRank(x.finding.severity)),
    x.finding.ruleId,
    x.finding.location.path,
    String(x.finding.location.offset ?? -1).padStart(20, '0'),
    x.finding.message,
  ];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
}

/**
 * One vulnerability per finding at low or above. `refOf` maps a finding's on-disk path to the bom-ref of the
 * component it affects; a finding whose path has no component keeps its location in a property.
 */
export function vulnerabilitiesOf(scan: ScanResult | undefined, refOf: (path: string) => string | undefined): CdxVulnerability[] {
  if (!scan) return [];
  const rules = new Map<string, RuleInfo>(scan.rules.map((r) => [r.id, r]));
  const placed = reported(scan.findings).map((finding) => ({ ref: refOf(onDiskPath(finding.location.path)) ?? '', finding }));
  placed.sort(compareFindings);
  return placed.map(({ ref, finding }, i) => {
    const rule = rules.get(finding.ruleId);
    const tags = rule?.tags ?? [];
    const cwes = tags.map((t) => /^CWE-(\d+)$/.exec(t)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    const cves = tags.filter((t) => /^CVE-\d{4}-\d+$/.test(t));
    const props: CdxProperty[] = [{ name: 'antidote:location', value: locationText(finding) }];
    if (finding.evidence.match !== undefined) props.push({ name: 'antidote:evidence:match', value: finding.evidence.match });
    if (finding.evidence.rule !== undefined) props.push({ name: 'antidote:evidence:rule', value: finding.evidence.rule });
    for (const tag of tags.filter((t) => !/^(CWE|CVE)-/.test(t))) props.push({ name: 'antidote:tag', value: tag });
    const vulnerability: CdxVulnerability = {
      'bom-ref': `finding-${i + 1}`,
      id: finding.ruleId,
      source: ANTIDOTE,
      ...(cves.length > 0 ? { references: cves.map((id) => ({ id, source: { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` } })) } : {}),
      ratings: [{ source: ANTIDOTE, severity: finding.severity as CdxVulnerability['ratings'][number]['severity'], method: 'other' }],
      ...(cwes.length > 0 ? { cwes } : {}),
      ...(rule ? { description: `${rule.title}. ${rule.description}` } : {}),
      detail: finding.message,
      ...(rule ? { recommendation: rule.remediation } : {}),
      // A finding about a folder that is no component (a lone weight file's parent) keeps only its location.
      ...(ref === '' ? {} : { affects: [{ ref }] }),
      properties: props,
    };
    return vulnerability;
  });
}
