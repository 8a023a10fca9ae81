import { LZMA_ALONE_HEADER_BYTES } from './lzma-alone-header.js';

/**
 * Where an LZMA-alone stream ends, found by walking its LZMA symbols the way liblzma (and so Python's lzma
 * module) does, without keeping the output. lzma-rs, the decoder behind @napi-rs/lzma, cannot say this: it
 * refuses bytes after an end marker without saying where the marker was, and stops at a declared size
 * without reading on. Python's LZMAFile reads the next stream from exactly that offset, so antidote must
 * know it too, or a stream followed by another one (or by anything) decodes to nothing and reads as clean.
 *
 * The walk holds only the dictionary window (at most the dictionary size or `maxOutput`, whichever is
 * smaller, grown as output arrives) and the probability tables (under 30 KiB), and reads every input byte
 * at most once: one pass, linear in the output it walks, never past `maxOutput`. Format: LZMA SDK
 * (lzma-specification.txt) and liblzma's lzma_decoder.c, whose end rules it follows:
 *
 * - unknown size: the stream ends after its end marker (distance 0xFFFFFFFF) and one last normalisation,
 *   and the range decoder's code must then be 0;
 * - known size: after that many bytes, one normalisation; code 0 ends the stream there, otherwise an end
 *   marker must follow (liblzma >= 5.3 allows one), and anything else is corrupt.
 */

/** Bytes of the range decoder's start: a zero byte, then the 32-bit code. */
export const LZMA_RC_INIT_BYTES = 5;
/** liblzma's dictionary is at least 4 KiB; a match may reach back no further than the dictionary. */
const MIN_DICTIONARY_BYTES = 4096;
/** First window allocation; it doubles up to the dictionary or output bound, so small streams stay small. */
const INITIAL_WINDOW_BYTES = 64 * 1024;
/** The range decoder shifts in a byte whenever its range drops below 2^24. */
const TOP = 0x1000000;
const RANGE = 0;
const CODE = 1;
const PROB_INIT = 1024;
const END_MARKER_DISTANCE = 0xffffffff;
const STATES = 12;
const POS_STATES = 16;
const LITERAL_CODER_PROBS = 0x300;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + POS_STATES * 8;
const LEN_HIGH = LEN_MID + POS_STATES * 8;
const LEN_PROBS = LEN_HIGH + 256;

/** How far one LZMA-alone stream goes; `size` counts whole LZMA symbols of output before the stop. */
export type LzmaAloneExtent =
  /** The stream ends just before `end` (an offset in the input given, header included). */
  | { kind: 'end'; end: number; size: number }
  /** Output would pass `maxOutput` in the symbol that would end at `reach`. */
  | { kind: 'over'; size: number; reach: number }
  /** The input ends first. */
  | { kind: 'truncated'; size: number }
  /** liblzma would fail at about `offset`. */
  | { kind: 'corrupt'; size: number; offset: number; reason: string };

class Stop {
  constructor(
    readonly kind: 'truncated' | 'corrupt' | 'over',
    readonly reason = '',
    /** For 'over': the output at the end of the symbol that passes the limit. */
    readonly reach = 0,
  ) {}
}

/**
 * Walk the LZMA-alone stream at the start of `input` (13-byte header first; the caller has checked that
 * liblzma accepts the header) to its end, or to the first problem, producing at most `maxOutput` bytes.
 * Never throws.
 */
export function measureLzmaAlone(input: Buffer, maxOutput: number): LzmaAloneExtent {
  if (input.length < LZMA_ALONE_HEADER_BYTES + LZMA_RC_INIT_BYTES) return { kind: 'truncated', size: 0 };
  if (input[LZMA_ALONE_HEADER_BYTES] !== 0) {
    return { kind: 'corrupt', size: 0, offset: LZMA_ALONE_HEADER_BYTES, reason: 'the range decoder does not start with a zero byte' };
  }
  const walk = new LzmaWalk(input, maxOutput);
  try {
    const end = walk.run();
    return { kind: 'end', end, size: walk.out };
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    if (error.kind === 'truncated') return { kind: 'truncated', size: walk.symbolOut };
    if (error.kind === 'over') return { kind: 'over', size: walk.symbolOut, reach: error.reach };
    return { kind: 'corrupt', size: walk.symbolOut, offset: walk.pos, reason: error.reason };
  }
}

class LzmaWalk {
  out = 0;
  pos: number;
  /** Output at the start of the current symbol. */
  symbolOut = 0;

  /** Range and code of the range decoder, in a typed array so that their updates stay unboxed uint32s. */
  private readonly rc = new Uint32Array(2);
  private readonly lc: number;
  private readonly lpMask: number;
  private readonly pbMask: number;
  private readonly declared: number | null;
  /** Distances must stay below min(output so far, this), as liblzma's dict_is_distance_valid checks. */
  private readonly dictionaryBytes: number;
  private readonly windowMax: number;
  private window: Uint8Array;
  private windowPos = 0;
  private previousByte = 0;

  private readonly literal: Uint16Array;
  private readonly isMatch = probs(STATES * POS_STATES);
  private readonly isRep = probs(STATES);
  private readonly isRepG0 = probs(STATES);
  private readonly isRepG1 = probs(STATES);
  private readonly isRepG2 = probs(STATES);
  private readonly isRep0Long = probs(STATES * POS_STATES);
  private readonly distSlot = probs(4 * 64);
  private readonly distSpecial = probs(1 + 128 - 14);
  private readonly align = probs(16);
  private readonly matchLen = probs(LEN_PROBS);
  private readonly repLen = probs(LEN_PROBS);

  constructor(
    private readonly input: Buffer,
    private readonly maxOutput: number,
  ) {
    const properties = input[0]!;
    this.lc = properties % 9;
    const lp = Math.floor(properties / 9) % 5;
    const pb = Math.floor(properties / 45);
    this.lpMask = (1 << lp) - 1;
    this.pbMask = (1 << pb) - 1;
    this.literal = probs(LITERAL_CODER_PROBS << (this.lc + lp));
    const low = input.readUInt32LE(5);
    const high = input.readUInt32LE(9);
    this.declared = low === 0xffffffff && high === 0xffffffff ? null : high * 2 ** 32 + low;
    // liblzma rounds the dictionary up to a multiple of 16, at least 4 KiB.
    this.dictionaryBytes = Math.ceil(Math.max(input.readUInt32LE(1), MIN_DICTIONARY_BYTES) / 16) * 16;
    this.windowMax = Math.max(1, Math.min(this.dictionaryBytes, maxOutput));
    this.window = new Uint8Array(Math.min(INITIAL_WINDOW_BYTES, this.windowMax));
    this.rc[RANGE] = 0xffffffff;
    this.rc[CODE] = input.readUInt32BE(LZMA_ALONE_HEADER_BYTES + 1);
    this.pos = LZMA_ALONE_HEADER_BYTES + LZMA_RC_INIT_BYTES;
  }

  /** Decode to the end of the stream; returns the offset just past it. */
  run(): number {
    let state = 0;
    let rep0 = 0;
    let rep1 = 0;
    let rep2 = 0;
    let rep3 = 0;
    let markerRequired = false;
    for (;;) {
      this.symbolOut = this.out;
      if (this.declared !== null && this.out === this.declared) {
        this.normalize();
        if (this.rc[CODE] === 0) return this.pos;
        markerRequired = true;
      }
      const posState = this.out & this.pbMask;
      if (this.bit(this.isMatch, (state << 4) + posState) === 0) {
        if (markerRequired) throw new Stop('corrupt', 'data goes on past the declared size');
        this.literalByte(state, rep0);
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let length: number;
      if (this.bit(this.isRep, state) === 0) {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        length = this.length(this.matchLen, posState);
        state = state < 7 ? 7 : 10;
        rep0 = this.distance(length);
        if (rep0 === END_MARKER_DISTANCE) {
          if (this.declared !== null && !markerRequired) throw new Stop('corrupt', 'end marker before the declared size');
          this.normalize();
          if (this.rc[CODE] !== 0) throw new Stop('corrupt', 'the range decoder is not finished at the end marker');
          return this.pos;
        }
        if (markerRequired) throw new Stop('corrupt', 'data goes on past the declared size');
        if (rep0 >= Math.min(this.out, this.dictionaryBytes)) throw new Stop('corrupt', `match distance ${rep0 + 1} reaches before the data`);
      } else {
        if (this.out === 0) throw new Stop('corrupt', 'a repeated match before any data');
        if (markerRequired) throw new Stop('corrupt', 'data goes on past the declared size');
        if (this.bit(this.isRepG0, state) === 0) {
          if (this.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            state = state < 7 ? 9 : 11;
            this.copy(rep0, 1);
            continue;
          }
        } else {
          let distance: number;
          if (this.bit(this.isRepG1, state) === 0) {
            distance = rep1;
          } else {
            if (this.bit(this.isRepG2, state) === 0) {
              distance = rep2;
            } else {
              distance = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = distance;
        }
        length = this.length(this.repLen, posState);
        state = state < 7 ? 8 : 11;
      }
      this.copy(rep0, length);
    }
  }

  private literalByte(state: number, rep0: number): void {
    const base = LITERAL_CODER_PROBS * (((this.out & this.lpMask) << this.lc) + (this.previousByte >>> (8 - this.lc)));
    let symbol = 1;
    if (state >= 7) {
      let matchByte = this.byteAt(rep0);
      do {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte <<= 1;
        const bit = this.bit(this.literal, base + ((1 + matchBit) << 8) + symbol);
        symbol = (symbol << 1) | bit;
        if (bit !== matchBit) break;
      } while (symbol < 0x100);
    }
    while (symbol < 0x100) symbol = (symbol << 1) | this.bit(this.literal, base + symbol);
    this.put(symbol & 0xff);
  }

  private length(probs: Uint16Array, posState: number): number {
    if (this.bit(probs, 0) === 0) return 2 + this.tree(probs, LEN_LOW + posState * 8, 3);
    if (this.bit(probs, 1) === 0) return 10 + this.tree(probs, LEN_MID + posState * 8, 3);
    return 18 + this.tree(probs, LEN_HIGH, 8);
  }

  private distance(length: number): number {
    const slot = this.tree(this.distSlot, Math.min(length - 2, 3) << 6, 6);
    if (slot < 4) return slot;
    const directBits = (slot >>> 1) - 1;
    const base = (2 | (slot & 1)) * 2 ** directBits;
    if (slot < 14) return base + this.reverseTree(this.distSpecial, base - slot, directBits);
    return base + this.direct(directBits - 4) * 16 + this.reverseTree(this.align, 0, 4);
  }

  private byteAt(distance: number): number {
    let index = this.windowPos - distance - 1;
    if (index < 0) index += this.window.length;
    return this.window[index]!;
  }

  private put(byte: number): void {
    if (this.out >= this.maxOutput) throw new Stop('over', '', this.out + 1);
    if (this.windowPos === this.window.length) this.makeRoom();
    this.window[this.windowPos++] = byte;
    this.out++;
    this.previousByte = byte;
  }

  private copy(distance: number, length: number): void {
    if (this.declared !== null && this.out + length > this.declared) throw new Stop('corrupt', 'a match runs past the declared size');
    if (this.out + length > this.maxOutput) throw new Stop('over', '', this.out + length);
    let window = this.window;
    let at = this.windowPos;
    let from = at - distance - 1;
    if (from < 0) from += window.length;
    for (let i = 0; i < length; i++) {
      if (at === window.length) {
        this.windowPos = at;
        this.makeRoom();
        window = this.window;
        at = this.windowPos;
      }
      if (from === window.length) from = 0;
      window[at++] = window[from++]!;
    }
    this.windowPos = at;
    this.out += length;
    this.previousByte = window[at - 1]!;
  }

  /** At the end of the window: grow it up to windowMax, then wrap around. */
  private makeRoom(): void {
    if (this.window.length < this.windowMax) {
      const grown = new Uint8Array(Math.min(this.window.length * 2, this.windowMax));
      grown.set(this.window);
      this.window = grown;
    } else {
      this.windowPos = 0;
    }
  }

  private normalize(): void {
    const rc = this.rc;
    if (rc[RANGE]! < TOP) {
      if (this.pos >= this.input.length) throw new Stop('truncated');
      rc[RANGE] = rc[RANGE]! << 8;
      rc[CODE] = (rc[CODE]! << 8) | this.input[this.pos++]!;
    }
  }

  private bit(table: Uint16Array, index: number): number {
    const rc = this.rc;
    if (rc[RANGE]! < TOP) this.normalize();
    const probability = table[index]!;
    const bound = (rc[RANGE]! >>> 11) * probability;
    if (rc[CODE]! < bound) {
      rc[RANGE] = bound;
      table[index] = probability + ((2048 - probability) >>> 5);
      return 0;
    }
    rc[RANGE] = rc[RANGE]! - bound;
    rc[CODE] = rc[CODE]! - bound;
    table[index] = probability - (probability >>> 5);
    return 1;
  }

  private tree(table: Uint16Array, base: number, bits: number): number {
    let symbol = 1;
    for (let i = 0; i < bits; i++) symbol = (symbol << 1) | this.bit(table, base + symbol);
    return symbol - (1 << bits);
  }

  private reverseTree(table: Uint16Array, base: number, bits: number): number {
    let node = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.bit(table, base + node);
      node = (node << 1) | bit;
      symbol |= bit << i;
    }
    return symbol;
  }

  /** Bits at probability one half, with liblzma's arithmetic (rc_direct), which differs on corrupt input. */
  private direct(bits: number): number {
    let value = 0;
    const rc = this.rc;
    for (let i = 0; i < bits; i++) {
      this.normalize();
      rc[RANGE] = rc[RANGE]! >>> 1;
      rc[CODE] = rc[CODE]! - rc[RANGE]!;
      if (rc[CODE]! >= 0x80000000) {
        rc[CODE] = rc[CODE]! + rc[RANGE]!;
        value = value * 2;
      } else {
        value = value * 2 + 1;
      }
    }
    return value;
  }
}

function probs(count: number): Uint16Array {
  return new Uint16Array(count).fill(PROB_INIT);
}
