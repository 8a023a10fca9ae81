import type { Finding } from './finding.js';
import type { Severity } from './severity.js';

/** Version of the JSON result contract (docs/result.schema.json). Bump on any incompatible change. */
export const RESULT_VERSION = '1.0.0';

/**
 * How far one file was read: `scanned` completely; `partial` read but some part could not be (a corrupt
 * stretch, a limit); `failed` nothing useful could be read; `skipped` not a format antidote scans.
 */
export type FileStatus = 'scanned' | 'partial' | 'failed' | 'skipped';

/** Status of the whole run: `failed` when no input could be read at all. */
export type RunStatus = 'succeeded' | 'partial' | 'failed';

/** One scanned object: a file on disk or a member inside a container. */
export interface FileRecord {
  path: string;
  /** Format detected from the bytes (never from the extension): `pickle`, `pytorch-zip`, `zip`, `numpy`, ... */
  format: string;
  status: FileStatus;
  /** Size in bytes (uncompressed size for archive members). */
  size: number;
  /** Hex sha256 of the bytes when hashing was requested, otherwise null. */
  sha256: string | null;
  /** Why the status is not `scanned`, in words. */
  reason?: string;
}

/** Metadata of one detector, joined into reports (SARIF `rules`); the detector's own fields, nothing else. */
export interface RuleInfo {
  /** Detector id, e.g. `model/pickle-globals`. */
  id: string;
  title: string;
  description: string;
  remediation: string;
  defaultSeverity: Severity;
  /** OWASP LLM Top 10 and MITRE ATLAS ids, plus CVE/CWE ids the rule stops. */
  tags: string[];
}

/** Everything a scan produced; reporters are pure functions of this object. */
export interface ScanResult {
  version: string;
  tool: { name: 'antidote'; version: string };
  status: RunStatus;
  startedAt: string;
  durationMs: number;
  /** The inputs as given on the command line. */
  inputs: string[];
  findings: Finding[];
  files: FileRecord[];
  /** Metadata of every rule that produced a finding. */
  rules: RuleInfo[];
  /** Count of findings per severity. */
  summary: Record<Severity, number>;
}
