import type { ReadError } from '../../core/index.js';
import { crc32 } from '../../core/crc32.js';
import { joinParts, type Decoded } from './output-cap.js';
import { deflatePrefix, runZlib } from './zlib-run.js';

/**
 * Members the slow member-by-member walk decodes. Each costs a fresh zlib engine (~12 µs); the walk only
 * runs after the fast path failed, to place the error and keep the good members, so a bound that stops a
 * million tiny members from costing seconds loses nothing real.
 */
export const MAX_GZIP_MEMBERS_WALKED = 4096;

const FTEXT_FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const GZIP_FIXED_HEADER_BYTES = 10;
const GZIP_TRAILER_BYTES = 8;
const GZIP_MAGIC_AND_METHOD = Buffer.from([0x1f, 0x8b, 0x08]);

type HeaderOutcome = { dataStart: number } | { error: ReadError };

/**
 * Parse one member header the way CPython's gzip._read_gzip_header does: magic, method 8, then the optional
 * fields its flags announce. Reserved flag bits are ignored, as CPython ignores them (zlib refuses them).
 */
function readMemberHeader(input: Buffer, start: number): HeaderOutcome {
  const truncated = (what: string): HeaderOutcome => ({
    error: { kind: 'truncated', offset: input.length, message: `gzip member at ${start} ends inside its header (${what})` },
  });
  // Judge the bytes that are there before complaining about the ones that are not, as CPython does.
  const present = input.subarray(start, start + 3);
  if (!present.equals(GZIP_MAGIC_AND_METHOD.subarray(0, present.length))) {
    if (present.length < 2 || present[0] !== 0x1f || present[1] !== 0x8b) {
      return { error: { kind: 'malformed', offset: start, message: `no gzip magic at ${start}: Python's gzip raises BadGzipFile here` } };
    }
    return { error: { kind: 'malformed', offset: start + 2, message: `gzip member at ${start} uses compression method ${input[start + 2]}, not deflate` } };
  }
  if (input.length - start < GZIP_FIXED_HEADER_BYTES) return truncated('fixed fields');
  const flags = input[start + 3]!;
  let at = start + GZIP_FIXED_HEADER_BYTES;
  if (flags & FEXTRA) {
    if (at + 2 > input.length) return truncated('extra field length');
    at += 2 + input.readUInt16LE(at);
    if (at > input.length) return truncated('extra field');
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const end = input.indexOf(0, at);
      if (end < 0) return truncated(flag === FNAME ? 'file name' : 'comment');
      at = end + 1;
    }
  }
  if (flags & FTEXT_FHCRC) {
    at += 2;
    if (at > input.length) return truncated('header CRC');
  }
  return { dataStart: at };
}

/**
 * Decode gzip member by member with CPython's rules (header fields, zero padding between members, CRC-32 and
 * ISIZE checked per member), producing at most `room` bytes. The slow path of inflateGzip: it reports the
 * exact offset of a bad member and returns the output of every member before it.
 */
export function inflateGzipMembers(input: Buffer, room: number, overflowError: (offset: number) => ReadError): Decoded {
  const parts: Buffer[] = [];
  let total = 0;
  let produced = 0;
  let position = 0;
  const result = (error: ReadError | null): Decoded => ({ data: joinParts(parts, total), error, produced: Math.max(produced, total) });

  for (let members = 0; ; members++) {
    if (members >= MAX_GZIP_MEMBERS_WALKED) {
      return result({
        kind: 'limit',
        limit: 'MAX_GZIP_MEMBERS_WALKED',
        offset: position,
        message: `more than ${MAX_GZIP_MEMBERS_WALKED} gzip members after a corrupt one; the rest was not decoded`,
      });
    }
    const header = readMemberHeader(input, position);
    if ('error' in header) return result(header.error);
    const body = input.subarray(header.dataStart);
    const run = runZlib('raw', body, room - total);
    if (run.kind === 'overflow') {
      const prefix = deflatePrefix('raw', body, room - total);
      parts.push(prefix);
      total += prefix.length;
      produced = room;
      return result(overflowError(position));
    }
    if (run.kind === 'truncated') {
      const partial = runZlib('raw', body, room - total, true);
      if (partial.kind === 'ok') {
        parts.push(partial.output);
        total += partial.output.length;
      }
      return result({ kind: 'truncated', offset: input.length, message: `gzip member at ${position} ends inside its deflate data` });
    }
    if (run.kind !== 'ok') {
      const detail = run.kind === 'corrupt' ? run.message : 'a preset dictionary is required';
      return result({ kind: 'malformed', offset: header.dataStart, message: `deflate data of the gzip member at ${position} is corrupt: ${detail}` });
    }
    parts.push(run.output);
    total += run.output.length;
    const trailer = header.dataStart + run.consumed;
    if (trailer + GZIP_TRAILER_BYTES > input.length) {
      return result({ kind: 'truncated', offset: input.length, message: `gzip member at ${position} ends before its CRC-32 and size trailer` });
    }
    if (input.readUInt32LE(trailer) !== crc32(run.output)) {
      return result({
        kind: 'malformed',
        offset: trailer,
        message: `CRC-32 mismatch in the gzip member at ${position}: Python raises BadGzipFile only after handing over its data`,
      });
    }
    if (input.readUInt32LE(trailer + 4) !== run.output.length % 2 ** 32) {
      return result({ kind: 'malformed', offset: trailer + 4, message: `size trailer of the gzip member at ${position} does not match its data` });
    }
    position = trailer + GZIP_TRAILER_BYTES;
    while (position < input.length && input[position] === 0) position++;
    if (position >= input.length) return result(null);
  }
}
