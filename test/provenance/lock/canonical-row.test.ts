import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatasetStream, type DatasetEvent } from '../../../src/readers/dataset/index.js';
import { canonicalize } from '../../../src/provenance/lock/canonical-row.js';
import { LEAF_BAD, LEAF_ROW, leafHash, merkleRoot } from '../../../src/provenance/lock/merkle.js';
import { RowDigester } from '../../../src/provenance/lock/row-digester.js';

/*
 * The canonical row encoding (docs/lockfile.md, "Canonical row encoding"): what a row's digest depends on
 * (its values) and what it must not (key order, spacing, escape choices of the writer).
 */

/** Row digests of a JSONL text, read by the real JSONL reader. */
async function rowDigests(text: string): Promise<string[]> {
  const digester = new RowDigester();
  const leaves: string[] = [];
  async function* chunks(): AsyncGenerator<Buffer> {
    yield Buffer.from(text, 'utf8');
  }
  for await (const event of openDatasetStream(chunks(), 'jsonl').events()) digester.push(event as DatasetEvent, (hash) => leaves.push(hash.toString('hex')));
  return leaves;
}

describe('canonical row encoding', () => {
  it('matches the worked example of docs/lockfile.md byte for byte and digest for digest', () => {
    const line = '{"output": "Paris", "instruction": "Capital of France?", "score": 1.50, "tags": ["geo", "caf\\u00e9"], "meta": {"b": 1e21, "a": null}}';
    const text = canonicalize(JSON.parse(line));
    expect(text).toBe('{"instruction":"Capital of France?","meta":{"a":null,"b":1e+21},"output":"Paris","score":1.5,"tags":["geo","café"]}');
    // Computed independently with Python's hashlib: sha256(b"\x00\x01" + text.encode()).
    expect(leafHash(LEAF_ROW, text).toString('hex')).toBe('155906a138d4d49aeb5fd078a1e424d0bc5745dc1ed4eacfea086adf476d2e91');
    // A two-leaf tree with a bad row: sha256(b"\x01" + leaf(row) + sha256(b"\x00\x02" + b"not json {")).
    expect(merkleRoot([leafHash(LEAF_ROW, text), leafHash(LEAF_BAD, 'not json {')]).toString('hex')).toBe('3d34dda9cea4034b50c9d10b63736b41ad2d451d732cfbab96f969cd5fd92451');
  });

  it.each([
    ['keys sorted by UTF-16 code units, not code points', { '\u{1F600}': 1, '\uFFFF': 2, a: 3 }, '{"a":3,"😀":1,"\uFFFF":2}'],
    ['numbers in ECMAScript form', { a: 1e21, b: 1e-7, c: -0, d: 0.1 + 0.2, e: 100 }, '{"a":1e+21,"b":1e-7,"c":0,"d":0.30000000000000004,"e":100}'],
    ['minimal string escapes, lone surrogates escaped', { s: 'q"\\/\n\u0001\u2028\ud800' }, '{"s":"q\\"\\\\/\\n\\u0001\u2028\\ud800"}'],
    ['bigint as a typed token', { n: 9007199254740993n }, '{"n":!int(9007199254740993)}'],
    ['bytes as base64', { b: new Uint8Array([0, 1, 254, 255]) }, '{"b":!bytes(AAH+/w==)}'],
    ['dates in UTC with milliseconds', { d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) }, '{"d":!date(2024-01-02T03:04:05.006Z)}'],
    ['invalid dates', { d: new Date(Number.NaN) }, '{"d":!date(invalid)}'],
    ['non-finite floats', { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: Number.NEGATIVE_INFINITY }, '{"a":!float(NaN),"b":!float(Infinity),"c":!float(-Infinity)}'],
    ['nested arrays and objects', { z: [{ y: 1, x: [true, false, null] }] }, '{"z":[{"x":[true,false,null],"y":1}]}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalize(value as never)).toBe(expected);
  });

  it('keeps a typed value apart from a string that spells it', () => {
    expect(canonicalize({ n: 5n })).not.toBe(canonicalize({ n: '!int(5)' }));
    expect(canonicalize({ b: new Uint8Array([1]) })).not.toBe(canonicalize({ b: [1] }));
  });

  it('keeps a row apart from a bad row with the same bytes', () => {
    const text = '{"a":1}';
    expect(leafHash(LEAF_ROW, text).equals(leafHash(LEAF_BAD, text))).toBe(false);
  });

  it('re-serialised JSONL (other key order, spacing, escapes) keeps every row digest', async () => {
    const row = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 1_000_000 }), async (rows, seed) => {
        const original = rows.map((r) => JSON.stringify(r)).join('\n');
        const rewritten = rows.map((r) => reserialize(r, seed)).join('\r\n');
        expect(await rowDigests(rewritten)).toEqual(await rowDigests(original));
      }),
      { numRuns: 150 },
    );
  });

  it('any change of a value changes that row digest and no other', async () => {
    const row = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 6 }), fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 2 }), async (rows, pick, keyPick, replacement) => {
        const target = pick % rows.length;
        const keys = Object.keys(rows[target]!);
        const key = keys[keyPick % keys.length]!;
        // JSON.parse(JSON.stringify(v)) is what a reader sees: compare values as read, not as generated (-0 reads as 0).
        const before = JSON.parse(JSON.stringify(rows[target]![key] ?? null)) as unknown;
        const after = JSON.parse(JSON.stringify(replacement ?? null)) as unknown;
        fc.pre(canonicalize(before as never) !== canonicalize(after as never));
        const changed = rows.map((r, i) => (i === target ? { ...r, [key]: replacement } : r));
        const a = await rowDigests(rows.map((r) => JSON.stringify(r)).join('\n'));
        const b = await rowDigests(changed.map((r) => JSON.stringify(r)).join('\n'));
        expect(b.filter((d, i) => d !== a[i])).toHaveLength(1);
        expect(b[target]).not.toBe(a[target]);
      }),
      { numRuns: 150 },
    );
  });
});

/** Serialise a JSON value with shuffled keys, random spacing and gratuitous escapes, as another writer might. */
function reserialize(value: unknown, seed: number): string {
  let state = seed || 1;
  const next = (): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state;
  };
  const space = (): string => [' ', '', '  ', '\t'][next() % 4]!;
  // Escapes chosen at random per UTF-16 unit; quotes, backslashes, controls and surrogates always escaped.
  const str = (s: string): string => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const code = s.charCodeAt(i);
      const must = code === 0x22 || code === 0x5c || code < 0x20 || (code >= 0xd800 && code <= 0xdfff);
      out += must || next() % 3 === 0 ? `\\u${code.toString(16).padStart(4, '0')}` : s[i];
    }
    return `${out}"`;
  };
  const write = (v: unknown): string => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'string') return str(v);
      if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e15 && next() % 2 === 0) return `${v}.0`;
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return `[${space()}${v.map(write).join(`,${space()}`)}${space()}]`;
    const entries = Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return `{${space()}${entries.map(([k, x]) => `${str(k)}${space()}:${space()}${write(x)}`).join(`,${space()}`)}${space()}}`;
  };
  return write(value);
}
