import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AntidoteError, RESULT_VERSION } from '../../src/core/index.js';
import { parseResult, renderJson } from '../../src/report/json.js';
import { HOSTILE, hostileResult, sampleResult } from './sample-result.js';
import { describeErrors, validateResultSchema } from './schema-validators.js';
import schema from '../../docs/result.schema.json' with { type: 'json' };

/** Run `fn` and return the AntidoteError it throws (failing the test if it throws anything else). */
function thrown(fn: () => unknown): AntidoteError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AntidoteError);
    return error as AntidoteError;
  }
  throw new TypeError('expected an AntidoteError, nothing was thrown');
}

type Doc = Record<string, unknown>;

/** A valid rendered document, as plain JSON to mutate. */
function validDoc(): Doc {
  return JSON.parse(renderJson(sampleResult())) as Doc;
}

function at(doc: Doc, ...keys: (string | number)[]): Doc {
  let node: unknown = doc;
  for (const key of keys) node = (node as Record<string | number, unknown>)[key];
  return node as Doc;
}

/**
 * Documents that break the contract, each with the field the error must name. Every one must be rejected
 * by parseResult with RESULT_INVALID *and* by docs/result.schema.json: the two must not drift apart.
 */
const INVALID: { name: string; field: string; mutate: (doc: Doc) => void }[] = [
  { name: 'missing version', field: 'version', mutate: (d) => delete d.version },
  { name: 'version of another major', field: 'version', mutate: (d) => (d.version = '2.0.0') },
  { name: 'version that is not semver', field: 'version', mutate: (d) => (d.version = '1.0') },
  { name: 'numeric version', field: 'version', mutate: (d) => (d.version = 1) },
  { name: 'foreign tool', field: 'tool.name', mutate: (d) => (at(d, 'tool').name = 'other') },
  { name: 'unknown run status', field: 'status', mutate: (d) => (d.status = 'ok') },
  { name: 'startedAt that is not a date-time', field: 'startedAt', mutate: (d) => (d.startedAt = 'yesterday') },
  { name: 'negative duration', field: 'durationMs', mutate: (d) => (d.durationMs = -1) },
  { name: 'inputs not an array', field: 'inputs', mutate: (d) => (d.inputs = 'model.pt') },
  { name: 'non-string input', field: 'inputs[1]', mutate: (d) => ((d.inputs as unknown[])[1] = 5) },
  { name: 'findings not an array', field: 'findings', mutate: (d) => (d.findings = {}) },
  { name: 'finding not an object', field: 'findings[0]', mutate: (d) => ((d.findings as unknown[])[0] = 'x') },
  { name: 'unknown severity', field: 'findings[1].severity', mutate: (d) => (at(d, 'findings', 1).severity = 'severe') },
  { name: 'empty rule id', field: 'findings[0].ruleId', mutate: (d) => (at(d, 'findings', 0).ruleId = '') },
  { name: 'missing message', field: 'findings[2].message', mutate: (d) => delete at(d, 'findings', 2).message },
  { name: 'missing location', field: 'findings[0].location', mutate: (d) => delete at(d, 'findings', 0).location },
  { name: 'empty path', field: 'findings[0].location.path', mutate: (d) => (at(d, 'findings', 0, 'location').path = '') },
  {
    name: 'negative offset',
    field: 'findings[0].location.offset',
    mutate: (d) => (at(d, 'findings', 0, 'location').offset = -4),
  },
  {
    name: 'fractional offset',
    field: 'findings[0].location.offset',
    mutate: (d) => (at(d, 'findings', 0, 'location').offset = 1.5),
  },
  {
    name: 'offset as a string',
    field: 'findings[0].location.offset',
    mutate: (d) => (at(d, 'findings', 0, 'location').offset = '42'),
  },
  { name: 'missing evidence', field: 'findings[0].evidence', mutate: (d) => delete at(d, 'findings', 0).evidence },
  { name: 'score above 1', field: 'findings[3].evidence.score', mutate: (d) => (at(d, 'findings', 3, 'evidence').score = 3) },
  {
    name: 'nested detail value',
    field: 'findings[2].evidence.details["module"]',
    mutate: (d) => (at(d, 'findings', 2, 'evidence', 'details').module = { a: 1 }),
  },
  { name: 'unknown file status', field: 'files[0].status', mutate: (d) => (at(d, 'files', 0).status = 'clean') },
  { name: 'negative size', field: 'files[1].size', mutate: (d) => (at(d, 'files', 1).size = -1) },
  { name: 'sha256 not hex', field: 'files[0].sha256', mutate: (d) => (at(d, 'files', 0).sha256 = 'zz') },
  { name: 'sha256 missing', field: 'files[0].sha256', mutate: (d) => delete at(d, 'files', 0).sha256 },
  { name: 'rule without tags', field: 'rules[0].tags', mutate: (d) => delete at(d, 'rules', 0).tags },
  {
    name: 'rule with unknown default severity',
    field: 'rules[2].defaultSeverity',
    mutate: (d) => (at(d, 'rules', 2).defaultSeverity = 'none'),
  },
  { name: 'summary missing a severity', field: 'summary.low', mutate: (d) => delete at(d, 'summary').low },
  { name: 'summary count negative', field: 'summary.high', mutate: (d) => (at(d, 'summary').high = -1) },
  { name: 'root not an object', field: '(root)', mutate: () => undefined },
];

describe('renderJson', () => {
  it('validates against docs/result.schema.json', () => {
    for (const result of [sampleResult(), hostileResult()]) {
      const ok = validateResultSchema(JSON.parse(renderJson(result)));
      expect(describeErrors(validateResultSchema.errors)).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('writes keys in the order of the ScanResult type, whatever order the object had', () => {
    const result = sampleResult();
    const shuffled = Object.fromEntries(Object.entries(result).reverse()) as typeof result;
    const first = shuffled.findings[0];
    if (first) first.location = { pickleIndex: 0, offset: 42, path: first.location.path };
    const doc = JSON.parse(renderJson(shuffled)) as Doc;
    expect(Object.keys(doc)).toEqual([
      'version', 'tool', 'status', 'startedAt', 'durationMs', 'inputs', 'findings', 'files', 'rules', 'summary',
    ]);
    expect(Object.keys(at(doc, 'findings', 0))).toEqual(['ruleId', 'severity', 'messageId', 'message', 'location', 'evidence']);
    expect(Object.keys(at(doc, 'findings', 0, 'location'))).toEqual(['path', 'offset', 'pickleIndex']);
    expect(Object.keys(at(doc, 'summary'))).toEqual(['info', 'low', 'medium', 'high', 'critical']);
    expect(renderJson(shuffled)).toBe(renderJson(sampleResult()));
  });

  it('is pretty-printed and ends with a newline', () => {
    const out = renderJson(sampleResult());
    expect(out.startsWith('{\n  "version": ')).toBe(true);
    expect(out.endsWith('}\n')).toBe(true);
  });

  it('drops fields the contract does not know', () => {
    const result = { ...sampleResult(), secret: 'x' } as ReturnType<typeof sampleResult>;
    expect(renderJson(result)).not.toContain('secret');
  });
});

describe('parseResult', () => {
  it('round-trips a rendered result exactly', () => {
    for (const result of [sampleResult(), hostileResult()]) {
      const text = renderJson(result);
      expect(parseResult(text, 'saved.json')).toEqual(result);
      expect(renderJson(parseResult(text, 'saved.json'))).toBe(text);
    }
  });

  it('reads a later 1.x minor version and ignores the fields it adds', () => {
    const doc = validDoc();
    doc.version = '1.7.0';
    doc.newTopLevel = true;
    at(doc, 'findings', 0).confidence = 'high';
    const parsed = parseResult(JSON.stringify(doc), 'newer.json');
    expect(parsed.version).toBe('1.7.0');
    expect(parsed).not.toHaveProperty('newTopLevel');
    expect(parsed.findings[0]).not.toHaveProperty('confidence');
  });

  it('keeps a __proto__ detail key as data', () => {
    const text = renderJson(sampleResult()).replace('"module": "mylib.layers"', '"__proto__": "polluted"');
    const details = parseResult(text, 'proto.json').findings[2]?.evidence.details;
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(details, '__proto__')).toBe(true);
  });

  it('rejects text that is not JSON', () => {
    for (const text of ['', '{', 'not json', '{"version": "1.0.0",}', '['.repeat(100_000)]) {
      expect(thrown(() => parseResult(text, 'bad.json')).code).toBe('RESULT_INVALID');
    }
  });

  it('names the file in the error and neutralises what it quotes', () => {
    const error = thrown(() => parseResult(JSON.stringify({ version: HOSTILE.ansi }), 'evil\u202e.json'));
    expect(error.code).toBe('RESULT_INVALID');
    expect(error.message.startsWith('evil\\u202e.json: version')).toBe(true);
    expect(error.message).not.toContain('\u001b');
  });

  it('on any JSON, returns a result or throws RESULT_INVALID, and accepts whatever the schema accepts', () => {
    const slots: (string | number)[][] = [
      ['version'], ['tool'], ['status'], ['startedAt'], ['durationMs'], ['inputs'], ['findings'], ['findings', 0],
      ['findings', 0, 'location'], ['findings', 0, 'location', 'offset'], ['findings', 0, 'evidence'],
      ['findings', 2, 'evidence', 'details'], ['files', 0], ['files', 0, 'sha256'], ['rules', 0, 'tags'], ['summary'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...slots), fc.jsonValue(), (slot, value) => {
        const doc = validDoc();
        const parent = at(doc, ...slot.slice(0, -1));
        (parent as Record<string | number, unknown>)[slot.at(-1) ?? ''] = value;
        const text = JSON.stringify(doc);
        let accepted = true;
        try {
          parseResult(text, 'fuzz.json');
        } catch (error) {
          expect(error).toBeInstanceOf(AntidoteError);
          expect((error as AntidoteError).code).toBe('RESULT_INVALID');
          accepted = false;
        }
        if (validateResultSchema(JSON.parse(text))) expect(accepted).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  for (const { name, field, mutate } of INVALID) {
    it(`rejects ${name} (${field}), and so does the schema`, () => {
      let doc: unknown = validDoc();
      if (field === '(root)') doc = [doc];
      else mutate(doc as Doc);
      const error = thrown(() => parseResult(JSON.stringify(doc), 'result.json'));
      expect(error.code).toBe('RESULT_INVALID');
      expect(error.message.startsWith(`result.json: ${field} `)).toBe(true);
      expect(validateResultSchema(doc)).toBe(false);
    });
  }
});

describe('docs/result.schema.json', () => {
  it('is versioned with the major of RESULT_VERSION', () => {
    const major = RESULT_VERSION.split('.')[0];
    expect(schema.$id).toBe(`urn:antidote:result:${major}`);
    expect(schema.properties.version.pattern.startsWith(`^${major}\\.`)).toBe(true);
  });
});
