/**
 * Deterministic stand-in for trained float32 weights: an xorshift32 stream mapped to small floats in
 * [-0.1, 0.1). Seeded, so every machine benchmarks the same bytes and reruns reuse the same files; not
 * zeros, so nothing (sparse files, compressed page cache, a reader that skips zero runs) flatters the timing.
 */
export class WeightStream {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A fresh buffer of `length` bytes of weights (4-byte aligned so it can be viewed as float32). */
  next(length: number): Buffer {
    const buffer = Buffer.from(new ArrayBuffer(length));
    this.fill(buffer);
    return buffer;
  }

  /** Overwrite `target` with the next weights; `target` must start on a 4-byte boundary. */
  fill(target: Buffer): void {
    const floats = new Float32Array(target.buffer, target.byteOffset, target.length >>> 2);
    let x = this.state;
    for (let i = 0; i < floats.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      // 24 random bits centred on zero, scaled to +-0.1: the magnitude of initialised or trained weights.
      floats[i] = ((x >>> 8) - 0x800000) * 1.1920929e-8;
    }
    for (let i = floats.length * 4; i < target.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      target[i] = (x >>> 24) | 1;
    }
    this.state = x;
  }
}
