/**
 * Byte builder for .safetensors files. With defaults the output is what the reference writer
 * (huggingface/safetensors `serialize`) produces: u64 LE header length, compact JSON with `__metadata__`
 * first, then tensors in the given order with contiguous `data_offsets` from 0, spaces padding the header to
 * a multiple of 8, then the data. Hostile variants replace one part: the raw header text, the length
 * field, a tensor's offsets, the padding, bytes appended after the data.
 */

/** Element widths in bits, written out here independently of the reader (the builder is a second opinion). */
const BITS: Record<string, number> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
};

/** One tensor to write. */
export interface BuildTensor {
  dtype: string;
  shape: number[];
  /** Tensor bytes; defaults to zeros of the size shape and dtype imply (0 bytes for unknown dtypes). */
  data?: Buffer;
  /** Offsets written instead of the contiguous ones (the data is still appended in order). */
  dataOffsets?: [number | bigint, number | bigint];
}

/** What to build. */
export interface BuildSafetensorsOptions {
  tensors: Record<string, BuildTensor>;
  metadata?: Record<string, string>;
  /** Header text written instead of the JSON the writer would produce (padded only if `padding` is given). */
  rawHeader?: string;
  /** Length field written instead of the real header length. */
  headerLengthOverride?: number | bigint;
  /** Spaces after the JSON; default: up to the next multiple of 8 (what the writer does), 0 with rawHeader. */
  padding?: number;
  /** Bytes appended after the tensor data. */
  trailing?: Buffer;
}

/** Bytes a tensor of `shape` and `dtype` takes, as the writer computes it (0 for an unknown dtype). */
export function tensorBytes(dtype: string, shape: number[]): number {
  const bits = BITS[dtype] ?? 0;
  return Math.ceil((shape.reduce((product, dim) => product * dim, 1) * bits) / 8);
}

/** The header JSON the writer produces for these tensors (before padding), and the data in order. */
export function safetensorsHeaderJson(options: Pick<BuildSafetensorsOptions, 'tensors' | 'metadata'>): { json: string; data: Buffer } {
  const parts: string[] = [];
  const data: Buffer[] = [];
  if (options.metadata) parts.push(`"__metadata__":${JSON.stringify(options.metadata)}`);
  let offset = 0;
  for (const [name, tensor] of Object.entries(options.tensors)) {
    const bytes = tensor.data ?? Buffer.alloc(tensorBytes(tensor.dtype, tensor.shape));
    const offsets = tensor.dataOffsets ?? [offset, offset + bytes.length];
    offset += bytes.length;
    data.push(bytes);
    parts.push(`${JSON.stringify(name)}:{"dtype":${JSON.stringify(tensor.dtype)},"shape":[${tensor.shape.join(',')}],"data_offsets":[${offsets[0]},${offsets[1]}]}`);
  }
  return { json: `{${parts.join(',')}}`, data: Buffer.concat(data) };
}

/** Build a .safetensors file. */
export function buildSafetensors(options: BuildSafetensorsOptions): Buffer {
  const { json, data } = safetensorsHeaderJson(options);
  const text = options.rawHeader ?? json;
  const unpadded = Buffer.from(text, 'utf8');
  const padding = options.padding ?? (options.rawHeader !== undefined ? 0 : (8 - (unpadded.length % 8)) % 8);
  const header = Buffer.concat([unpadded, Buffer.alloc(padding, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(options.headerLengthOverride ?? header.length));
  return Buffer.concat([length, header, data, options.trailing ?? Buffer.alloc(0)]);
}

/** A raw header: the 8-byte length of `header` then `header` then `data` (for byte-level hostile cases). */
export function rawSafetensors(header: Buffer | string, data: Buffer = Buffer.alloc(0)): Buffer {
  const bytes = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([length, bytes, data]);
}
