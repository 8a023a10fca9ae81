import { createHash } from 'node:crypto';
import type { Evidence, Finding } from '../core/finding.js';
import type { FileRecord, RuleInfo, ScanResult } from '../core/result.js';
import type { Severity } from '../core/severity.js';

/*
 * SARIF 2.1.0 (OASIS), shaped for GitHub code scanning: rules carry `security-severity` and the `security`
 * tag, results carry `partialFingerprints`, and every uri is a relative reference to the file in the
 * repository. Archive members cannot be a uri of their own (GitHub resolves uris against the checkout),
 * so a member's result points at the outer file and names the member in a logical location.
 */

/** The schema the log declares; the OASIS errata-01 location of the 2.1.0 schema. */
const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Where a person reads about the tool; the npm page of the `antidote` package. */
const INFORMATION_URI = 'https://www.npmjs.com/package/antidote';

/** Key of our fingerprint in `partialFingerprints`; the `/v1` lets the hash recipe change without clashes. */
const FINGERPRINT_KEY = 'antidoteFindingHash/v1';

/** SARIF result levels; `none` (not a problem) is never used: even an info finding is worth a note. */
const LEVEL: Readonly<Record<Severity, SarifLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub maps these scores to its critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9) and low labels. */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

/** Descriptors of the notifications about files that could not be read completely. */
const NOTIFICATIONS = [
  {
    id: 'antidote/file-partial',
    name: 'FilePartial',
    shortDescription: { text: 'A file was read only in part' },
    fullDescription: {
      text: 'Part of the file could not be read (corrupt stretch, unsupported feature or a limit); findings cover only what was read, and the rest is not known to be clean.',
    },
    defaultConfiguration: { level: 'warning' },
  },
  {
    id: 'antidote/file-failed',
    name: 'FileFailed',
    shortDescription: { text: 'A file could not be read' },
    fullDescription: { text: 'Nothing useful could be read from the file; it is not known to be clean.' },
    defaultConfiguration: { level: 'error' },
  },
] as const;

type SarifLevel = 'error' | 'warning' | 'note';

interface ArtifactLocation {
  uri: string;
  index?: number;
}

interface Artifact {
  location: ArtifactLocation;
  parentIndex?: number;
  length?: number;
  roles?: string[];
  hashes?: Record<string, string>;
  properties: Record<string, unknown>;
}

interface SarifLocation {
  physicalLocation: { artifactLocation: ArtifactLocation; region?: { byteOffset: number } };
  logicalLocations?: { name: string; fullyQualifiedName: string; kind: string }[];
  properties?: Record<string, unknown>;
}

interface ReportingDescriptor {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: SarifLevel };
  properties: { tags: string[]; 'security-severity': string; defaultSeverity: Severity };
}

/**
 * Render a scan result as a SARIF 2.1.0 log with one run: rules from `result.rules`, one result per
 * finding, an artifact per scanned object (members nested under their archive), and a tool-execution
 * notification for every file that was read only in part or not at all.
 */
export function renderSarif(result: ScanResult): string {
  const artifacts = new ArtifactTable(result.files);
  const rules = new RuleTable(result.rules);
  const results = result.findings.map((finding) => sarifResult(finding, rules, artifacts));
  const notifications = result.files
    .filter((file) => file.status === 'partial' || file.status === 'failed')
    .map((file) => fileNotification(file, artifacts));
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'antidote',
            fullName: `antidote ${result.tool.version}`,
            version: result.tool.version,
            semanticVersion: result.tool.version,
            informationUri: INFORMATION_URI,
            rules: rules.descriptors,
            notifications: NOTIFICATIONS,
          },
        },
        invocations: [invocation(result, notifications)],
        // Results are built first: they may add artifacts for paths the files list does not name.
        artifacts: artifacts.artifacts,
        results,
        properties: {
          resultVersion: result.version,
          runStatus: result.status,
          inputs: result.inputs,
          summary: result.summary,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function invocation(result: ScanResult, notifications: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {
    // A run that read some files but not others did execute: the unread files are error- or
    // warning-level notifications. Only a run that could read nothing at all failed to execute.
    executionSuccessful: result.status !== 'failed',
  };
  const start = Date.parse(result.startedAt);
  if (!Number.isNaN(start)) {
    out.startTimeUtc = new Date(start).toISOString();
    if (Number.isFinite(result.durationMs) && result.durationMs >= 0) {
      out.endTimeUtc = new Date(start + Math.round(result.durationMs)).toISOString();
    }
  }
  out.toolExecutionNotifications = notifications;
  return out;
}

function sarifResult(finding: Finding, rules: RuleTable, artifacts: ArtifactTable): Record<string, unknown> {
  const { location } = finding;
  const ruleIndex = rules.indexOf(finding.ruleId, finding.severity);
  const locationProperties: Record<string, unknown> = {};
  if (location.offset !== undefined) locationProperties.offset = location.offset;
  if (location.pickleIndex !== undefined) locationProperties.pickleIndex = location.pickleIndex;
  if (location.row !== undefined) locationProperties.row = location.row;
  if (location.jsonPath !== undefined) locationProperties.jsonPath = location.jsonPath;
  const sarifLocation = artifacts.locationOf(location.path);
  // A byte offset is relative to the object at `path`; for a member that is the decompressed member, not
  // the outer file the uri names, so only top-level files get a region.
  if (location.offset !== undefined && sarifLocation.logicalLocations === undefined) {
    sarifLocation.physicalLocation.region = { byteOffset: location.offset };
  }
  if (Object.keys(locationProperties).length > 0) {
    sarifLocation.properties = { ...sarifLocation.properties, ...locationProperties };
  }
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity] ?? 'warning',
    message: { text: finding.message },
    locations: [sarifLocation],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
    properties: {
      severity: finding.severity,
      'security-severity': SECURITY_SEVERITY[finding.severity],
      messageId: finding.messageId,
      path: location.path,
      evidence: plainEvidence(finding.evidence),
    },
  };
}

/**
 * Stable across runs and machines: rule, display path and what matched, but not the offset, which moves
 * whenever a checkpoint is re-saved. Two findings that differ only in offset are the same alert.
 */
function fingerprint(finding: Finding): string {
  return createHash('sha256')
    .update(`${finding.ruleId}\u0000${finding.location.path}\u0000${finding.evidence.match ?? ''}`, 'utf8')
    .digest('hex');
}

function plainEvidence(evidence: Evidence): Record<string, unknown> {
  return Object.fromEntries(Object.entries(evidence).filter(([, value]) => value !== undefined));
}

function fileNotification(file: FileRecord, artifacts: ArtifactTable): Record<string, unknown> {
  const failed = file.status === 'failed';
  const reason = file.reason ?? (failed ? 'could not be read' : 'was read only in part');
  return {
    descriptor: { id: failed ? 'antidote/file-failed' : 'antidote/file-partial', index: failed ? 1 : 0 },
    level: failed ? 'error' : 'warning',
    message: { text: `${file.path}: ${reason}` },
    locations: [artifacts.locationOf(file.path)],
    properties: { path: file.path, status: file.status, format: file.format },
  };
}

/** `tool.driver.rules`, indexed by id; findings of rules missing from the result get a stub descriptor. */
class RuleTable {
  readonly descriptors: ReportingDescriptor[] = [];
  private readonly index = new Map<string, number>();

  constructor(rules: readonly RuleInfo[]) {
    for (const rule of rules) {
      if (this.index.has(rule.id)) continue;
      this.add(rule);
    }
  }

  indexOf(ruleId: string, severity: Severity): number {
    const known = this.index.get(ruleId);
    if (known !== undefined) return known;
    return this.add({
      id: ruleId,
      title: ruleId,
      description: `No description was recorded for ${ruleId} in this result.`,
      remediation: 'See the documentation of the rule.',
      defaultSeverity: severity,
      tags: [],
    });
  }

  private add(rule: RuleInfo): number {
    const tags = rule.tags.includes('security') ? [...rule.tags] : [...rule.tags, 'security'];
    this.descriptors.push({
      id: rule.id,
      name: ruleName(rule.id),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.description },
      help: { text: rule.remediation },
      defaultConfiguration: { level: LEVEL[rule.defaultSeverity] ?? 'warning' },
      properties: {
        // GitHub only reads `security-severity` from rules tagged `security`.
        tags,
        'security-severity': SECURITY_SEVERITY[rule.defaultSeverity] ?? '5.5',
        defaultSeverity: rule.defaultSeverity,
      },
    });
    const position = this.descriptors.length - 1;
    this.index.set(rule.id, position);
    return position;
  }
}

/** `model/pickle-globals` -> `ModelPickleGlobals`: SARIF wants an identifier-like name beside the id. */
function ruleName(id: string): string {
  const name = id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
  return name.length > 0 ? name : 'Rule';
}

/**
 * `run.artifacts`, one per display path, created on first use. A member `a.zip!x/y.pkl` is an artifact
 * whose uri is its path inside the container and whose `parentIndex` is the container's artifact.
 */
class ArtifactTable {
  readonly artifacts: Artifact[] = [];
  private readonly index = new Map<string, number>();
  private readonly known: ReadonlySet<string>;

  constructor(files: readonly FileRecord[]) {
    this.known = new Set(files.map((file) => file.path));
    for (const file of files) {
      const position = this.ensure(file.path);
      const artifact = this.artifacts[position];
      if (!artifact) continue;
      // Rebuilt rather than patched so every artifact lists its keys in the same order.
      this.artifacts[position] = {
        location: artifact.location,
        ...(artifact.parentIndex === undefined ? {} : { parentIndex: artifact.parentIndex }),
        length: file.size,
        ...(artifact.roles === undefined ? {} : { roles: artifact.roles }),
        ...(file.sha256 === null ? {} : { hashes: { 'sha-256': file.sha256 } }),
        properties: {
          ...artifact.properties,
          format: file.format,
          status: file.status,
          ...(file.reason === undefined ? {} : { reason: file.reason }),
        },
      };
    }
  }

  /** A result location for `path`: the outer file's uri, plus a logical location naming the member. */
  locationOf(path: string): SarifLocation {
    const chain = splitContainers(path, this.known);
    const outer = chain[0] ?? path;
    const location: SarifLocation = {
      physicalLocation: { artifactLocation: { uri: fileUri(outer), index: this.ensure(outer) } },
    };
    if (chain.length > 1) {
      this.ensure(path);
      const member = chain.slice(1).join('!');
      location.logicalLocations = [{ name: member, fullyQualifiedName: path, kind: 'member' }];
      location.properties = { memberPath: member };
    }
    return location;
  }

  private ensure(path: string): number {
    const existing = this.index.get(path);
    if (existing !== undefined) return existing;
    const chain = splitContainers(path, this.known);
    let artifact: Artifact;
    if (chain.length > 1) {
      const parent = path.slice(0, path.length - (chain[chain.length - 1] ?? '').length - 1);
      const parentIndex = this.ensure(parent);
      artifact = {
        location: { uri: memberUri(chain[chain.length - 1] ?? '') },
        parentIndex,
        properties: { path },
      };
    } else {
      artifact = { location: { uri: fileUri(path) }, roles: ['analysisTarget'], properties: { path } };
    }
    this.artifacts.push(artifact);
    const position = this.artifacts.length - 1;
    this.index.set(path, position);
    return position;
  }
}

/**
 * Split `a.zip!b.tar!c.pkl` into `[a.zip, b.tar, c.pkl]`. A file name may itself contain `!`, so a
 * boundary counts only where the prefix before it is a scanned object; with none known, every `!` counts.
 */
function splitContainers(path: string, known: ReadonlySet<string>): string[] {
  const boundaries: number[] = [];
  for (let i = path.indexOf('!'); i !== -1; i = path.indexOf('!', i + 1)) boundaries.push(i);
  if (boundaries.length === 0) return [path];
  const knownBoundaries = boundaries.filter((i) => known.has(path.slice(0, i)));
  const cuts = knownBoundaries.length > 0 || known.has(path) ? knownBoundaries : boundaries;
  const parts: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    parts.push(path.slice(start, cut));
    start = cut + 1;
  }
  parts.push(path.slice(start));
  return parts;
}

/** A UTF-16 surrogate without its partner; encodeURIComponent throws URIError on one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Percent-encode one path segment. Also encodes `:`, so a first segment never reads as a URI scheme, and
 * turns a lone surrogate (a hostile member name) into U+FFFD instead of throwing.
 */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment.replace(LONE_SURROGATE, '\ufffd'));
}

/**
 * A file path as a URI reference: relative paths stay relative (GitHub resolves them against the checkout),
 * absolute POSIX, drive-letter and UNC paths become `file:` URIs.
 */
export function fileUri(path: string): string {
  const drive = /^([A-Za-z]):[\\/]/.exec(path);
  if (drive) {
    const rest = path.slice(3).split(/[\\/]/).map(encodeSegment).join('/');
    return `file:///${drive[1]}:/${rest}`;
  }
  if (path.startsWith('\\\\')) {
    const [host = '', ...rest] = path.slice(2).split(/[\\/]/);
    return `file://${encodeSegment(host)}/${rest.map(encodeSegment).join('/')}`;
  }
  if (path.startsWith('/')) return `file://${path.split('/').map(encodeSegment).join('/')}`;
  const segments = path.split('/');
  while (segments.length > 1 && segments[0] === '.') segments.shift();
  return segments.map(encodeSegment).join('/');
}

/** A member name as a URI reference relative to its container (SARIF §3.24.3 nested artifacts). */
function memberUri(member: string): string {
  return member.split('/').map(encodeSegment).join('/');
}
