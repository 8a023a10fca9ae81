import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../src/core/finding.js';
import type { ScanResult } from '../../src/core/result.js';
import { atLeast, type Severity } from '../../src/core/severity.js';
import { scan, scanBytes, type ScanOptions } from '../../src/scan/scan.js';

/** Scan in-memory bytes under `name`. */
export function scanOf(bytes: Buffer, name = 'sample.bin', options: Omit<ScanOptions, 'paths'> = {}): Promise<ScanResult> {
  return scanBytes(bytes, name, options);
}

/** Write files into a fresh temporary folder and scan it. */
export async function scanFiles(files: Record<string, Buffer | string>, options: Omit<ScanOptions, 'paths'> = {}): Promise<{ dir: string; result: ScanResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'antidote-scan-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return { dir, result: await scan({ ...options, paths: [dir] }) };
}

/** Findings at or above `severity`. */
export function atOrAbove(result: ScanResult, severity: Severity): Finding[] {
  return result.findings.filter((f) => atLeast(f.severity, severity));
}

/** `ruleId:severity:match` lines of the findings at or above `severity`, for compact assertions. */
export function summary(result: ScanResult, severity: Severity = 'medium'): string[] {
  return atOrAbove(result, severity).map((f) => `${f.ruleId}:${f.severity}:${f.evidence.match ?? f.evidence.rule ?? f.messageId}`);
}
