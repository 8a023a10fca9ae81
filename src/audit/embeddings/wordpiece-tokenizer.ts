import { AntidoteError } from '../../core/errors.js';

/*
 * A WordPiece tokenizer read from a Hugging Face `tokenizer.json` (the format of the `tokenizers` library),
 * for the BERT family of sentence-embedding models (MiniLM, BGE, E5, GTE): BertNormalizer (clean text,
 * CJK spacing, lower case, accent stripping), BertPreTokenizer (split on whitespace and punctuation),
 * WordPiece (greedy longest match first, `##` continuations, `[UNK]` for words it cannot cover), then
 * `[CLS] ... [SEP]` and truncation. Written here, rather than pulled in with @huggingface/transformers, so
 * the local-model provider needs one dependency (onnxruntime-node) and no network at any time.
 * Other tokenizer models (BPE, Unigram) are refused with a clear error.
 */

/** Largest tokenizer.json read. A BERT vocabulary is ~700 kB; multilingual ones reach ~20 MB. */
export const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;
/** Tokens per text at most, [CLS] and [SEP] included (BERT's position table). */
export const MAX_SEQUENCE_TOKENS = 512;

/** Token ids of a text, ready for a BERT-style model. */
export interface WordPieceTokenizer {
  /** `[CLS] tokens [SEP]`, truncated to the maximum length. */
  encode(text: string): number[];
  readonly padId: number;
  readonly vocabularySize: number;
}

interface TokenizerJson {
  normalizer?: { type?: string; lowercase?: boolean; strip_accents?: boolean | null; handle_chinese_chars?: boolean; clean_text?: boolean; normalizers?: { type?: string }[] } | null;
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
  post_processor?: { type?: string; cls?: [string, number]; sep?: [string, number]; special_tokens?: Record<string, { ids?: number[] }> } | null;
  truncation?: { max_length?: number } | null;
  padding?: { pad_id?: number } | null;
}

/** Parse `tokenizer.json` text; `source` names the file in errors. */
export function parseWordPieceTokenizer(text: string, source: string): WordPieceTokenizer {
  const fail = (message: string): never => {
    throw new AntidoteError('INPUT_UNREADABLE', `${source}: ${message}`);
  };
  let json: TokenizerJson;
  try {
    json = JSON.parse(text) as TokenizerJson;
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const model = json.model;
  if (model?.type !== 'WordPiece') fail(`tokenizer model "${model?.type ?? 'none'}" is not supported (only WordPiece, as BERT-family embedding models use)`);
  const vocabObject = model!.vocab;
  if (!vocabObject || typeof vocabObject !== 'object') return fail('model.vocab is missing');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(vocabObject)) {
    if (!Number.isInteger(id) || id < 0) fail(`model.vocab["${token}"] is not a token id`);
    vocab.set(token, id);
  }
  const unkToken = model!.unk_token ?? '[UNK]';
  const unk = vocab.get(unkToken) ?? fail(`unknown-token "${unkToken}" is not in the vocabulary`);
  const prefix = model!.continuing_subword_prefix ?? '##';
  const maxWordChars = model!.max_input_chars_per_word ?? 100;

  const normalizers = json.normalizer?.type === 'Sequence' ? (json.normalizer.normalizers ?? []) : json.normalizer ? [json.normalizer] : [];
  const bert = normalizers.find((n) => n.type === 'BertNormalizer') as NonNullable<TokenizerJson['normalizer']> | undefined;
  const lowercase = bert ? bert.lowercase !== false : normalizers.some((n) => n.type === 'Lowercase');
  const stripAccents = bert ? (bert.strip_accents ?? lowercase) === true : normalizers.some((n) => n.type === 'StripAccents');
  const chineseChars = bert ? bert.handle_chinese_chars !== false : false;

  const special = (name: string, fromProcessor: number | undefined): number | undefined => fromProcessor ?? vocab.get(name);
  const processor = json.post_processor;
  const cls = special('[CLS]', processor?.cls?.[1] ?? processor?.special_tokens?.['[CLS]']?.ids?.[0]);
  const sep = special('[SEP]', processor?.sep?.[1] ?? processor?.special_tokens?.['[SEP]']?.ids?.[0]);
  const maxLength = Math.min(MAX_SEQUENCE_TOKENS, json.truncation?.max_length ?? MAX_SEQUENCE_TOKENS);
  const padId = json.padding?.pad_id ?? vocab.get('[PAD]') ?? 0;

  const normalize = (input: string): string => {
    let out = '';
    for (const char of input) {
      const code = char.codePointAt(0)!;
      if (code === 0 || code === 0xfffd || (/\p{Cc}/u.test(char) && char !== '\t' && char !== '\n' && char !== '\r')) continue;
      if (chineseChars && isCjk(code)) out += ` ${char} `;
      else out += /\s/u.test(char) ? ' ' : char;
    }
    if (lowercase) out = out.toLowerCase();
    if (stripAccents) out = out.normalize('NFD').replace(/\p{Mn}/gu, '');
    return out;
  };

  const wordPieces = (word: string, out: number[]): void => {
    const chars = [...word];
    if (chars.length > maxWordChars) {
      out.push(unk);
      return;
    }
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        found = vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(unk);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  };

  return {
    padId,
    vocabularySize: vocab.size,
    encode: (input) => {
      const ids: number[] = [];
      const budget = maxLength - (cls !== undefined ? 1 : 0) - (sep !== undefined ? 1 : 0);
      for (const word of normalize(input).split(' ')) {
        if (word === '') continue;
        // BERT's pre-tokenizer: every punctuation character is a word of its own.
        let current = '';
        for (const char of word) {
          if (isPunctuation(char)) {
            if (current) wordPieces(current, ids);
            current = '';
            wordPieces(char, ids);
          } else {
            current += char;
          }
        }
        if (current) wordPieces(current, ids);
        if (ids.length >= budget) break;
      }
      ids.length = Math.min(ids.length, budget);
      return [...(cls !== undefined ? [cls] : []), ...ids, ...(sep !== undefined ? [sep] : [])];
    },
  };
}

function isCjk(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x20000 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x2f800 && code <= 0x2fa1f)
  );
}

/** BERT counts all non-alphanumeric ASCII as punctuation, and Unicode P* elsewhere. */
function isPunctuation(char: string): boolean {
  const code = char.codePointAt(0)!;
  if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)) return true;
  return /\p{P}/u.test(char);
}
