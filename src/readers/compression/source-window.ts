import type { ByteSource } from '../../core/index.js';

/**
 * Small positioned reads through one cached window, for walks over many tiny headers (xz blocks and LZMA2
 * chunk headers): a run of nearby reads costs one read of the source. Views returned by `bytes` are valid
 * until the next call.
 */
export class SourceWindow {
  private start = 0;
  private window: Buffer = Buffer.alloc(0);

  constructor(
    readonly source: ByteSource,
    private readonly windowSize: number,
  ) {}

  /** The byte at `position`, or -1 past the end of the source. */
  byte(position: number): number {
    const index = this.locate(position, 1);
    return index < this.window.length ? this.window[index]! : -1;
  }

  /** Up to `length` bytes at `position`; shorter only at the end of the source. */
  bytes(position: number, length: number): Buffer {
    const index = this.locate(position, length);
    return this.window.subarray(index, Math.min(this.window.length, index + Math.max(0, length)));
  }

  private locate(position: number, length: number): number {
    const end = this.start + this.window.length;
    if (position >= this.start && position + length <= end) return position - this.start;
    if (position >= this.start && position <= end && end >= this.source.size) return position - this.start;
    if (position < 0 || position >= this.source.size) {
      this.start = position;
      this.window = Buffer.alloc(0);
      return 0;
    }
    this.window = this.source.read(position, Math.max(length, this.windowSize));
    this.start = position;
    return 0;
  }
}
