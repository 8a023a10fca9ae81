import * as crypto from 'node:crypto';

const { createHash } = crypto;

/*
 * RFC 6962 (Certificate Transparency) Merkle tree over a dataset's rows, built in one streaming pass with
 * O(log n) memory. Domain separation stops second-preimage attacks that pass an inner node off as a leaf:
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right). The leaf data is one kind byte
 * (0x01 row, 0x02 bad row) followed by the row's canonical UTF-8 text or the bad row's raw bytes, so a bad
 * row can never collide with a good row.
 */

/** Leaf kind byte for a row that was read: followed by its canonical encoding. */
export const LEAF_ROW = 0x01;
/** Leaf kind byte for a row that could not be read: followed by its raw bytes. */
export const LEAF_BAD = 0x02;

const ROW_LEAF_PREFIX = Buffer.from([0x00, LEAF_ROW]);
const BAD_LEAF_PREFIX = Buffer.from([0x00, LEAF_BAD]);
/** The same two bytes as text: code points below 0x80 are one UTF-8 byte each, so prefix + text hashes alike. */
const ROW_LEAF_TEXT_PREFIX = String.fromCharCode(0x00, LEAF_ROW);
const NODE_PREFIX = Buffer.from([0x01]);

/**
 * One-shot SHA-256 (`crypto.hash`, Node 20.12+): about twice as fast as createHash() for row-sized inputs,
 * which matters at two hashes per row. Older Node falls back to createHash().
 */
const oneShot: ((data: string | Buffer) => Buffer) | undefined =
  typeof (crypto as { hash?: unknown }).hash === 'function' ? (data) => crypto.hash('sha256', data, 'buffer') : undefined;

/** SHA-256 leaf hash of one row (32 bytes): SHA-256(0x00 || kind || payload). */
export function leafHash(kind: typeof LEAF_ROW | typeof LEAF_BAD, payload: Uint8Array | string): Buffer {
  if (oneShot) {
    if (typeof payload === 'string' && kind === LEAF_ROW) return oneShot(ROW_LEAF_TEXT_PREFIX + payload);
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    return oneShot(Buffer.concat([kind === LEAF_ROW ? ROW_LEAF_PREFIX : BAD_LEAF_PREFIX, bytes]));
  }
  return createHash('sha256')
    .update(kind === LEAF_ROW ? ROW_LEAF_PREFIX : BAD_LEAF_PREFIX)
    .update(payload)
    .digest();
}

/** 0x01 || left || right, rewritten for each node: one scratch buffer instead of a concatenation per node. */
const nodeInput = Buffer.alloc(65, 0x01);

/** SHA-256 inner node hash (32 bytes). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (oneShot && left.length === 32 && right.length === 32) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 33);
    return oneShot(nodeInput);
  }
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The root of an empty tree: SHA-256 of the empty string (RFC 6962 section 2.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

/**
 * Streaming builder: push leaf hashes in order, read the root at the end. Keeps one perfect subtree per set
 * bit of the count; folding them right to left gives RFC 6962's tree, whose left subtree always holds the
 * largest power of two below n.
 */
export class MerkleBuilder {
  private readonly stack: { height: number; hash: Buffer }[] = [];
  private count = 0;

  /** Number of leaves pushed. */
  get size(): number {
    return this.count;
  }

  /** Append one leaf hash. */
  push(leaf: Buffer): void {
    let node = { height: 0, hash: leaf };
    this.count++;
    for (let top = this.stack[this.stack.length - 1]; top && top.height === node.height; top = this.stack[this.stack.length - 1]) {
      this.stack.pop();
      node = { height: node.height + 1, hash: nodeHash(top.hash, node.hash) };
    }
    this.stack.push(node);
  }

  /** The root over every leaf pushed so far (the builder stays usable). */
  root(): Buffer {
    const last = this.stack[this.stack.length - 1];
    if (!last) return EMPTY_ROOT;
    let acc = last.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

/** Reference recursive definition of RFC 6962 MTH, for tests and small inputs. */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return nodeHash(merkleRoot(leaves.slice(0, split)), merkleRoot(leaves.slice(split)));
}
