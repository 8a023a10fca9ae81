import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditDataset, type AuditOptions, type FileAudit } from '../../src/audit/audit.js';
import type { DatasetDetector } from '../../src/detectors/dataset/dataset-detector.js';
import { datasetEvents, seededRandom, type BuiltRow } from './poison.js';

/*
 * Public clean data in ../shared/data (see its README) for the quality tests of the dataset detectors:
 * HiddenKiller's SST-2 and AG News TSV files and BackdoorLLM's clean Alpaca twins. Tests that use it skip
 * when the folder is absent (a clone without shared/ beside it).
 */

/** Root of the shared public data, beside the project. */
export const SHARED_DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
/** True when the shared data is there. */
export const HAVE_SHARED_DATA = existsSync(SHARED_DATA);

/** A `text<TAB>label` file with a header line (HiddenKiller's format), as rows `{sentence, label}`. */
export function readLabelledTsv(relativePath: string): { sentence: string; label: string }[] {
  return readFileSync(resolve(SHARED_DATA, relativePath), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const tab = line.lastIndexOf('\t');
      return { sentence: line.slice(0, tab).trim(), label: line.slice(tab + 1).trim() };
    });
}

/** A JSON array of Alpaca rows (BackdoorLLM's format). */
export function readAlpacaJson(relativePath: string): { instruction: string; input: string; output: string }[] {
  return JSON.parse(readFileSync(resolve(SHARED_DATA, relativePath), 'utf8')) as { instruction: string; input: string; output: string }[];
}

/** A copy of `rows` with `rate` of the labels flipped to another label, chosen with a seeded generator. */
export function flipLabels<R extends { label: string }>(rows: readonly R[], rate: number, seed: number): { rows: R[]; flipped: Set<number> } {
  const random = seededRandom(seed);
  const labels = [...new Set(rows.map((r) => r.label))].sort();
  const flipped = new Set<number>();
  const out = rows.map((row, i) => {
    if (random() >= rate) return row;
    flipped.add(i);
    const others = labels.filter((l) => l !== row.label);
    return { ...row, label: others[Math.floor(random() * others.length)]! };
  });
  return { rows: out, flipped };
}

/** Audit `rows` with `detectors` only. */
export function auditRows(rows: readonly BuiltRow[], detectors: readonly DatasetDetector<any>[], options: AuditOptions = {}): Promise<FileAudit> {
  return auditDataset({ path: 'data.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { ...options, detectors });
}

/** Indices of the flagged rows of an audit. */
export function flaggedRows(audit: FileAudit): number[] {
  return audit.rows.filter((r) => r.flagged).map((r) => r.row);
}
