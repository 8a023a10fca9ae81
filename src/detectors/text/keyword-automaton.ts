import { AntidoteError } from '../../core/errors.js';

/*
 * Many keywords found in one pass over a text (Aho-Corasick, 1975): a deterministic automaton over lower-
 * cased ASCII whose every state knows which keywords end there. Scanning costs one table lookup per
 * character however many keywords there are, where a regex alternation of fifty words or fifty `includes`
 * calls cost several times more per character. Keywords are ASCII; any other character resets the scan
 * (no keyword spans it). Each keyword carries a 32-bit tag; a scan returns the OR of the tags it saw.
 */

/** Characters of the alphabet: ASCII, upper case folded to lower case. */
const ALPHABET = 128;

/** A compiled keyword set. */
export class KeywordAutomaton {
  /**
   * Transitions: the state after `state` reads lower-cased ASCII code `c` is `next[state * 128 + c]`. Public
   * so a hot loop that scans for other things too can step without a call per character.
   */
  readonly next: Int32Array;
  /** Tags of the keywords that end at each state. */
  readonly tags: Int32Array;

  /** Compile `keywords` (ASCII, matched case-insensitively), each with the tag bits it contributes. */
  constructor(keywords: ReadonlyMap<string, number>) {
    const goto: number[][] = [[]];
    const tags: number[] = [0];
    for (const [keyword, tag] of keywords) {
      let state = 0;
      for (const char of keyword.toLowerCase()) {
        const c = char.charCodeAt(0);
        if (c >= ALPHABET) throw new AntidoteError('INTERNAL', `keyword "${keyword}" is not ASCII`);
        let to = goto[state]![c];
        if (to === undefined) {
          to = goto.length;
          goto.push([]);
          tags.push(0);
          goto[state]![c] = to;
        }
        state = to;
      }
      tags[state]! |= tag;
    }
    // Breadth first: each state's failure link is the longest proper suffix that is also a prefix; missing
    // transitions borrow the failure state's, which makes the automaton deterministic.
    const next = new Int32Array(goto.length * ALPHABET);
    const fail = new Int32Array(goto.length);
    const queue: number[] = [];
    for (let c = 0; c < ALPHABET; c++) {
      const to = goto[0]![c];
      if (to !== undefined) {
        next[c] = to;
        queue.push(to);
      }
    }
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      tags[state]! |= tags[fail[state]!]!;
      for (let c = 0; c < ALPHABET; c++) {
        const to = goto[state]![c];
        if (to === undefined) {
          next[state * ALPHABET + c] = next[fail[state]! * ALPHABET + c]!;
        } else {
          fail[to] = next[fail[state]! * ALPHABET + c]!;
          next[state * ALPHABET + c] = to;
          queue.push(to);
        }
      }
    }
    this.next = next;
    this.tags = Int32Array.from(tags);
  }

  /** The state after reading character code `code` in `state` (start with 0). */
  step(state: number, code: number): number {
    if (code >= ALPHABET) return 0;
    return this.next[state * ALPHABET + (code >= 0x41 && code <= 0x5a ? code | 0x20 : code)]!;
  }

  /** Tags of the keywords that end at `state`. */
  tagsAt(state: number): number {
    return this.tags[state]!;
  }

  /** OR of the tags of every keyword occurring in `text`. */
  scan(text: string): number {
    let state = 0;
    let seen = 0;
    for (let i = 0; i < text.length; i++) {
      state = this.step(state, text.charCodeAt(i));
      seen |= this.tags[state]!;
    }
    return seen;
  }
}
