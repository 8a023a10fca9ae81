/*
 * Typed arrays that grow by doubling while a dataset streams in: the corpus cannot know its row or token
 * count in advance, and a JavaScript array of numbers costs 8 bytes a slot (more when boxed) where these
 * cost 1 or 4.
 */

/** An append-only Uint32Array. */
export class GrowableUint32 {
  private data: Uint32Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Uint32Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  /** Set slot `index`, growing (zero-filled) as needed. */
  set(index: number, value: number): void {
    if (index >= this.data.length) this.grow(index + 1);
    this.data[index] = value;
    if (index >= this.length) this.length = index + 1;
  }

  /** The backing array (longer than `length`); valid only until the next push or set that grows it. */
  viewOf(): Uint32Array {
    return this.data;
  }

  /**
   * The first `length` slots as a view of the backing array, without a copy (slots past the written ones are
   * still zero). For the final hand-over of a column: a copy would hold the array twice at the corpus's
   * largest moment (the 1,000,000-row audit peaked over 2 GB on such copies). Do not write to it afterwards.
   */
  take(length = this.length): Uint32Array {
    if (length > this.data.length) this.grow(length);
    return this.data.subarray(0, length);
  }

  /** A copy trimmed to `length` (or to `length` given, zero-padded). */
  toArray(length = this.length): Uint32Array {
    const out = new Uint32Array(length);
    out.set(this.data.subarray(0, Math.min(length, this.length)));
    return out;
  }

  private grow(min: number): void {
    let capacity = this.data.length * 2;
    while (capacity < min) capacity *= 2;
    const next = new Uint32Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/** An append-only Uint8Array. */
export class GrowableUint8 {
  private data: Uint8Array;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.data = new Uint8Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  set(index: number, value: number): void {
    if (index >= this.data.length) this.grow(index + 1);
    this.data[index] = value;
    if (index >= this.length) this.length = index + 1;
  }

  /** The backing array (longer than `length`); valid only until the next push or set that grows it. */
  viewOf(): Uint8Array {
    return this.data;
  }

  /**
   * The first `length` slots as a view of the backing array, without a copy (slots past the written ones are
   * still zero). For the final hand-over of a column: a copy would hold the array twice at the corpus's
   * largest moment (the 1,000,000-row audit peaked over 2 GB on such copies). Do not write to it afterwards.
   */
  take(length = this.length): Uint8Array {
    if (length > this.data.length) this.grow(length);
    return this.data.subarray(0, length);
  }

  /** A copy trimmed to `length` (or to `length` given, zero-padded). */
  toArray(length = this.length): Uint8Array {
    const out = new Uint8Array(length);
    out.set(this.data.subarray(0, Math.min(length, this.length)));
    return out;
  }

  private grow(min: number): void {
    let capacity = this.data.length * 2;
    while (capacity < min) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
