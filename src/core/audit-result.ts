import type { Finding } from './finding.js';
import type { FileStatus, RuleInfo, RunStatus } from './result.js';
import type { Severity } from './severity.js';

/*
 * The JSON result of `antidote audit` (docs/audit-result.schema.json, docs/audit.md). Findings have the
 * same shape as `scan` findings, so the text and SARIF reporters read both; on top, an audit lists the
 * suspect rows (each with its score and the reasons every detector gave) and the triggers it named.
 */

/** Version of the audit result contract. Bump the major on any incompatible change. */
export const AUDIT_RESULT_VERSION = '1.0.0';

/** One reason a row is suspect, from one detector. */
export interface RowReason {
  /** Detector id, e.g. `dataset/fixed-output`. */
  rule: string;
  /** In [0, 1]: how sure that detector is. */
  score: number;
  /** One line for a person. */
  message: string;
  /** The trigger this row carries, when the reason is a trigger. */
  trigger?: string;
}

/** One suspect row: 0-based index in file order, merged score, every reason. */
export interface AuditRow {
  /** Dataset file the row is in (as given on the command line). */
  path: string;
  row: number;
  /** 1-based line where the row starts (text formats), for a person to find it. */
  line?: number;
  /** Merged score in [0, 1] (noisy-OR of the reasons' scores). */
  score: number;
  /** True when `score` is at or above the threshold: the row goes to `--quarantine`. */
  flagged: boolean;
  reasons: RowReason[];
}

/** One named trigger and the rows that carry it. */
export interface AuditTrigger {
  path: string;
  /** The trigger as written in the data; parts that need not be adjacent are joined by ` … `. */
  text: string;
  score: number;
  /** Detector id that named it. */
  rule: string;
  /** What rows carrying it are taught: `fixed response "..."`, `label Negative`, `refusal`. */
  behaviour: string;
  /** Row indices (0-based, file order) carrying the trigger and showing the behaviour. */
  rows: number[];
  details?: Record<string, string | number | boolean>;
}

/** One audited dataset file. */
export interface AuditFile {
  path: string;
  /** Format the reader detected (`jsonl`, `csv`, `parquet`...), or `unknown`. */
  format: string;
  /** Shape of the rows: alpaca, chat, preference, classification, text, unknown. */
  shape: string;
  status: FileStatus;
  /** Size of the file in bytes, when known. */
  bytes?: number;
  /** Rows in the file, bad rows included. */
  rows: number;
  /** Rows that could not be read or mapped. */
  badRows: number;
  /** Rows at or above the threshold. */
  flaggedRows: number;
  reason?: string;
}

/** Everything one audit produced; reporters are pure functions of this object. */
export interface AuditResult {
  version: string;
  tool: { name: 'antidote'; version: string };
  status: RunStatus;
  startedAt: string;
  durationMs: number;
  inputs: string[];
  /** Row score at or above which a row is flagged. */
  threshold: number;
  files: AuditFile[];
  findings: Finding[];
  /** Suspect rows (any reason), flagged or not, in file order per file. */
  rows: AuditRow[];
  triggers: AuditTrigger[];
  rules: RuleInfo[];
  summary: Record<Severity, number>;
}
