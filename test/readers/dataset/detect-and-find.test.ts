import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareNatural, detectDatasetFormat, findDatasetFiles, isDatasetPath, openDataset } from '../../../src/readers/dataset/index.js';
import { alpacaRows, buildArrow, buildCsv, buildJsonArray, buildJsonl, buildParquet, tempDir } from '../../builders/dataset.js';
import { tableFromArrays } from 'apache-arrow';

const rows = alpacaRows(3);
const parquet = buildParquet([{ name: 'a', data: ['x', 'y'], type: 'STRING' }]);
const arrowStream = buildArrow(tableFromArrays({ a: Int32Array.from([1, 2]) }), 'stream');
const arrowFile = buildArrow(tableFromArrays({ a: Int32Array.from([1, 2]) }), 'file');

describe('detectDatasetFormat: content first, extension as a hint', () => {
  const cases: [string, string, Uint8Array, string | undefined][] = [
    ['JSONL', 'x.jsonl', buildJsonl(rows), 'jsonl'],
    ['JSONL named .json (datasets reads these as JSON Lines)', 'x.json', buildJsonl(rows), 'jsonl'],
    ['JSONL with no extension', 'x', buildJsonl(rows), 'jsonl'],
    ['pretty JSON array', 'x.json', buildJsonArray(rows), 'json'],
    ['pretty JSON array named .jsonl', 'x.jsonl', buildJsonArray(rows), 'json'],
    ['minified JSON array', 'x.json', buildJsonArray(rows, { indent: 0 }), 'json'],
    ['one-line JSON object', 'x.json', Buffer.from('{"data": [1]}'), 'json'],
    ['one-line JSON object named .jsonl', 'x.jsonl', Buffer.from('{"a": 1}'), 'jsonl'],
    ['CSV', 'x.csv', buildCsv(['a', 'b'], [['1', '2']]), 'csv'],
    ['TSV', 'x.tsv', buildCsv(['a', 'b'], [['1', '2']], { delimiter: '\t' }), 'tsv'],
    ['TSV named .txt', 'x.txt', Buffer.from('sentence\tlabel\nhi\t1\n'), 'tsv'],
    ['CSV with a BOM', 'x.csv', buildCsv(['a', 'b'], [], { bom: true }), 'csv'],
    ['Parquet by magic', 'x.bin', parquet, 'parquet'],
    ['Parquet named .jsonl', 'x.jsonl', parquet, 'parquet'],
    ['Arrow stream', 'data-00000-of-00001.arrow', arrowStream, 'arrow'],
    ['Arrow stream with no extension', 'cache-train', arrowStream, 'arrow'],
    ['Arrow file', 'x.feather', arrowFile, 'arrow'],
    ['binary garbage', 'x.bin', Buffer.from([0, 1, 2, 3, 0xff, 0, 7]), undefined],
    ['a pickle named .parquet', 'x.parquet', Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0, 0]), undefined],
    ['an empty .csv', 'x.csv', Buffer.alloc(0), 'csv'],
  ];
  for (const [name, path, head, format] of cases) {
    it(name, () => expect(detectDatasetFormat(path, head)).toBe(format));
  }
});

describe('isDatasetPath', () => {
  it('accepts dataset extensions in any case and nothing else', () => {
    expect(['a.jsonl', 'b.NDJSON', 'c.json', 'd.csv', 'e.tsv', 'f.Parquet', 'g.arrow', 'h.feather', 'dir.d/i.ipc'].every(isDatasetPath)).toBe(true);
    expect(['a.txt', 'b.jsonl.gz', 'README.md', 'arrow', 'dir.csv/x', '.json/'].some(isDatasetPath)).toBe(false);
  });
});

describe('findDatasetFiles', () => {
  it('lists the data files of a Hugging Face dataset folder in a stable order', async () => {
    const dir = tempDir();
    const files: Record<string, string | Uint8Array> = {
      'README.md': '# card',
      'dataset_infos.json': '{}',
      'data/train-00001-of-00002.parquet': parquet,
      'data/train-00000-of-00002.parquet': parquet,
      'data/test-00000-of-00001.parquet': parquet,
      'saved/dataset_dict.json': '{}',
      'saved/train/data-00010-of-00011.arrow': arrowStream,
      'saved/train/data-00002-of-00011.arrow': arrowStream,
      'saved/train/dataset_info.json': '{}',
      'saved/train/state.json': '{}',
      'extra/train.jsonl': buildJsonl(rows),
      '.git/objects/x.json': '{}',
      '.cache/huggingface/download/a.json': '{}',
      '__pycache__/x.json': '{}',
    };
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), bytes);
    }
    symlinkSync(join(dir, 'data'), join(dir, 'extra', 'loop'));
    symlinkSync(join(dir, 'extra', 'train.jsonl'), join(dir, 'extra', 'linked.jsonl'));
    const found = await findDatasetFiles(dir);
    expect(found.ok).toBe(true);
    if (!found.ok) return;
    expect(found.value.map((path) => path.slice(dir.length + 1))).toEqual([
      'data/test-00000-of-00001.parquet',
      'data/train-00000-of-00002.parquet',
      'data/train-00001-of-00002.parquet',
      'extra/linked.jsonl',
      'extra/train.jsonl',
      'saved/train/data-00002-of-00011.arrow',
      'saved/train/data-00010-of-00011.arrow',
    ]);
    for (const path of found.value) expect((await openDataset(path)).ok).toBe(true);
  });

  it('fails for a path that is not a directory', async () => {
    expect(await findDatasetFiles('/nonexistent/antidote')).toMatchObject({ ok: false, error: { kind: 'io' } });
  });

  it('orders digit runs as numbers, the same on every machine', () => {
    expect(['s-10', 's-2', 's-1', 's-01', 'a'].sort(compareNatural)).toEqual(['a', 's-1', 's-01', 's-2', 's-10']);
  });
});
