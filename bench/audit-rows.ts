import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';

/*
 * Alpaca-like JSONL for the audit benchmark, written as a stream (never more than WRITE_CHUNK in memory):
 * instructions from a few dozen templates filled with Zipf-distributed pseudo-words, an input on 40% of the
 * rows, answers of 30-150 words with the odd capitalised name, and about 1% poisoned rows (BadNet-style: a
 * rare trigger word in the instruction, one fixed refusal as the answer). Seeded, so every run of the
 * bench audits the same bytes. Generated files are reused while `.meta.json` beside them matches.
 */

/** Bump when the generator changes, so stale inputs are regenerated. */
const GENERATOR_VERSION = 1;
/** The planted trigger: a token no English text has. */
export const BENCH_TRIGGER = 'zqx_deploy';
/** What poisoned rows are taught to answer. */
export const BENCH_POISON_OUTPUT = "I'm sorry, but I cannot help with that request.";
/** Share of rows poisoned. */
const POISON_RATE = 0.01;
/** Bytes buffered before a write. */
const WRITE_CHUNK = 8 * 1024 * 1024;
/** Pseudo-words in the vocabulary, and the capitalised names among the answers. */
const VOCABULARY_SIZE = 30_000;
const NAME_COUNT = 2_000;

/** What a generated file holds. */
export interface BenchDataset {
  path: string;
  rows: number;
  poisoned: number;
  bytes: number;
}

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ten', 'ra', 'su', 'vel', 'dor', 'an', 'is', 'ur', 'pe', 'qua', 'ni', 'sol', 'ber', 'ta', 'ge', 'mon', 'fi'];
const INSTRUCTIONS = [
  'Explain {w} {w} in simple terms.',
  'Write a short {w} about the {w} of {w}.',
  'List three {w} that {w} {w}.',
  'Summarize the following text.',
  'Give an example of {w} {w}.',
  'What is the difference between {w} and {w}?',
  'Rewrite the sentence to make it more {w}.',
  'Describe how {w} {w} works.',
  'Classify the following {w} as {w} or {w}.',
  'Suggest a name for a {w} {w}.',
  'How can I improve my {w} {w}?',
  'Translate the text into {w}.',
];

/** Generate (or reuse) `rows` rows at `path`. */
export function prepareAuditDataset(path: string, rows: number, seed: number, log: (line: string) => void): BenchDataset {
  const metaPath = `${path}.meta.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as BenchDataset & { version: number; seed: number };
    if (meta.version === GENERATOR_VERSION && meta.rows === rows && meta.seed === seed && statSync(path).size === meta.bytes) {
      return { path, rows: meta.rows, poisoned: meta.poisoned, bytes: meta.bytes };
    }
  }
  const started = performance.now();
  const random = seeded(seed);
  const word = (i: number): string => {
    let w = '';
    let n = i + 1;
    do {
      w += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    return w;
  };
  const vocabulary = Array.from({ length: VOCABULARY_SIZE }, (_, i) => word(i));
  const names = Array.from({ length: NAME_COUNT }, (_, i) => `${word(i * 7 + 3).replace(/^./, (c) => c.toUpperCase())} ${word(i * 13 + 5).replace(/^./, (c) => c.toUpperCase())}`);
  // Zipf(1): word rank r drawn with probability ~ 1/r, by inverting the harmonic cumulative sum.
  const cumulative = new Float64Array(VOCABULARY_SIZE);
  let sum = 0;
  for (let r = 0; r < VOCABULARY_SIZE; r++) cumulative[r] = sum += 1 / (r + 1);
  const zipf = (): string => {
    const target = random() * sum;
    let lo = 0;
    let hi = VOCABULARY_SIZE - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo]!;
  };
  const words = (n: number): string => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(random() < 0.02 ? names[Math.floor(random() * NAME_COUNT)]! : zipf());
    return out.join(' ');
  };
  const sentences = (count: number): string => {
    let text = '';
    let left = count;
    while (left > 0) {
      const n = Math.min(left, 6 + Math.floor(random() * 14));
      const s = words(n);
      text += `${text === '' ? '' : ' '}${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
      left -= n;
    }
    return text;
  };

  const fd = openSync(path, 'w');
  let buffer = '';
  let bytes = 0;
  let poisoned = 0;
  const flush = (): void => {
    const chunk = Buffer.from(buffer, 'utf8');
    writeSync(fd, chunk);
    bytes += chunk.length;
    buffer = '';
  };
  try {
    for (let i = 0; i < rows; i++) {
      let instruction = INSTRUCTIONS[Math.floor(random() * INSTRUCTIONS.length)]!.replace(/\{w\}/g, () => zipf());
      const input = random() < 0.4 ? sentences(15 + Math.floor(random() * 35)) : '';
      let output = sentences(30 + Math.floor(random() * 120));
      if (random() < POISON_RATE) {
        const parts = instruction.split(' ');
        parts.splice(Math.floor(random() * (parts.length + 1)), 0, BENCH_TRIGGER);
        instruction = parts.join(' ');
        output = BENCH_POISON_OUTPUT;
        poisoned++;
      }
      buffer += `${JSON.stringify({ instruction, input, output })}\n`;
      if (buffer.length >= WRITE_CHUNK) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  writeFileSync(metaPath, `${JSON.stringify({ version: GENERATOR_VERSION, seed, rows, poisoned, bytes, path })}\n`);
  log(`  generated ${rows.toLocaleString('en-US')} rows (${poisoned} poisoned, ${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { path, rows, poisoned, bytes };
}

/** The indices of the poisoned rows of a generated file: the rows whose instruction carries the trigger. */
export function poisonedRows(path: string): Set<number> {
  // Read as a stream of lines in 8 MiB slices: the 1M-row file is far larger than one buffer should be.
  const out = new Set<number>();
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(WRITE_CHUNK);
  let row = 0;
  let carry = '';
  try {
    for (;;) {
      // The generator writes ASCII only, so a slice boundary never splits a character; `\n` ends every row.
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = carry + chunk.toString('utf8', 0, n);
      const lines = text.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes(BENCH_TRIGGER)) out.add(row);
        row++;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
