import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/*
 * From a JSON pointer (what a schema validator reports) back to the YAML source: the node it names and the
 * line and column where that node starts. The YAML tree is walked rather than re-parsed, so what a user sees
 * is where they wrote the value, anchors and flow style included.
 */

/** 1-based line and column. */
export interface LineCol {
  line: number;
  col: number;
}

/** Split a JSON pointer (`/a/0/b~1c`) into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Where a path of keys and indices is written: the value's node, or with `key` the key's node. */
export function positionOf(doc: Document, lines: LineCounter, segments: readonly (string | number)[], options: { key?: boolean } = {}): LineCol {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  // The deepest node found so far: a pointer into something the YAML does not hold (a missing key) still
  // lands on the map it is missing from.
  let best: unknown = doc.contents;
  for (const [i, segment] of segments.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    keyNode = undefined;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair) {
        keyNode = pair.key;
        // `key:` with nothing after it has no value node; the key is where it is written.
        next = pair.value ?? pair.key;
      }
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    }
    if (next === undefined || next === null) break;
    node = next;
    best = options.key && keyNode && i === segments.length - 1 ? keyNode : next;
  }
  return startOf(best, lines);
}

function startOf(node: unknown, lines: LineCounter): LineCol {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return { line: 1, col: 1 };
  return lines.linePos(range[0]);
}
