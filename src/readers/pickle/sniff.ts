import { OPCODES, HIGHEST_PROTOCOL } from './opcodes.js';

/**
 * Cheap content test: could these first bytes start a pickle? Binary protocols (2+) start with PROTO;
 * protocols 0 and 1 start with any opcode, so those are only accepted for opcodes that begin real pickles
 * (MARK, GLOBAL, containers, INST...) and a full parse decides. Never decided by file extension
 * (CVE-2025-1889: scanners that trusted extensions skipped pickles named `.bin` or `.dat`).
 */
export function sniffPickle(head: Buffer): 'binary' | 'text' | null {
  if (head.length === 0) return null;
  const first = head[0]!;
  if (first === 0x80) return head.length > 1 && head[1]! <= HIGHEST_PROTOCOL ? 'binary' : null;
  if (OPCODES[first] === undefined) return null;
  // Protocol 0/1 starts seen from CPython and hand-written payloads: GLOBAL, MARK, containers, INST, none.
  if (!'c(]})lditNS'.includes(String.fromCharCode(first))) return null;
  if (first === 0x63 /* c */) return /^c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(head.subarray(0, 512).toString('latin1')) ? 'text' : null;
  return 'text';
}
