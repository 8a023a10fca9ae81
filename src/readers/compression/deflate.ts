import type { ReadError } from '../../core/index.js';
import { inflateGzipMembers } from './gzip-members.js';
import { joinParts, overCapError, shiftError, type Decoded, type OutputCap } from './output-cap.js';
import { deflatePrefix, runZlib } from './zlib-run.js';

/**
 * Runs of gzip members separated by zero padding. node:zlib decodes back-to-back members in one call but
 * stops at padding, so each run costs a fresh zlib engine (~12 µs): a file of a million padded one-byte
 * members would be a CPU bomb. Real multi-member files (pigz -i, bgzip) never pad between members.
 */
export const MAX_GZIP_SEGMENTS = 1024;

/**
 * Decode a gzip file: every member, as Python's gzip module does (zero padding between and after members is
 * skipped; anything else after a member is trailing garbage). The fast path is node:zlib's multi-member
 * gunzip; when it reports corrupt data, the member-by-member walk finds which member is bad and keeps the
 * output of the good ones, and also reads members with reserved header flags set, which zlib refuses and
 * Python accepts.
 */
export function inflateGzip(input: Buffer, cap: OutputCap): Decoded {
  const parts: Buffer[] = [];
  let total = 0;
  let position = 0;
  let segments = 0;
  const result = (error: ReadError | null, produced = total): Decoded => ({ data: joinParts(parts, total), error, produced });

  for (;;) {
    if (++segments > MAX_GZIP_SEGMENTS) {
      return result({
        kind: 'limit',
        limit: 'MAX_GZIP_SEGMENTS',
        offset: position,
        message: `more than ${MAX_GZIP_SEGMENTS} runs of gzip members separated by zero padding: a CPU bomb, not a real file`,
      });
    }
    const room = cap.bytes - total;
    const rest = input.subarray(position);
    const run = runZlib('gzip', rest, room);
    if (run.kind === 'overflow') {
      const prefix = deflatePrefix('gzip', rest, room);
      parts.push(prefix);
      total += prefix.length;
      return result(overCapError(cap, 'gzip stream', position), cap.bytes);
    }
    if (run.kind === 'truncated') {
      const partial = runZlib('gzip', rest, room, true);
      if (partial.kind === 'ok') {
        parts.push(partial.output);
        total += partial.output.length;
      }
      return result({ kind: 'truncated', offset: input.length, message: 'gzip stream ends before its last member is complete' });
    }
    if (run.kind !== 'ok') {
      // Corrupt data, a trailing non-gzip member, or a header zlib refuses: walk member by member for the
      // exact place and the good output before it.
      const walked = inflateGzipMembers(rest, room, (offset) => overCapError(cap, 'gzip stream', offset));
      parts.push(walked.data);
      total += walked.data.length;
      return result(shiftError(walked.error, position), total - walked.data.length + walked.produced);
    }
    parts.push(run.output);
    total += run.output.length;
    position += run.consumed;
    let next = position;
    while (next < input.length && input[next] === 0) next++;
    if (next >= input.length) return result(null);
    if (input[next] !== 0x1f || input[next + 1] !== 0x8b) {
      return result({
        kind: 'malformed',
        offset: next,
        message: `${input.length - next} bytes of trailing data after the last gzip member (Python's gzip raises BadGzipFile there, after handing over the members before it)`,
      });
    }
    position = next;
  }
}

/**
 * Decode one zlib stream (joblib's default `compress=True`/`compress=3` format). Bytes after the end of the
 * stream are trailing garbage: Python's zlib.decompress ignores them, joblib's reader loops on them.
 */
export function inflateZlib(input: Buffer, cap: OutputCap, what = 'zlib stream'): Decoded {
  const run = runZlib('zlib', input, cap.bytes);
  if (run.kind === 'overflow') {
    const prefix = deflatePrefix('zlib', input, cap.bytes);
    return { data: prefix, error: overCapError(cap, what, 0), produced: cap.bytes };
  }
  if (run.kind === 'truncated') {
    const partial = runZlib('zlib', input, cap.bytes, true);
    const data = partial.kind === 'ok' ? partial.output : Buffer.alloc(0);
    return { data, error: { kind: 'truncated', offset: input.length, message: `${what} ends before its end-of-stream block and checksum` }, produced: data.length };
  }
  if (run.kind === 'needs-dictionary') {
    return { data: Buffer.alloc(0), error: { kind: 'unsupported', offset: 0, message: `${what} needs a preset dictionary, which no pickle loader supplies` }, produced: 0 };
  }
  if (run.kind === 'corrupt') {
    return { data: Buffer.alloc(0), error: { kind: 'malformed', message: `${what} is corrupt: ${run.message}` }, produced: 0 };
  }
  if (run.consumed < input.length) {
    return {
      data: run.output,
      error: { kind: 'malformed', offset: run.consumed, message: `${input.length - run.consumed} bytes of trailing data after the ${what}` },
      produced: run.output.length,
    };
  }
  return { data: run.output, error: null, produced: run.output.length };
}
