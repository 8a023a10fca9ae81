import type { DatasetEvent } from '../../readers/dataset/types.js';
import { canonicalize, EncodeDepthError } from './canonical-row.js';
import { LEAF_BAD, LEAF_ROW, leafHash, MerkleBuilder } from './merkle.js';

/*
 * Turns a dataset's events into Merkle leaves, one per record in file order, so leaf i is row i of the file
 * (the readers count bad rows in the index too). A row's leaf hashes its canonical encoding; a bad row's leaf
 * hashes its raw bytes when the reader gives them, else its excerpt (docs/lockfile.md, "Bad rows"). A block
 * the reader could not read at all (a Parquet row group, `rows: n`) becomes n bad leaves, so indices stay
 * aligned with the file.
 */

/** Characters of a row's canonical text kept as its excerpt in a verify report. */
export const ROW_EXCERPT_CHARS = 160;

/** Leaves one bad block may stand for before it counts as one: a hostile `rows` must not loop for hours. */
export const MAX_BAD_BLOCK_LEAVES = 16 * 1024 * 1024;

/** Called for each leaf in order: its full hash, its 0-based index in the file, the event it came from. */
export type LeafCallback = (hash: Buffer, index: number, event: DatasetEvent) => void;

/** Row and bad-row counts of a dataset being digested. */
export interface LeafCounts {
  /** Rows read. */
  rows: number;
  /** Rows that could not be read (bad rows, and every row of an unreadable block). */
  badRows: number;
  /** The reader stopped early (a fatal bad record): rows after it are unknown. */
  stopped: boolean;
}

/**
 * The leaf inputs an event stands for, in order, as (kind, payload); counts them. The one definition of what
 * a leaf hashes, shared by the in-thread digester (verify) and the threaded one (lock).
 */
export function forEachLeafInput(event: DatasetEvent, counts: LeafCounts, emit: (kind: typeof LEAF_ROW | typeof LEAF_BAD, payload: string | Uint8Array) => void): void {
  if (event.kind === 'row') {
    let text: string;
    try {
      text = canonicalize(event.row.value);
    } catch (error) {
      if (!(error instanceof EncodeDepthError)) throw error;
      // Deeper than the encoder goes: recorded as a bad row with its raw bytes, never dropped.
      counts.badRows++;
      emit(LEAF_BAD, event.row.raw ?? `(${error.message})`);
      return;
    }
    counts.rows++;
    emit(LEAF_ROW, text);
    return;
  }
  const { bad } = event;
  if (bad.fatal) counts.stopped = true;
  const raw = (bad as { raw?: Uint8Array }).raw;
  const count = Math.max(1, Math.min(bad.rows ?? 1, MAX_BAD_BLOCK_LEAVES));
  for (let k = 0; k < count; k++) {
    counts.badRows++;
    // Each row of a bad block gets its own position-tagged leaf, so a block of n rows is n distinct leaves.
    emit(LEAF_BAD, raw ?? (count === 1 ? bad.excerpt : `${bad.excerpt}\n#${k}`));
  }
}

/** Streams events to leaves on this thread and keeps the counts and the Merkle root. */
export class RowDigester implements LeafCounts {
  private readonly merkle = new MerkleBuilder();
  rows = 0;
  badRows = 0;
  stopped = false;

  /** Leaves pushed so far (rows + bad rows). */
  get leaves(): number {
    return this.merkle.size;
  }

  /** Digest one event; calls `onLeaf` for each leaf it stands for, in order (no allocation per row for it). */
  push(event: DatasetEvent, onLeaf?: LeafCallback): void {
    forEachLeafInput(event, this, (kind, payload) => {
      const hash = leafHash(kind, payload);
      const index = this.merkle.size;
      this.merkle.push(hash);
      onLeaf?.(hash, index, event);
    });
  }

  /** Hex Merkle root over every leaf so far. */
  root(): string {
    return this.merkle.root().toString('hex');
  }
}

/** A short, printable excerpt of the row an event holds: its canonical text, or a bad row's message and start. */
export function excerptOfEvent(event: DatasetEvent): string {
  if (event.kind === 'bad') return shorten(`(bad row: ${event.bad.message}) ${event.bad.excerpt}`);
  try {
    return shorten(canonicalize(event.row.value));
  } catch (error) {
    return shorten(`(${error instanceof Error ? error.message : String(error)})`);
  }
}

/** At most ROW_EXCERPT_CHARS characters, never splitting a surrogate pair, with an ellipsis when cut. */
export function shorten(text: string): string {
  if (text.length <= ROW_EXCERPT_CHARS) return text;
  let end = ROW_EXCERPT_CHARS;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
