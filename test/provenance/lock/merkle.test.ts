import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, LEAF_ROW, leafHash, MerkleBuilder, merkleRoot, nodeHash } from '../../../src/provenance/lock/merkle.js';

/* RFC 6962 Merkle tree: the streaming builder must give the recursive definition's root for every size. */

const leaf = (i: number): Buffer => leafHash(LEAF_ROW, `{"i":${i}}`);

describe('Merkle tree (RFC 6962)', () => {
  it('the empty tree is SHA-256 of nothing', () => {
    expect(new MerkleBuilder().root().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(EMPTY_ROOT.equals(merkleRoot([]))).toBe(true);
  });

  it('hashes leaves as SHA-256(0x00 || kind || payload) and nodes as SHA-256(0x01 || left || right)', () => {
    const expectedLeaf = createHash('sha256').update(Buffer.from([0x00, 0x01])).update('{"i":0}').digest();
    expect(leaf(0).equals(expectedLeaf)).toBe(true);
    const expectedNode = createHash('sha256').update(Buffer.from([0x01])).update(leaf(0)).update(leaf(1)).digest();
    expect(nodeHash(leaf(0), leaf(1)).equals(expectedNode)).toBe(true);
  });

  it('splits at the largest power of two below n (3 leaves: (0 1) 2; 5 leaves: (0 1 2 3) 4)', () => {
    expect(merkleRoot([leaf(0), leaf(1), leaf(2)]).equals(nodeHash(nodeHash(leaf(0), leaf(1)), leaf(2)))).toBe(true);
    const four = nodeHash(nodeHash(leaf(0), leaf(1)), nodeHash(leaf(2), leaf(3)));
    expect(merkleRoot([0, 1, 2, 3, 4].map(leaf)).equals(nodeHash(four, leaf(4)))).toBe(true);
  });

  it('the streaming builder equals the recursive definition for every size up to 300', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leaf(i));
    const builder = new MerkleBuilder();
    for (let n = 1; n <= leaves.length; n++) {
      builder.push(leaves[n - 1]!);
      expect(builder.root().toString('hex'), `n=${n}`).toBe(merkleRoot(leaves.slice(0, n)).toString('hex'));
    }
  });

  it('a leaf cannot pass for an inner node: two leaves and their node hash differ from one leaf of their concatenation', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), (a, b) => {
        const pair = merkleRoot([leaf(a), leaf(b)]);
        const forged = leafHash(LEAF_ROW, Buffer.concat([leaf(a), leaf(b)]));
        expect(pair.equals(forged)).toBe(false);
      }),
    );
  });
});
