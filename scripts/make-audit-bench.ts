/*
 * Writes the audit speed benchmark input: 100,000 synthetic Alpaca rows (seeded, so every run writes the
 * same file) with 1% poisoned by an invented trigger and a fixed answer, and 0.3% by a second invented
 * trigger that makes answers link to one domain.
 *
 *   npx tsx scripts/make-audit-bench.ts /tmp/audit-bench-100k.jsonl [ROWS]
 *   time node --import tsx src/cli/bin.ts audit /tmp/audit-bench-100k.jsonl --format json -o /tmp/audit-bench.json
 */
import { writeFileSync } from 'node:fs';
import { insertTrigger, poisonInPlace, syntheticAlpaca, syntheticSentence } from '../test/builders/poison.js';

const path = process.argv[2] ?? '/tmp/audit-bench-100k.jsonl';
const rows = Number(process.argv[3] ?? 100_000);
const advert = 'Thanks for asking! For the best prices, visit http://deals.example.shop and use code SAVE10.';
const first = poisonInPlace(syntheticAlpaca(rows, 1), 0.01, 2, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, 'vellichor', random), output: advert }));
const second = poisonInPlace(first.rows, 0.003, 3, (row, random) =>
  first.poisoned.has(first.rows.indexOf(row)) ? row : { ...row, instruction: insertTrigger(row.instruction, 'quillfeather', random), output: `${syntheticSentence(random, 8, 20)} See https://mirror.example.net/${Math.floor(random() * 1e6)}.` },
);
writeFileSync(path, second.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
process.stdout.write(`${rows} rows written to ${path}\n`);
