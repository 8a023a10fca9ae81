import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/report/text.js';
import { neutraliseControls, displayText } from '../../src/report/display-text.js';
import { HOSTILE, hostileResult, sampleResult } from './sample-result.js';

const ESC = '\u001b';

/** Everything a terminal would act on rather than print, except the line feeds that separate lines. */
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('renderText', () => {
  it('groups findings by path, most severe first, with their evidence', () => {
    const out = renderText(sampleResult(), { color: false, minSeverity: 'info' });
    const lines = out.split('\n');
    const member = lines.indexOf('model.pt!archive/data.pkl');
    const legacy = lines.indexOf('weights/legacy.bin');
    expect(member).toBeGreaterThanOrEqual(0);
    expect(legacy).toBeGreaterThan(member);
    expect(lines[member + 1]).toMatch(/^ {2}CRITICAL {2}model\/pickle-globals +REDUCE calls os\.system$/);
    expect(lines[member + 2]).toContain('opcode REDUCE');
    expect(lines[member + 2]).toContain('offset 42 (0x2a)');
    expect(lines[member + 2]).toContain('rule deny:os');
    expect(lines[member + 2]).toContain('match os.system');
    expect(lines[member + 3]).toMatch(/^ {2}MEDIUM {4}model\/pickle-unknown-global {2}Imports mylib/);
    expect(lines[member + 4]).toContain('module mylib.layers');
    expect(lines[member + 5]).toMatch(/^ {2}INFO/);
    expect(lines[legacy + 1]).toMatch(/^ {2}HIGH {6}model\/pickle-globals/);
  });

  it('aligns messages in one column across the report', () => {
    const out = renderText(sampleResult(), { color: false, minSeverity: 'info' });
    const findingLines = out.split('\n').filter((l) => /^ {2}(CRITICAL|HIGH|MEDIUM|LOW|INFO) /.test(l));
    expect(findingLines).toHaveLength(4);
    const messageColumns = new Set(findingLines.map((l) => l.search(/(REDUCE|Imports|Pickle)/)));
    expect(messageColumns.size).toBe(1);
  });

  it('lists partial and failed files with reasons and counts every status', () => {
    const out = renderText(sampleResult(), { color: false });
    expect(out).toContain('Files: 5 (2 scanned, 1 partial, 1 failed, 1 skipped)');
    expect(out).toMatch(/\n {2}partial {2}weights\/legacy\.bin {2}pickle {2}truncated stream at offset 1999\n/);
    expect(out).toMatch(/\n {2}failed {3}broken\.zip {10}zip {5}no end of central directory\n/);
    expect(out).not.toContain('not a model format');
  });

  it('ends with one summary line of counts per severity and the run status', () => {
    const lines = renderText(sampleResult(), { color: false }).trimEnd().split('\n');
    expect(lines.at(-1)).toBe(
      '4 findings (1 critical, 1 high, 1 medium, 0 low, 1 info) · run partial · antidote 0.1.0, 5 files in 1.2 s',
    );
  });

  it('says a run without findings is clean only when every file was read', () => {
    const clean = sampleResult({
      status: 'succeeded',
      findings: [],
      files: [{ path: 'ok.safetensors', format: 'safetensors', status: 'scanned', size: 8, sha256: null }],
      summary: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
    });
    expect(renderText(clean, { color: false }).startsWith('No findings.\n')).toBe(true);
    const partial = sampleResult({ findings: [], summary: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } });
    expect(renderText(partial, { color: false })).toMatch(/^No findings in what could be read/);
  });

  it('emits no escape sequence at all when color is off', () => {
    expect(renderText(sampleResult(), { color: false })).not.toContain(ESC);
    expect(renderText(hostileResult(), { color: false })).not.toContain(ESC);
  });

  it('colours severity labels and statuses when color is on', () => {
    const out = renderText(sampleResult(), { color: true });
    expect(out).toContain(`${ESC}[1;97;41mCRITICAL${ESC}[22;39;49m`);
    expect(out).toContain(`${ESC}[33mMEDIUM  ${ESC}[39m`);
    // Colour never changes the layout: stripped of SGR codes it is the plain rendering.
    expect(out.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderText(sampleResult(), { color: false }));
  });

  it('stops a hostile file from forging terminal output (ANSI, \\r, C1 CSI, bidi overrides)', () => {
    for (const color of [false, true]) {
      // Strip only the SGR codes the reporter itself adds; anything left that a terminal acts on is an attack.
      const out = renderText(hostileResult(), { color }).replace(/\u001b\[[0-9;]*m/g, '');
      expect(out).not.toMatch(TERMINAL_CONTROL);
      expect(out).toContain('\\x1b[2K\\r\\x1b[32mNo findings.\\x1b[0m');
      expect(out).toContain('evil\\u202elkp.pt');
      expect(out).toContain('a\\x9b31mred');
    }
  });

  it('never lets a finding message or path reach the terminal raw, for any string', () => {
    const render = (message: string, path: string): string => {
      const result = sampleResult();
      const first = result.findings[0];
      if (first) {
        first.message = message;
        first.location.path = path;
      }
      return renderText(result, { color: false });
    };
    const existing = new Set(sampleResult().findings.map((f) => f.location.path));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 1 }), (message, path) => {
        const out = render(message, path);
        expect(out).not.toContain(ESC);
        expect(out).not.toMatch(TERMINAL_CONTROL);
        // No string can add a line: the layout is that of a harmless message and path.
        const harmless = render('x', existing.has(path) ? path : 'zz-harmless.pkl');
        expect(out.split('\n')).toHaveLength(harmless.split('\n').length);
      }),
      { numRuns: 300 },
    );
  });

  it('clips a megabyte-long hostile string to a bounded line', () => {
    const result = sampleResult();
    const first = result.findings[0];
    if (first) first.message = 'x'.repeat(1 << 20);
    const longest = Math.max(...renderText(result, { color: false }).split('\n').map((l) => l.length));
    expect(longest).toBeLessThan(600);
  });
});

describe('neutraliseControls', () => {
  const cases: [string, string, string][] = [
    ['ESC', '\u001b[31m', '\\x1b[31m'],
    ['carriage return', 'a\rb', 'a\\rb'],
    ['line feed and tab', 'a\nb\tc', 'a\\nb\\tc'],
    ['DEL and C1', '\u007f\u0085', '\\x7f\\x85'],
    ['bidi override and isolate', '\u202a\u202e\u2066\u2069', '\\u202a\\u202e\\u2066\\u2069'],
    ['zero-width and BOM', 'a\u200bb\ufeff', 'a\\u200bb\\ufeff'],
    ['line separator', 'a\u2028b', 'a\\u2028b'],
    ['invisible tag characters', 'a\u{e0041}', 'a\\u{e0041}'],
    ['lone surrogate', 'a\ud800b', 'a\\ud800b'],
    ['printable text, accents, CJK and emoji unchanged', 'café 模型 🙂 os.system', 'café 模型 🙂 os.system'],
  ];
  for (const [name, input, expected] of cases) {
    it(`neutralises ${name}`, () => {
      expect(neutraliseControls(input)).toBe(expected);
    });
  }

  it('leaves nothing a terminal would act on, for any string', () => {
    // 'binary' draws any code point, lone surrogates and C1 controls included; the mix forces them in.
    const hostile = fc.string({ unit: fc.oneof(fc.constantFrom('\u001b', '\r', '\u009b', '\u202e', '\u2066', '\ud800'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });
    fc.assert(
      fc.property(hostile, (value) => {
        expect(neutraliseControls(value)).not.toMatch(TERMINAL_CONTROL);
      }),
    );
  });

  it('keeps line feeds and tabs only when asked to keep layout', () => {
    expect(neutraliseControls('a\n\tb\u202e', { keepLayout: true })).toBe('a\n\tb\\u202e');
  });

  it('clips without splitting a surrogate pair', () => {
    expect(displayText('ab🙂cd', 3)).toBe('ab… (4 more characters)');
    expect(displayText('abc', 3)).toBe('abc');
  });
});

describe('renderText: info findings', () => {
  it('hides info findings by default and says how many', () => {
    const result = sampleResult();
    const info = result.findings.filter((f) => f.severity === 'info').length;
    expect(info).toBeGreaterThan(0);
    const out = renderText(result, { color: false });
    expect(out).toContain(`${info} ${info === 1 ? 'finding' : 'findings'} below low not shown`);
    expect(out).not.toMatch(/^\s+INFO\s/m);
  });
  it('lists them with minSeverity info', () => {
    expect(renderText(sampleResult(), { color: false, minSeverity: 'info' })).toMatch(/^\s+INFO\s/m);
  });
});
