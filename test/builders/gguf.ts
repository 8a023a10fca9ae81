import { GGUF_TYPES, type GgufType } from '../../src/readers/gguf/index.js';

/**
 * Byte builder for GGUF files (ggml docs/gguf.md): magic, version, tensor count, KV count, the pairs, the
 * tensor infos, padding to 32 bytes, then (fake) tensor data. Hostile variants override one part: the
 * declared counts, the version, the byte order, or cut the output short.
 */

/** A value as the builder takes it; arrays are `[elementType, items]`, nested arrays nest that shape. */
export type GgufBuildValue = number | bigint | boolean | string | GgufBuildArray;
/** An array value: its element type and items. */
export type GgufBuildArray = [GgufType, GgufBuildValue[]];
/** One metadata pair: key, type, value. */
export type GgufBuildKv = [key: string, type: GgufType, value: GgufBuildValue];

/** One tensor info. */
export interface GgufBuildTensor {
  name: string;
  dims: number[];
  /** ggml type code (0 = F32). */
  type?: number;
  offset?: number;
}

/** What to build. */
export interface BuildGgufOptions {
  version?: 1 | 2 | 3 | number;
  kv: GgufBuildKv[];
  tensors?: GgufBuildTensor[];
  /** Cut the file to this many bytes. */
  truncateAt?: number;
  /** Declared KV count written instead of the real one. */
  kvCount?: bigint;
  /** Declared tensor count written instead of the real one. */
  tensorCount?: bigint;
  bigEndian?: boolean;
  /** Bytes of tensor data appended after the aligned tensor infos. */
  dataBytes?: number;
}

class Writer {
  private readonly chunks: Buffer[] = [];
  length = 0;

  constructor(
    private readonly wide: boolean,
    private readonly be: boolean,
  ) {}

  bytes(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }

  u32(value: number): void {
    const b = Buffer.alloc(4);
    if (this.be) b.writeUInt32BE(value >>> 0);
    else b.writeUInt32LE(value >>> 0);
    this.bytes(b);
  }

  u64(value: bigint): void {
    const b = Buffer.alloc(8);
    if (this.be) b.writeBigUInt64BE(value);
    else b.writeBigUInt64LE(value);
    this.bytes(b);
  }

  /** A count or length: u32 in version 1, u64 after. */
  count(value: number | bigint): void {
    if (this.wide) this.u64(BigInt(value));
    else this.u32(Number(value));
  }

  string(text: string): void {
    const b = Buffer.from(text, 'utf8');
    this.count(b.length);
    this.bytes(b);
  }

  scalar(type: GgufType, value: GgufBuildValue): void {
    const sizes: Partial<Record<GgufType, number>> = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8 };
    const b = Buffer.alloc(sizes[type] ?? 0);
    const n = typeof value === 'boolean' ? Number(value) : value;
    const be = this.be;
    switch (type) {
      case 'uint8': b.writeUInt8(Number(n)); break;
      case 'int8': b.writeInt8(Number(n)); break;
      case 'bool': b.writeUInt8(Number(n)); break;
      case 'uint16': be ? b.writeUInt16BE(Number(n)) : b.writeUInt16LE(Number(n)); break;
      case 'int16': be ? b.writeInt16BE(Number(n)) : b.writeInt16LE(Number(n)); break;
      case 'uint32': be ? b.writeUInt32BE(Number(n)) : b.writeUInt32LE(Number(n)); break;
      case 'int32': be ? b.writeInt32BE(Number(n)) : b.writeInt32LE(Number(n)); break;
      case 'float32': be ? b.writeFloatBE(Number(n)) : b.writeFloatLE(Number(n)); break;
      case 'float64': be ? b.writeDoubleBE(Number(n)) : b.writeDoubleLE(Number(n)); break;
      case 'uint64': be ? b.writeBigUInt64BE(BigInt(n as number)) : b.writeBigUInt64LE(BigInt(n as number)); break;
      case 'int64': be ? b.writeBigInt64BE(BigInt(n as number)) : b.writeBigInt64LE(BigInt(n as number)); break;
      default: throw new Error(`not a scalar type: ${type}`);
    }
    this.bytes(b);
  }

  value(type: GgufType, value: GgufBuildValue): void {
    if (type === 'string') return this.string(String(value));
    if (type !== 'array') return this.scalar(type, value);
    const [elementType, items] = value as GgufBuildArray;
    this.u32(GGUF_TYPES.indexOf(elementType));
    this.count(items.length);
    for (const item of items) this.value(elementType, item);
  }

  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Build a GGUF file. */
export function buildGguf(options: BuildGgufOptions): Buffer {
  const version = options.version ?? 3;
  const tensors = options.tensors ?? [];
  const w = new Writer(version !== 1, options.bigEndian ?? false);
  w.bytes(Buffer.from('GGUF', 'latin1'));
  w.u32(version);
  w.count(options.tensorCount ?? BigInt(tensors.length));
  w.count(options.kvCount ?? BigInt(options.kv.length));
  for (const [key, type, value] of options.kv) {
    w.string(key);
    w.u32(GGUF_TYPES.indexOf(type));
    w.value(type, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    w.string(tensor.name);
    w.u32(tensor.dims.length);
    for (const dim of tensor.dims) w.count(dim);
    w.u32(tensor.type ?? 0);
    w.u64(BigInt(tensor.offset ?? offset));
    offset += Math.ceil((tensor.dims.reduce((a, b) => a * b, 1) * 4) / 32) * 32;
  }
  const padding = (32 - (w.length % 32)) % 32;
  w.bytes(Buffer.alloc(padding + (options.dataBytes ?? offset)));
  const bytes = w.build();
  return options.truncateAt === undefined ? bytes : bytes.subarray(0, options.truncateAt);
}

/** Tokens of a vocabulary of `n` strings, for speed tests (`tokenizer.ggml.tokens`). */
export function vocabulary(n: number): GgufBuildArray {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(`tok${i}`);
  return ['string', items];
}
