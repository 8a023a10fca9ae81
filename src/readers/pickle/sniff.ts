import { OPCODES, HIGHEST_PROTOCOL } from './opcodes.js';

/**
 * Cheap content test: could these bytes start a pickle? `binary` when they start with PROTO (every pickle
 * CPython writes at protocol 2+); `weak` when the first byte is any other valid opcode: CPython accepts a
 * pickle that starts with any opcode (`K\x00` `0` then a payload runs), so only a parse can decide, and the
 * caller parses weak starts in probe mode. Never decided by file extension (CVE-2025-1889, CVE-2025-10155).
 */
export function sniffPickle(head: Buffer): 'binary' | 'weak' | null {
  if (head.length === 0) return null;
  const first = head[0]!;
  if (first === 0x80) return head.length > 1 && head[1]! <= HIGHEST_PROTOCOL ? 'binary' : null;
  return OPCODES[first] === undefined ? null : 'weak';
}
