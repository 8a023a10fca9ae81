/**
 * Named limits against hostile input (CWE-770 uncontrolled allocation, CWE-674 uncontrolled recursion,
 * CWE-409 decompression bombs). Every reader checks them before allocating; exceeding one is itself a
 * finding and makes the file `partial`, never clean. All are overridable by policy or flags.
 */
export interface Limits {
  /** Opcodes per pickle stream. Bounds CPU on streams of tiny opcodes; a 1 GB checkpoint has far fewer. */
  maxOpcodes: number;
  /** Memo entries tracked per pickle. Real checkpoints memoise one entry per object; 1M is far above that. */
  maxMemo: number;
  /** Symbolic stack items plus MARK depth. CPython itself has no limit, but we model values, so we must. */
  maxStackDepth: number;
  /** Longest string kept as a value (module and attribute names, short text). Longer ones are skipped, not buffered. */
  maxStringLength: number;
  /** Pickles concatenated in one stream. Legacy torch files hold 5; anything past this is a finding. */
  maxPicklesPerStream: number;
  /** Entries in one archive (zip central directory, tar headers). torch checkpoints hold one per tensor storage. */
  maxZipEntries: number;
  /** Bytes one compressed member or stream may expand to in memory. */
  maxMemberBytes: number;
  /** Bytes of decompressed data per scan run, across every member and stream (bomb guard). */
  maxTotalUncompressed: number;
  /** Uncompressed/compressed ratio above which a member counts as a bomb (applied past 1 MiB of output). */
  maxCompressionRatio: number;
  /** Containers inside containers (zip in gzip in zip ...). */
  maxNestingDepth: number;
  /** Bytes scanned forward for a plausible pickle restart after a corrupt opcode. */
  maxResyncScan: number;
  /** Bytes of a .npy header (numpy itself refuses headers over 10,000 bytes without allow-unsafe). */
  maxNpyHeader: number;
}

/** Defaults chosen so that real checkpoints of any size pass while bombs and floods stop early. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxOpcodes: 500_000_000,
  maxMemo: 4_000_000,
  maxStackDepth: 1_000_000,
  maxStringLength: 1 << 20,
  maxPicklesPerStream: 64,
  maxZipEntries: 200_000,
  maxMemberBytes: 512 * 1024 * 1024,
  maxTotalUncompressed: 4 * 1024 * 1024 * 1024,
  maxCompressionRatio: 1000,
  maxNestingDepth: 6,
  maxResyncScan: 64 * 1024 * 1024,
  maxNpyHeader: 1 << 20,
});

/** Merge user overrides over the defaults, ignoring keys that are not limits. */
export function resolveLimits(overrides: Partial<Limits> | undefined): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  if (!overrides) return limits;
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const value = overrides[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) limits[key] = value;
  }
  return limits;
}
