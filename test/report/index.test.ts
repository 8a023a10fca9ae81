import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../src/core/index.js';
import {
  REPORT_FORMATS,
  isReportFormat,
  renderHtml,
  renderJson,
  renderReport,
  renderSarif,
  renderText,
  type ReportFormat,
} from '../../src/report/index.js';
import { sampleResult } from './sample-result.js';

describe('renderReport', () => {
  it('dispatches every format to its reporter', () => {
    const result = sampleResult();
    const expected: Record<ReportFormat, string> = {
      text: renderText(result, { color: true }),
      json: renderJson(result),
      sarif: renderSarif(result),
      html: renderHtml(result),
    };
    expect([...REPORT_FORMATS].sort()).toEqual(Object.keys(expected).sort());
    for (const format of REPORT_FORMATS) {
      expect(renderReport(result, format, { color: true })).toBe(expected[format]);
    }
  });

  it('passes color through to the text reporter only', () => {
    const result = sampleResult();
    expect(renderReport(result, 'text', { color: false })).not.toContain('\u001b');
    expect(renderReport(result, 'json', { color: true })).not.toContain('\u001b');
  });

  it('is pure: rendering does not change the result', () => {
    const result = sampleResult();
    const before = structuredClone(result);
    for (const format of REPORT_FORMATS) renderReport(result, format, { color: true });
    expect(result).toEqual(before);
  });

  it('rejects an unknown format from an untyped caller with a USAGE error', () => {
    let caught: unknown;
    try {
      renderReport(sampleResult(), 'pdf' as ReportFormat, { color: false });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AntidoteError);
    expect((caught as AntidoteError).code).toBe('USAGE');
  });

  it('recognises format names', () => {
    expect(REPORT_FORMATS.every(isReportFormat)).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
    expect(isReportFormat(undefined)).toBe(false);
  });
});
