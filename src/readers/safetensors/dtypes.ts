/**
 * Element types a safetensors header may name, with their width in bits: the `Dtype` enum and `bitsize()` of
 * the reference implementation (huggingface/safetensors, safetensors/src/tensor.rs, 0.6). Sub-byte types
 * (F4, F6_*) exist since 0.6; a tensor of them must still fill whole bytes (the reference's MisalignedSlice).
 * Any other name makes the reference refuse the file (serde: unknown variant), while a looser loader may
 * guess a width and read different bytes, so an unknown dtype is a problem, not a curiosity.
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
});

/** Width in bits of a dtype the reference knows, or undefined. */
export function dtypeBits(dtype: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BITS, dtype) ? SAFETENSORS_DTYPE_BITS[dtype] : undefined;
}
