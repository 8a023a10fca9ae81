import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, type ByteSource } from '../../../src/core/byte-source.js';
import { ByteWindow, fieldBudget, FieldWalker, MAX_MESSAGE_DEPTH, readRepeatedVarint, readVarint, type WireField } from '../../../src/readers/protobuf/index.js';
import { pb, tag, varint } from '../../builders/protobuf.js';

const walk = (bytes: Buffer, budget = fieldBudget()) => {
  const walker = new FieldWalker(new ByteWindow(bufferSource(bytes)), 0, bytes.length, budget);
  const fields: WireField[] = [];
  for (let f = walker.next(); f; f = walker.next()) fields.push(f);
  return { fields, error: walker.error, position: walker.position };
};

/** A source that claims `size` bytes but holds only `bytes`: any read past them throws, any huge read would too. */
function sparse(bytes: Buffer, size: number): ByteSource {
  return {
    size,
    read(position, length) {
      if (length > 1 << 20) throw new Error(`read of ${length} bytes`);
      if (position >= bytes.length) throw new Error(`read at ${position} on a sparse source`);
      return bytes.subarray(position, Math.min(bytes.length, position + length));
    },
  };
}

describe('protobuf wire decoder', () => {
  it('varints round-trip over the whole 64-bit range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (value) => {
        const bytes = varint(value);
        const read = readVarint(new ByteWindow(bufferSource(bytes)), 0, bytes.length);
        expect(read.ok && read.value).toBe(value);
        expect(read.ok && read.next).toBe(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes every wire type with offsets and payload ranges', () => {
    const bytes = Buffer.concat([pb.varint(1, 300), pb.fixed64(2, 2n ** 63n), pb.bytes(3, 'abc'), pb.fixed32(4, 0xdeadbeef)]);
    const { fields, error } = walk(bytes);
    expect(error).toBeNull();
    expect(fields.map((f) => [f.number, f.wireType, f.value])).toEqual([[1, 0, 300n], [2, 1, 2n ** 63n], [3, 2, 0n], [4, 5, 0xdeadbeefn]]);
    const text = fields[2]!;
    expect(bytes.subarray(text.start, text.end).toString()).toBe('abc');
  });

  it('packed and unpacked repeated varints read the same values', () => {
    const window = new ByteWindow(bufferSource(Buffer.concat([pb.packed(1, [2, 3, -1]), pb.varint(1, 7)])));
    const { fields } = walk(Buffer.concat([pb.packed(1, [2, 3, -1]), pb.varint(1, 7)]));
    const values: bigint[] = [];
    for (const f of fields) expect(readRepeatedVarint(window, f, values, 10)).toBeNull();
    expect(values.map((v) => BigInt.asIntN(64, v))).toEqual([2n, 3n, -1n, 7n]);
  });

  it('skips groups, nested ones too', () => {
    const group = Buffer.concat([tag(5, 3), pb.varint(1, 1), tag(6, 3), tag(6, 4), tag(5, 4)]);
    const { fields, error } = walk(Buffer.concat([pb.varint(1, 1), group, pb.varint(2, 2)]));
    expect(error).toBeNull();
    expect(fields.map((f) => f.number)).toEqual([1, 2]);
  });

  const attacks: [string, Buffer, string][] = [
    ['a length prefix claiming 2^60 bytes', pb.lying(1, 2n ** 60n), 'truncated'],
    ['a length prefix one byte past the message', pb.lying(1, 4, Buffer.from('abc')), 'truncated'],
    ['a varint of 11 bytes', Buffer.concat([tag(1, 0), Buffer.alloc(10, 0xff), Buffer.from([1])]), 'malformed'],
    ['a varint cut short', Buffer.concat([tag(1, 0), Buffer.from([0x80, 0x80])]), 'truncated'],
    ['field number 0', Buffer.from([0x02, 0x00]), 'malformed'],
    ['wire type 6', Buffer.from([0x0e, 0x00]), 'malformed'],
    ['an end-group without a start', tag(1, 4), 'malformed'],
    ['a group never closed', tag(1, 3), 'truncated'],
    ['mismatched group ends', Buffer.concat([tag(1, 3), tag(2, 4)]), 'malformed'],
    ['a fixed64 cut short', Buffer.concat([tag(1, 1), Buffer.alloc(4)]), 'truncated'],
    ['groups nested past the depth limit', Buffer.concat([...Array.from({ length: MAX_MESSAGE_DEPTH + 2 }, () => tag(1, 3))]), 'limit'],
  ];
  it.each(attacks)('%s is an error, not an exception', (_name, bytes, kind) => {
    const { error } = walk(bytes);
    expect(error?.kind).toBe(kind);
  });

  it('a length prefix claiming 2^60 bytes allocates nothing even when the source claims to be that large', () => {
    const bytes = pb.lying(1, 2n ** 50n);
    const source = sparse(bytes, 2 ** 52);
    const walker = new FieldWalker(new ByteWindow(source), 0, bytes.length, fieldBudget());
    const field = walker.next();
    expect(field).toBeNull();
    expect(walker.error?.kind).toBe('truncated');
    // Over a message that really is that long, the field is returned without reading its payload.
    const whole = new FieldWalker(new ByteWindow(sparse(bytes, 2 ** 52)), 0, 2 ** 52, fieldBudget()).next();
    expect(whole?.end).toBe(bytes.length + 2 ** 50);
  });

  it('the field budget stops a flood of tiny fields', () => {
    const { error, fields } = walk(Buffer.concat(Array.from({ length: 50 }, () => pb.varint(1, 0))), fieldBudget(10));
    expect(fields).toHaveLength(10);
    expect(error).toMatchObject({ kind: 'limit', limit: 'maxProtobufFields' });
  });

  it('random bytes: never throws, always ends in bounded time', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const start = Date.now();
        const { error, position } = walk(Buffer.from(bytes));
        if (!error) expect(position).toBe(bytes.length);
        expect(Date.now() - start).toBeLessThan(1000);
      }),
      { numRuns: 3000 },
    );
  });
});
