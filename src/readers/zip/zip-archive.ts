/**
 * What the lenient zip reader returns: the entries as torch's miniz would list them, and every place where
 * the bytes let two zip parsers disagree. Detectors turn anomalies into findings; the reader never judges.
 */

/**
 * Kinds of structural surprises. Each one is a way a scanner that parses the archive differently from the
 * loader (torch's miniz, Python's zipfile, a streaming unzip) sees other bytes than the loader executes.
 */
export type ZipAnomalyKind =
  /** Bytes before the first local header: a polyglot prefix (torch.load falls back to legacy pickle when the file does not start with PK\x03\x04). */
  | 'junk-prefix'
  /** Local header name differs from the central directory name (CVE-2025-1944). */
  | 'name-mismatch'
  /** Two central entries share a name, compared case-insensitively as miniz does. */
  | 'duplicate-name'
  /** Reserved or unsupported general-purpose flag bits, or local and central flags differ (CVE-2025-1945). */
  | 'flag-bits'
  /** Encryption bit 0 or strong-encryption bit 6 is set; antidote reads the bytes as plain data. */
  | 'encrypted-flag'
  /** A CRC-32 disagrees: computed vs declared, or local/descriptor vs central (CVE-2025-10156). */
  | 'crc-mismatch'
  /** Sizes disagree: local/descriptor vs central, stored entry with compressed != uncompressed, inflated length vs declared. */
  | 'size-mismatch'
  /** Local header method differs from the central method. */
  | 'method-mismatch'
  /** Zip64 records or fields are present (informational: normal for torch.save checkpoints and archives over 4 GiB). */
  | 'zip64'
  /** No usable central directory: entries come from a walk over local headers. */
  | 'central-directory-missing'
  /** Two entries claim the same bytes (overlapping-file bombs, one payload under two names). */
  | 'overlapping-entries'
  /** Bytes after the EOCD record and its comment. */
  | 'trailing-data'
  /** Bytes inside the archive that no central entry covers, possibly a local header the central directory hides. */
  | 'unlisted-data'
  /** Entry name escapes the extraction directory: `..`, absolute path, drive letter, backslash separator. */
  | 'path-traversal'
  /** Entry name has NUL or control characters (C-string readers and terminals see a different name). */
  | 'suspicious-name'
  /** Entry is a unix symbolic link (external attributes mode 0120000). */
  | 'symlink'
  /** Compression method other than stored or deflate: torch's miniz refuses it, antidote cannot read it. */
  | 'unsupported-method'
  /** Archive or entry comment present (free-form bytes that hide nothing from loaders but can carry data). */
  | 'comment'
  /** The EOCD entry count disagrees with the records found in the central directory. */
  | 'count-mismatch'
  /** A structural defect the reader tolerated: missing local header, entry past end of file, multi-disk fields, bad extra field. */
  | 'malformed'
  /** More anomalies of one kind than the reader keeps; the rest are counted, not listed. */
  | 'anomalies-truncated';

/** One structural surprise; `message` says what was found and which loader reads what. */
export interface ZipAnomaly {
  kind: ZipAnomalyKind;
  /** Central name of the entry concerned, when there is one. */
  entry?: string;
  /** Absolute byte offset in the source. */
  offset?: number;
  /** Length in bytes of the region concerned (junk prefix, gap, trailing data). */
  length?: number;
  message: string;
}

/** One archive member as the central directory (or, without one, its local header) describes it. */
export interface ZipEntry {
  /** Position in the central directory (or in the local-header walk). */
  index: number;
  /** Name from the central directory: the name torch and zipfile look members up by. */
  name: string;
  /** Name from the local header, or null when the local header is unreadable. */
  localName: string | null;
  /** Compression method from the central directory (0 stored, 8 deflate). */
  method: number;
  /** Compression method from the local header, or null when unreadable. */
  localMethod: number | null;
  /** General-purpose flags from the central directory. */
  flags: number;
  /** General-purpose flags from the local header, or null when unreadable. */
  localFlags: number | null;
  /** CRC-32 declared by the central directory. */
  crc32: number;
  /** Compressed size declared by the central directory (zip64 field when present). */
  compressedSize: number;
  /** Uncompressed size declared by the central directory (zip64 field when present). */
  uncompressedSize: number;
  /** Absolute offset of the local header in the source (archive offset already added). */
  localHeaderOffset: number;
  /** Absolute offset of the member data: after the local header's name and extra field, as miniz computes it. */
  dataOffset: number;
  /** Name ends in `/`, or the DOS directory attribute is set (miniz then extracts nothing). */
  isDirectory: boolean;
  /** Unix mode in the external attributes says symbolic link. */
  isSymlink: boolean;
  /** Unix permission and type bits from the external attributes, or null when the entry was not made on unix. */
  unixMode: number | null;
  /** General-purpose bit 0 or 6 is set in the central or local flags. */
  encrypted: boolean;
  /** Flag bit 3: crc and sizes were (also) written in a data descriptor after the data. */
  hasDataDescriptor: boolean;
  /** The entry's sizes or offset came from a zip64 extra field. */
  zip64: boolean;
  /** Where the entry was listed: the central directory, or a local-header walk when that is missing. */
  listedIn: 'central-directory' | 'local-header';
}

/** A zip archive read without extracting anything. */
export interface ZipArchive {
  entries: ZipEntry[];
  anomalies: ZipAnomaly[];
  /**
   * Value added to every offset stored in the archive to get a source offset: non-zero when junk was
   * prepended to an archive whose offsets are relative to its own start (`cat junk a.zip`).
   */
  archiveOffset: number;
  /** Absolute offset and size of the central directory, or null when entries come from a local-header walk. */
  centralDirectory: { offset: number; size: number } | null;
  /** Absolute offset of the EOCD record, or null when none was usable. */
  eocdOffset: number | null;
  /** The archive uses zip64 records or fields. */
  zip64: boolean;
}
