import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { HOSTILE, hostileResult, sampleResult } from './sample-result.js';

/** The page's Content-Security-Policy, taken from its meta element. */
function csp(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  return (match?.[1] ?? '').replace(/&#39;/g, "'");
}

function inlineBlocks(html: string, tag: 'script' | 'style'): string[] {
  return [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

describe('renderHtml', () => {
  it('is one self-contained page that loads nothing from anywhere', () => {
    const html = renderHtml(sampleResult());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/\s(src|href|action|srcset|poster|data)\s*=\s*["']?(?!#)/i);
    expect(html).not.toMatch(/<(link|iframe|object|embed|img|base|form)\b/i);
    expect(html).not.toMatch(/url\(|@import/i);
  });

  it('has a Content-Security-Policy that forbids remote loads and admits only its own inline blocks', () => {
    const html = renderHtml(sampleResult());
    const policy = csp(html);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("base-uri 'none'");
    expect(policy).not.toContain('unsafe-inline');
    // The CSP must come before the first style or script it governs.
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    for (const tag of ['style', 'script'] as const) {
      const blocks = inlineBlocks(html, tag);
      expect(blocks).toHaveLength(1);
      const hash = createHash('sha256').update(blocks[0] ?? '', 'utf8').digest('base64');
      expect(policy).toContain(`${tag}-src 'sha256-${hash}'`);
    }
  });

  it('shows the run status and counts per severity in the header', () => {
    const html = renderHtml(sampleResult());
    expect(html).toContain('<span class="badge st-partial">partial</span>');
    expect(html).toContain('<li><strong>4</strong>findings</li>');
    expect(html).toContain('<li><strong>1</strong><span class="badge sev-critical">critical</span></li>');
    expect(html).toContain('<li><strong>0</strong><span class="badge sev-low">low</span></li>');
    expect(html).toContain('2 files were not read completely');
  });

  it('lists findings most severe first, each with its rule description and remediation joined in', () => {
    const html = renderHtml(sampleResult());
    const rows = [...html.matchAll(/<tr data-severity="(\w+)">/g)].map((m) => m[1]);
    expect(rows).toEqual(['critical', 'high', 'medium', 'info']);
    const critical = html.slice(html.indexOf('<tr data-severity="critical">'), html.indexOf('<tr data-severity="high">'));
    expect(critical).toContain('<details><summary><code>model/pickle-globals</code></summary>');
    expect(critical).toContain('Pickle imports a dangerous callable');
    expect(critical).toContain('<strong>Remediation:</strong> Do not load the file.');
    expect(critical).toContain('<td class="path mono">model.pt!<wbr>archive/<wbr>data.pkl</td>');
    expect(critical).toContain('REDUCE calls os.system');
    expect(critical).toContain('<dt>opcode</dt><dd><code>REDUCE</code></dd>');
    expect(critical).toContain('<dt>offset</dt><dd><code>42 (0x2a)</code></dd>');
    expect(critical).toContain('<dt>rule</dt><dd><code>deny:os</code></dd>');
    expect(critical).toContain('<dt>match</dt><dd><code>os.system</code></dd>');
  });

  it('lists every file with its status and reason', () => {
    const html = renderHtml(sampleResult());
    expect(html).toContain('<span class="badge st-failed">failed</span></td><td class="path mono">broken.zip</td>');
    expect(html).toContain('no end of central directory');
    expect(html).toContain('<span class="badge st-skipped">skipped</span>');
    expect(html).toContain('a'.repeat(64));
  });

  it('escapes a <script> in a message and an attribute break-out in a path', () => {
    const html = renderHtml(hostileResult());
    expect(html).not.toContain(HOSTILE.script);
    expect(html).not.toContain(HOSTILE.attribute);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    // The only <script> element is the page's own filter.
    expect(html.match(/<script/gi)).toHaveLength(1);
  });

  it('keeps the markup intact whatever a message, path or evidence says', () => {
    // <wbr> follows each separator of a path, so its count is the one tag that depends on the text.
    const markup = (html: string): string[] => (html.match(/<\/?[a-z][a-z0-9]*/gi) ?? []).filter((t) => t !== '<wbr');
    const baseline = markup(renderHtml(sampleResult()));
    const pieces = fc.oneof(fc.constantFrom('<', '>', '"', "'", '&', '</td>', '<script>', '-->', '<!--', ']]>'), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.string({ unit: pieces }), fc.string({ unit: pieces, minLength: 1 }), (message, path) => {
        const result = sampleResult();
        const first = result.findings[0];
        if (first) {
          first.message = message;
          first.location.path = path;
          first.evidence.match = message;
        }
        expect(markup(renderHtml(result))).toEqual(baseline);
      }),
      { numRuns: 300 },
    );
  });

  it('neutralises control characters and bidi overrides in attacker strings', () => {
    const html = renderHtml(hostileResult());
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    expect(html).toContain('evil\\u202elkp.pt');
    expect(html).toContain('\\x1b[2K\\r\\x1b[32mNo findings.');
  });

  it('keeps line breaks in rule descriptions, where they cannot forge anything', () => {
    const html = renderHtml(sampleResult());
    expect(html).toContain('can run code when the pickle is loaded.\nLoading it with torch.load');
  });

  it('says so plainly when there are no findings', () => {
    const html = renderHtml(
      sampleResult({ status: 'succeeded', findings: [], rules: [], summary: { info: 0, low: 0, medium: 0, high: 0, critical: 0 } }),
    );
    expect(html).toContain('<p>No findings.</p>');
    expect(html).not.toContain('role="alert"');
  });
});
