import type { Severity } from './severity.js';

/**
 * Where one finding sits. `path` is the display path of the scanned object: a file on disk, or an archive
 * member addressed as `archive.ext!member/path` (nested members chain further `!` segments).
 */
export interface Location {
  /** File or member path, `!`-separated through containers. */
  path: string;
  /** Byte offset inside the object at `path` (for pickles: the opcode's offset in its stream). */
  offset?: number;
  /** 0-based index of the pickle in a stream of several concatenated pickles. */
  pickleIndex?: number;
  /** 0-based row, for datasets. */
  row?: number;
  /** JSON path inside a structured document (config files, headers). */
  jsonPath?: string;
}

/** What matched, for a person to check the verdict without re-running the tool. */
export interface Evidence {
  /** The matched thing in words: a global `os.system`, an opcode, a header field. */
  match?: string;
  /** Opcode name that gave the verdict (REDUCE, GLOBAL, ...). */
  opcode?: string;
  /** Policy rule (list entry) that decided the verdict, e.g. `deny:os` or `allow:torch._utils._rebuild_tensor_v2`. */
  rule?: string;
  /** Detector-specific score in [0, 1], when the verdict is statistical. */
  score?: number;
  /** Short excerpt of the raw bytes or text, printable and bounded. */
  excerpt?: string;
  /** Further structured facts; values are scalars so every reporter can print them. */
  details?: Record<string, string | number | boolean>;
}

/** One finding: the instance. Title, description and remediation live on the detector (SARIF rules/results split). */
export interface Finding {
  /** Detector id, e.g. `model/pickle-globals`. */
  ruleId: string;
  severity: Severity;
  /** Key into the detector's `messages`. */
  messageId: string;
  /** The message with its data filled in. */
  message: string;
  location: Location;
  evidence: Evidence;
}
