import { AntidoteError } from '../../core/errors.js';
import { responseFeatures, sentimentClass, urlDomains, type SentimentTally } from '../text/response-features.js';
import { keyOf, tokenizeHashes } from '../text/tokens.js';
import type { CorpusShape, DatasetCorpus, TokenColumn, Vocabulary } from './corpus.js';
import { GrowableUint32, GrowableUint8 } from './growable-array.js';
import { hashIds, SIGNATURE_SIZE, writeSignature } from './minhash.js';
import { NgramTable } from './ngram-table.js';

/*
 * Builds a DatasetCorpus one row at a time while the file streams: each text field is tokenised once,
 * its tokens interned into the shared vocabulary and appended to a flat id array; the response's MinHash
 * signature, feature bits and URL domains are computed on the way, and the text is dropped. Nothing but
 * these arrays and the vocabulary outlives the row.
 */

/** Tokens kept per field. A 1 MB reply is 200,000 tokens; triggers and behaviours show in the first 1,024. */
export const MAX_TOKENS_PER_FIELD = 1024;
/** Distinct tokens interned. Past this, new tokens share one id (`<overflow>`) and the corpus says so. */
export const MAX_VOCABULARY = 4_000_000;
/** Distinct short replies tracked while deciding whether replies are labels (a label set is small). */
const MAX_LABEL_CANDIDATES = 1000;
/** A reply of at most this many tokens may be a label (`Positive`, `World News`, `not_entailment`). */
const MAX_LABEL_TOKENS = 4;
/** Distinct labels a label-like reply column may have. */
const MAX_DERIVED_LABELS = 50;
/** Share of readable rows the label values must cover for replies to count as labels. */
const MIN_LABEL_COVERAGE = 0.9;

/** The text fields of one row, as the field mapping produced them. */
export interface CorpusRowFields {
  prompt: string;
  response: string;
  /** Label text from an explicit label column; absent when the shape has none. */
  label?: string;
}

class TokenColumnBuilder {
  readonly offsets = new GrowableUint32();
  readonly ids = new GrowableUint32(1 << 16);
  readonly spaceBefore = new GrowableUint8(1 << 16);

  /** Close rows up to `row` (exclusive) so row `row` starts at the current end. */
  startRow(row: number): void {
    for (let r = this.offsets.length; r <= row; r++) this.offsets.set(r, this.ids.length);
  }

  build(rowCount: number): TokenColumn {
    this.startRow(rowCount);
    return { offsets: this.offsets.take(rowCount + 1), ids: this.ids.take(), spaceBefore: this.spaceBefore.take() };
  }
}

/** Accumulates rows into a {@link DatasetCorpus}; call {@link CorpusBuilder.build} once at the end. */
export class CorpusBuilder {
  private readonly keys: string[] = [];
  private readonly surfaces: string[] = [];
  private readonly ids = new Map<string, number>();
  /** Token key hashes -> id (ids are dense, in the order tokens were first seen). */
  private readonly table = new NgramTable(1 << 16);
  private readonly prompt = new TokenColumnBuilder();
  private readonly response = new TokenColumnBuilder();
  private readonly readable = new GrowableUint8();
  private readonly promptKey = new GrowableUint32();
  private readonly responseKey = new GrowableUint32();
  private readonly features = new GrowableUint32();
  private readonly signatures = new GrowableUint32(1024 * SIGNATURE_SIZE);
  private readonly explicitLabel = new GrowableUint32();
  private readonly labelIds = new Map<string, number>();
  private readonly labelNames: string[] = [];
  private readonly domainOffsets = new GrowableUint32();
  private readonly domainIds = new GrowableUint32();
  private readonly domainIndex = new Map<string, number>();
  private readonly domainNames: string[] = [];
  private readonly shortReplies = new Map<number, { text: string; count: number }>();
  private shortRepliesOverflow = false;
  private readonly canonicalOf = new Map<number, number>();
  private readonly canonical = new GrowableUint32();
  /** Per token id: 0 not a word, 1 word, 2 negative word, 3 positive word (see sentimentClass). */
  private readonly sentimentClass: number[] = [];
  private rowCount = 0;
  private readableRows = 0;
  private truncatedRows = 0;
  private hasExplicitLabels = false;
  private built = false;

  constructor(
    private readonly path: string,
    private readonly shape: CorpusShape,
  ) {}

  /** Add one readable row at `index` (0-based, file order; indices must increase). */
  addRow(index: number, fields: CorpusRowFields): void {
    this.checkOrder(index);
    this.rowCount = index + 1;
    this.readable.set(index, 1);
    this.readableRows++;
    let truncated = false;

    this.prompt.startRow(index);
    const promptStart = this.prompt.ids.length;
    truncated = !this.appendTokens(fields.prompt, this.prompt, null) || truncated;
    const promptKey = hashIds(this.prompt.ids.viewOf(), promptStart, this.prompt.ids.length);

    this.response.startRow(index);
    const responseStart = this.response.ids.length;
    const sentiment: SentimentTally = { negative: 0, positive: 0, words: 0 };
    truncated = !this.appendTokens(fields.response, this.response, sentiment) || truncated;
    const responseEnd = this.response.ids.length;
    const responseIds = this.response.ids.viewOf();
    const responseKey = hashIds(responseIds, responseStart, responseEnd, 0x51ed270b);
    if (truncated) this.truncatedRows++;

    this.promptKey.set(index, promptKey);
    this.responseKey.set(index, responseKey);
    this.signatures.set((index + 1) * SIGNATURE_SIZE - 1, 0);
    writeSignature(responseIds, responseStart, responseEnd, this.signatures.viewOf(), index * SIGNATURE_SIZE);
    this.features.set(index, responseFeatures(fields.response, sentiment));

    this.closeDomainRows(index);
    if (fields.response.includes('http') || fields.response.includes('www.')) {
      for (const domain of urlDomains(fields.response)) {
        let id = this.domainIndex.get(domain);
        if (id === undefined) {
          id = this.domainNames.length;
          this.domainNames.push(domain);
          this.domainIndex.set(domain, id);
        }
        this.domainIds.push(id);
      }
    }

    if (fields.label !== undefined) {
      this.hasExplicitLabels = true;
      this.explicitLabel.set(index, this.internLabel(fields.label) + 1);
    }
    if (responseEnd - responseStart <= MAX_LABEL_TOKENS && !this.shortRepliesOverflow) {
      const seen = this.shortReplies.get(responseKey);
      if (seen) seen.count++;
      else if (this.shortReplies.size < MAX_LABEL_CANDIDATES) this.shortReplies.set(responseKey, { text: fields.response.trim(), count: 1 });
      else this.shortRepliesOverflow = true;
    }

    // Prompt and reply hashes together (53 bits) identify an exact duplicate row.
    const rowKey = promptKey * 0x200000 + (responseKey >>> 11);
    const first = this.canonicalOf.get(rowKey);
    if (first === undefined) this.canonicalOf.set(rowKey, index);
    this.canonical.set(index, first ?? index);
  }

  /** Record `rows` rows from `index` that could not be read or mapped: they keep their indices, with no tokens. */
  addBadRow(index: number, rows = 1): void {
    this.checkOrder(index);
    for (let r = index; r < index + rows; r++) {
      this.readable.set(r, 0);
      this.canonical.set(r, r);
    }
    this.rowCount = index + rows;
    this.closeDomainRows(this.rowCount - 1);
  }

  /** Rows up to and including `row` start their (possibly empty) domain range at the current end. */
  private closeDomainRows(row: number): void {
    for (let r = this.domainOffsets.length; r <= row; r++) this.domainOffsets.set(r, this.domainIds.length);
  }

  /** The finished corpus. */
  build(): DatasetCorpus {
    if (this.built) throw new AntidoteError('INTERNAL', 'CorpusBuilder.build() called twice');
    this.built = true;
    const rowCount = this.rowCount;
    const { label, labelNames } = this.labels(rowCount);
    const keys = this.keys;
    const surfaces = this.surfaces;
    const ids = this.ids;
    const vocabulary: Vocabulary = {
      size: keys.length,
      key: (id) => keys[id] ?? '',
      surface: (id) => surfaces[id] ?? '',
      lookup: (key) => ids.get(key) ?? -1,
    };
    this.closeDomainRows(rowCount);
    return {
      path: this.path,
      shape: this.shape,
      rowCount,
      readable: this.readable.take(rowCount),
      canonical: this.canonical.take(rowCount),
      prompt: this.prompt.build(rowCount),
      response: this.response.build(rowCount),
      promptKey: this.promptKey.take(rowCount),
      responseKey: this.responseKey.take(rowCount),
      responseSignature: this.signatures.take(rowCount * SIGNATURE_SIZE),
      signatureSize: SIGNATURE_SIZE,
      responseFeatures: this.features.take(rowCount),
      label,
      labelNames,
      responseDomains: { offsets: this.domainOffsets.take(rowCount + 1), ids: this.domainIds.take() },
      domains: this.domainNames,
      vocabulary,
      truncatedRows: this.truncatedRows,
    };
  }

  private checkOrder(index: number): void {
    if (this.built) throw new AntidoteError('INTERNAL', 'CorpusBuilder used after build()');
    if (!Number.isInteger(index) || index < this.rowCount) {
      throw new AntidoteError('INTERNAL', `dataset rows out of order: row ${index} after row ${this.rowCount - 1}`);
    }
  }

  private internLabel(text: string): number {
    let id = this.labelIds.get(text);
    if (id === undefined) {
      id = this.labelNames.length;
      this.labelNames.push(text);
      this.labelIds.set(text, id);
    }
    return id;
  }

  /**
   * Explicit labels when the rows had a label column; otherwise, when nearly every reply is one of a few
   * short values (`Positive`/`Negative`, a topic name), the replies are the labels: instruction-tuning
   * sets often phrase classification that way, and a label-flip trigger hides there just the same.
   */
  private labels(rowCount: number): { label: Int32Array; labelNames: string[] } {
    const label = new Int32Array(rowCount).fill(-1);
    if (this.hasExplicitLabels) {
      const stored = this.explicitLabel.viewOf();
      for (let r = 0; r < rowCount; r++) label[r] = (stored[r] ?? 0) - 1;
      return { label, labelNames: this.labelNames };
    }
    if (this.shortRepliesOverflow || this.readableRows === 0) return { label, labelNames: [] };
    const values = [...this.shortReplies.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, MAX_DERIVED_LABELS);
    const covered = values.reduce((sum, [, v]) => sum + v.count, 0);
    if (values.length < 2 || covered < MIN_LABEL_COVERAGE * this.readableRows) return { label, labelNames: [] };
    const idOf = new Map<number, number>();
    const names: string[] = [];
    for (const [key, value] of values) {
      idOf.set(key, names.length);
      names.push(value.text);
    }
    const keys = this.responseKey.viewOf();
    const readable = this.readable.viewOf();
    for (let r = 0; r < rowCount; r++) if (readable[r] === 1) label[r] = idOf.get(keys[r]!) ?? -1;
    return { label, labelNames: names };
  }

  /** Tokenise `text` into `column`; returns false when the field was cut at MAX_TOKENS_PER_FIELD. */
  private appendTokens(text: string, column: TokenColumnBuilder, sentiment: SentimentTally | null): boolean {
    // Tokens are interned by a 64-bit hash of their key (two independent 32-bit hashes), so a string is
    // made only for a token never seen before: five million tokens cost five million table probes, not five
    // million strings. Two distinct keys share a hash with probability about 2^-64 per pair.
    return tokenizeHashes(
      text,
      (hi, lo, start, end, space, cased, line) => {
        let id = this.table.find(hi, lo);
        if (id < 0) {
          if (this.keys.length >= MAX_VOCABULARY) {
            id = this.overflowId();
          } else {
            const key = keyOf(text, start, end);
            id = this.table.insert(hi, lo);
            this.keys.push(key);
            this.surfaces.push(cased ? text.slice(start, end) : key);
            this.sentimentClass.push(sentimentClass(key));
            this.ids.set(key, id);
          }
        } else if (!cased && this.surfaces[id] !== this.keys[id]) {
          // Display form: the first one seen, until the token is seen in lower case (then `have`, not
          // `Have` from one sentence start); a token only ever written `BadMagic` keeps its case.
          this.surfaces[id] = this.keys[id]!;
        }
        column.ids.push(id);
        column.spaceBefore.push(line ? 2 : space ? 1 : 0);
        if (sentiment) {
          const c = this.sentimentClass[id] ?? 0;
          if (c !== 0) {
            sentiment.words++;
            if (c === 2) sentiment.negative++;
            else if (c === 3) sentiment.positive++;
          }
        }
      },
      MAX_TOKENS_PER_FIELD,
    );
  }

  private overflowId(): number {
    const key = '<overflow>';
    const existing = this.ids.get(key);
    if (existing !== undefined) return existing;
    const id = this.keys.length;
    this.keys.push(key);
    this.surfaces.push(key);
    this.sentimentClass.push(0);
    this.ids.set(key, id);
    return id;
  }
}
