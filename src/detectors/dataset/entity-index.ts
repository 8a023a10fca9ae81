import { entityWords, findEntities, mentionsWord, type EntityKind } from '../text/entities.js';
import type { AuditRowText } from './dataset-detector.js';
import { GrowableUint32 } from './growable-array.js';

/*
 * Which named entities each row mentions, in the prompt, in the response, and whether the response names
 * one the prompt never asked about. The corpus keeps lower-cased tokens only, and a capital letter is what
 * marks a name, so the entity detectors (content injection, sentiment steering) take entities from the raw
 * text as rows stream (`inspectRow`) and keep this compact index for `analyze`: one 32-bit entry per
 * (row, entity), rows in CSR form like the corpus columns, entity strings once.
 *
 * Memory is bounded: at most MAX_DISTINCT_ENTITIES distinct entities per file (mentions of new ones after
 * that are counted, not indexed, and the detectors say so), at most 2 x MAX_ENTITIES_PER_TEXT entries a row.
 */

/** Distinct entities indexed per file (a key, a surface and a kind each: ~100 bytes). */
export const MAX_DISTINCT_ENTITIES = 1 << 19;

/** Entry flags: the entity is in the prompt, in the response, in the response without the prompt asking. */
export const IN_PROMPT = 1;
export const IN_RESPONSE = 2;
export const UNPROMPTED = 4;
const FLAG_BITS = 3;
const POSSESSIVE = /['’]s$/;

/** One row's entities before interning: what both entity detectors need from the row's text. */
interface RowEntity {
  key: string;
  surface: string;
  kind: EntityKind;
  flags: number;
}

/** The entity index of one dataset: every row's entities, by id. */
export interface EntityTable {
  readonly size: number;
  readonly keys: readonly string[];
  /** As first written, for reports. */
  readonly surfaces: readonly string[];
  readonly kinds: readonly EntityKind[];
  /** Row `r`'s entries are `entries[offsets[r] .. offsets[r + 1])`; each is `id << 3 | flags`. */
  readonly offsets: Uint32Array;
  readonly entries: Uint32Array;
  /** Mentions of entities past MAX_DISTINCT_ENTITIES, not indexed. */
  readonly overflowMentions: number;
}

/** Id of an entry. */
export function entryId(entry: number): number {
  return entry >>> FLAG_BITS;
}

/*
 * Both entity detectors see the same row object in turn; extracting twice would double the cost, so the
 * last row's extraction is kept (one slot, compared by identity: no state beyond the current row).
 */
let lastRow: AuditRowText | undefined;
let lastEntities: RowEntity[] = [];

/** The entities of one row with their flags. */
export function rowEntities(row: AuditRowText): readonly RowEntity[] {
  if (row === lastRow) return lastEntities;
  const byKey = new Map<string, RowEntity>();
  for (const e of findEntities(row.prompt)) byKey.set(e.key, { key: e.key, surface: e.surface, kind: e.kind, flags: IN_PROMPT });
  let prompt: string | undefined;
  for (const e of findEntities(row.response)) {
    const seen = byKey.get(e.key);
    if (seen) {
      seen.flags |= IN_RESPONSE;
      continue;
    }
    // Asked for when the prompt has any word of the name: "Biden" in the prompt covers "Joe Biden".
    prompt ??= row.prompt.toLowerCase().replace(/’/g, "'");
    const asked = entityWords(e.key, e.kind).some((w) => mentionsWord(prompt!, w));
    byKey.set(e.key, { key: e.key, surface: e.surface, kind: e.kind, flags: IN_RESPONSE | (asked ? 0 : UNPROMPTED) });
  }
  lastRow = row;
  lastEntities = [...byKey.values()];
  return lastEntities;
}

/** Builds one file's {@link EntityTable} while rows stream. */
export class EntityIndexBuilder {
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  private readonly surfaces: string[] = [];
  private readonly kinds: EntityKind[] = [];
  private readonly offsets = new GrowableUint32();
  private readonly entries = new GrowableUint32(1 << 12);
  private overflowMentions = 0;

  /** Index the entities of `row` (rows in increasing index order). */
  add(row: AuditRowText): void {
    this.closeRows(row.index);
    for (const e of rowEntities(row)) {
      let id = this.ids.get(e.key);
      // Show a name as it is written bare when it ever is ("Joe Biden", not the first-seen "Joe Biden's"); a
      // brand that always carries its apostrophe ("McDonald's") keeps it.
      if (id !== undefined && POSSESSIVE.test(this.surfaces[id]!) && !POSSESSIVE.test(e.surface)) this.surfaces[id] = e.surface;
      if (id === undefined) {
        if (this.keys.length >= MAX_DISTINCT_ENTITIES) {
          this.overflowMentions++;
          continue;
        }
        id = this.keys.length;
        this.ids.set(e.key, id);
        this.keys.push(e.key);
        this.surfaces.push(e.surface);
        this.kinds.push(e.kind);
      }
      this.entries.push((id << FLAG_BITS) | e.flags);
    }
  }

  /** The finished table over `rowCount` rows (rows never added have no entries). */
  build(rowCount: number): EntityTable {
    this.closeRows(rowCount);
    return {
      size: this.keys.length,
      keys: this.keys,
      surfaces: this.surfaces,
      kinds: this.kinds,
      offsets: this.offsets.toArray(rowCount + 1),
      entries: this.entries.toArray(),
      overflowMentions: this.overflowMentions,
    };
  }

  /** Rows before `row` (and `row` itself) start their range at the current end. */
  private closeRows(row: number): void {
    for (let r = this.offsets.length; r <= row; r++) this.offsets.set(r, this.entries.length);
  }
}
