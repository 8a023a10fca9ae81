import type { ByteSource } from '../../core/index.js';

/**
 * Positioned reads through one cached window: a run of small reads that sit close together (central
 * directory records, a local header followed by the next one) costs one read of the source, not one each.
 * `fetch` hands out an index into the shared window instead of a new Buffer view, because a directory of
 * 200,000 records would otherwise allocate a million short-lived views.
 */
export class WindowReader {
  private start = 0;
  private window: Buffer = Buffer.alloc(0);

  /** `windowSize`: bytes fetched per miss; a request larger than that is fetched whole. */
  constructor(
    private readonly source: ByteSource,
    private readonly windowSize: number,
  ) {}

  /** The current window; valid until the next `fetch` or `read`. */
  get buffer(): Buffer {
    return this.window;
  }

  /**
   * Make `[position, position + length)` available and return where `position` sits in `buffer`. Fewer
   * than `length` bytes follow it only at the end of the source; callers check `buffer.length - index`.
   */
  fetch(position: number, length: number): number {
    if (position < 0 || position >= this.source.size || length <= 0) {
      this.window = Buffer.alloc(0);
      this.start = position;
      return 0;
    }
    const end = this.start + this.window.length;
    const cachedToEnd = end >= this.source.size;
    if (position >= this.start && position <= end && (position + length <= end || cachedToEnd)) return position - this.start;
    this.window = this.source.read(position, Math.max(length, this.windowSize));
    this.start = position;
    return 0;
  }

  /** Up to `length` bytes at `position` as a view; shorter only at the end of the source. */
  read(position: number, length: number): Buffer {
    const index = this.fetch(position, length);
    return this.window.subarray(index, Math.min(this.window.length, index + Math.max(0, length)));
  }
}
