import type { ByteSource } from '../../core/byte-source.js';
import type { Limits } from '../../core/limits.js';
import { fail, ok, type ReadResult } from '../../core/read-result.js';

/*
 * A tar reader that lists members without extracting anything. Tar matters for pickle scanning because
 * torch.load still accepts the pre-1.0 tar checkpoint layout: `_legacy_load` opens any file that parses as a
 * tar and unpickles its `storages`, `tensors` and `pickle` members (verified with torch 1.13). Attackers also
 * wrap payloads in tar so that scanners skip them.
 */

/** Tar blocks are 512 bytes; headers, data and padding all come in whole blocks. */
export const TAR_BLOCK = 512;
/** Longest GNU long-name / PAX record read into memory; real names are far shorter (PATH_MAX is 4096). */
export const MAX_TAR_NAME = 64 * 1024;
/** Offset of the `ustar` magic in a header block. */
const MAGIC_OFFSET = 257;

/** One member as its header (and any preceding PAX or GNU long-name record) describes it. */
export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** Raw typeflag character, for evidence. */
  typeflag: string;
  size: number;
  /** Absolute offset of the member data in the source. */
  dataOffset: number;
  headerOffset: number;
  linkName: string;
  mode: number;
}

/** Kinds of structural surprises, each a way extraction or a loader can see other bytes than a scanner. */
export type TarAnomalyKind = 'path-traversal' | 'symlink' | 'hardlink' | 'duplicate-name' | 'bad-checksum' | 'truncated' | 'trailing-data' | 'device';

/** One anomaly with a precise message. */
export interface TarAnomaly {
  kind: TarAnomalyKind;
  entry?: string;
  offset?: number;
  message: string;
}

/** A tar archive read without extracting anything. */
export interface TarArchive {
  entries: TarEntry[];
  anomalies: TarAnomaly[];
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return (nul >= 0 ? raw.subarray(0, nul) : raw).toString('utf8');
}

/** Numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function numeric(block: Buffer, start: number, length: number): number | null {
  const raw = block.subarray(start, start + length);
  if (raw[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < raw.length; i++) value = value * 256 + raw[i]!;
    return Number.isSafeInteger(value) ? value : null;
  }
  const text = raw.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return null;
  return Number.parseInt(text, 8);
}

/** Header checksum check as Python's tarfile does it: unsigned or signed byte sums both accepted. */
export function validTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK) return false;
  const stored = numeric(block, 148, 8);
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Content test: a first block that is a well-formed tar header (its checksum holds; V7 tar has no magic). */
export function sniffTar(head: Buffer): boolean {
  if (head.length < TAR_BLOCK) return false;
  if (head.every((b, i) => i >= TAR_BLOCK || b === 0)) return false;
  return validTarHeader(head.subarray(0, TAR_BLOCK));
}

const TYPES: Readonly<Record<string, TarEntry['type']>> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory', '2': 'symlink', '1': 'hardlink' };

/** Path problems an extraction would act on: `..` segments, absolute paths, drive letters. */
function traversal(name: string): boolean {
  return name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

/** List the members of a tar archive; limits checked before each allocation; never throws. */
export function readTar(source: ByteSource, limits: Limits): ReadResult<TarArchive> {
  const entries: TarEntry[] = [];
  const anomalies: TarAnomaly[] = [];
  const names = new Set<string>();
  let position = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let paxPath: string | undefined;
  let paxLink: string | undefined;
  while (position + TAR_BLOCK <= source.size) {
    const block = source.read(position, TAR_BLOCK);
    if (block.every((b) => b === 0)) {
      // End of archive: two zero blocks. Anything non-zero after them is data tar readers ignore.
      const rest = source.size - position - 2 * TAR_BLOCK;
      if (rest > 0) {
        const tail = source.read(position + 2 * TAR_BLOCK, Math.min(rest, 1 << 20));
        if (tail.some((b) => b !== 0)) anomalies.push({ kind: 'trailing-data', offset: position + 2 * TAR_BLOCK, message: `${rest} bytes after the end-of-archive blocks` });
      }
      return ok({ entries, anomalies });
    }
    if (!validTarHeader(block)) {
      if (entries.length === 0) return fail({ kind: 'malformed', message: 'first block is not a valid tar header', offset: position });
      anomalies.push({ kind: 'bad-checksum', offset: position, message: `header at byte ${position} has a bad checksum; tar readers stop here` });
      return ok({ entries, anomalies });
    }
    const size = numeric(block, 124, 12);
    if (size === null) return fail({ kind: 'malformed', message: `header at byte ${position} has an unreadable size`, offset: position });
    const typeflag = String.fromCharCode(block[156]!);
    const dataOffset = position + TAR_BLOCK;
    const next = dataOffset + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x') {
      if (size > MAX_TAR_NAME) return fail({ kind: 'limit', message: `long-name record of ${size} bytes over ${MAX_TAR_NAME}`, offset: position, limit: 'maxTarName' });
      const text = source.read(dataOffset, size).toString('utf8');
      if (typeflag === 'L') longName = text.replace(/\0+$/, '');
      else if (typeflag === 'K') longLink = text.replace(/\0+$/, '');
      else {
        for (const match of text.matchAll(/\d+ (path|linkpath)=([^\n]*)\n/g)) {
          if (match[1] === 'path') paxPath = match[2];
          else paxLink = match[2];
        }
      }
      position = next;
      continue;
    }
    if (entries.length >= limits.maxZipEntries) {
      return fail({ kind: 'limit', message: `more than ${limits.maxZipEntries} archive entries`, offset: position, limit: 'maxZipEntries' });
    }
    const prefix = field(block, 345, 155);
    const baseName = field(block, 0, 100);
    const name = paxPath ?? longName ?? (prefix && block.subarray(MAGIC_OFFSET, MAGIC_OFFSET + 5).toString('latin1') === 'ustar' ? `${prefix}/${baseName}` : baseName);
    const linkName = paxLink ?? longLink ?? field(block, 157, 100);
    longName = longLink = paxPath = paxLink = undefined;
    const type = TYPES[typeflag] ?? 'other';
    const entry: TarEntry = { name, type, typeflag, size: type === 'file' ? size : 0, dataOffset, headerOffset: position, linkName, mode: numeric(block, 100, 8) ?? 0 };
    entries.push(entry);
    if (traversal(name)) anomalies.push({ kind: 'path-traversal', entry: name, offset: position, message: `member name ${JSON.stringify(name)} escapes the extraction folder` });
    if (type === 'symlink' || type === 'hardlink') {
      anomalies.push({ kind: type, entry: name, offset: position, message: `${type} ${JSON.stringify(name)} -> ${JSON.stringify(linkName)}${traversal(linkName) ? ' (target outside the archive)' : ''}` });
    }
    if (typeflag === '3' || typeflag === '4' || typeflag === '6') anomalies.push({ kind: 'device', entry: name, offset: position, message: `device or FIFO member ${JSON.stringify(name)}` });
    if (names.has(name)) anomalies.push({ kind: 'duplicate-name', entry: name, offset: position, message: `member ${JSON.stringify(name)} appears twice; extraction keeps the last, readers may take either` });
    names.add(name);
    if (type === 'file' && dataOffset + size > source.size) {
      anomalies.push({ kind: 'truncated', entry: name, offset: position, message: `member ${JSON.stringify(name)} declares ${size} bytes but the archive ends first` });
      return ok({ entries, anomalies });
    }
    position = next;
  }
  if (entries.length === 0) return fail({ kind: 'truncated', message: 'no complete tar header', offset: 0 });
  anomalies.push({ kind: 'truncated', offset: position, message: 'archive ends without end-of-archive blocks' });
  return ok({ entries, anomalies });
}
