/*
 * The audit benchmark (issue 5): `antidote audit` on 100,000 and 1,000,000 Alpaca-like rows with ~1% of
 * them poisoned by a synthetic trigger. Each size is audited through the library (bench/audit-library.mjs,
 * a fresh child process importing dist/) and once through the CLI (`node dist/cli/bin.js audit FILE --format
 * json`), each under GNU time for peak memory when it is installed. Reports wall time, rows/s, peak RSS and
 * whether the audit found the planted trigger and its rows (an audit that found nothing would be fast and
 * worthless), against the targets: 100k rows < 15 s; 1M rows, streamed, < 3 min with peak memory < 2 GB.
 * Writes bench/out/audit-results.json and audit-results.md.
 *
 *   npm run build && npx tsx bench/audit.ts [--runs N] [--only 100k,1m] [--no-cli]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_TRIGGER, poisonedRows, prepareAuditDataset, type BenchDataset } from './audit-rows.js';
import { machineTicks, median, PEAK_RSS_METHOD, runCommand, type CommandSample } from './measure.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out');
const CLI = join(REPO, 'dist', 'cli', 'bin.js');
const LIBRARY = join(REPO, 'bench', 'audit-library.mjs');
const MB = 1e6;

/** The targets of issue 5. */
const TARGETS = { smallRows: 100_000, smallMs: 15_000, largeRows: 1_000_000, largeMs: 180_000, largePeakMB: 2_000 };

/** Share of the planted rows the audit must flag for a timing to count (a skipped audit is fast). */
const MIN_RECALL = 0.95;

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, only: { type: 'string' }, 'no-cli': { type: 'boolean', default: false } },
});
const RUNS = Number(flags.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new RangeError(`--runs expects a positive integer (got '${flags.runs}')`);
const ONLY = flags.only ? new Set(flags.only.split(',')) : undefined;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** What one audit run reported, read back from its output. */
interface AuditOutcome {
  durationMs: number;
  rows: number;
  flaggedRows: number;
  status: string;
  triggerFound: boolean;
  recall: number;
  /** Flagged rows that were not planted. */
  falsePositives: number;
}

interface RunReport extends CommandSample {
  via: 'library' | 'cli';
  outcome: AuditOutcome;
}

function judge(flagged: readonly number[], triggers: readonly { text: string }[], planted: ReadonlySet<number>): Pick<AuditOutcome, 'triggerFound' | 'recall' | 'falsePositives'> {
  let hit = 0;
  for (const row of flagged) if (planted.has(row)) hit++;
  return {
    triggerFound: triggers.some((t) => t.text.includes(BENCH_TRIGGER)),
    recall: planted.size === 0 ? 1 : hit / planted.size,
    falsePositives: flagged.length - hit,
  };
}

function runLibrary(dataset: BenchDataset, planted: ReadonlySet<number>): RunReport {
  const out = join(OUT, 'audit-library-result.json');
  const sample = runCommand(process.execPath, [LIBRARY, dataset.path, out], OUT);
  if (sample.exitCode !== 0) throw new Error(`library audit of ${rel(dataset.path)} failed (exit ${sample.exitCode})`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as { durationMs: number; rows: number; flaggedRows: number; status: string; triggers: { text: string }[]; flagged: number[] };
  return {
    ...sample,
    via: 'library',
    outcome: { durationMs: result.durationMs, rows: result.rows, flaggedRows: result.flaggedRows, status: result.status, ...judge(result.flagged, result.triggers, planted) },
  };
}

function runCli(dataset: BenchDataset, planted: ReadonlySet<number>): RunReport {
  const out = join(OUT, 'audit-cli-result.json');
  const sample = runCommand(process.execPath, [CLI, 'audit', dataset.path, '--format', 'json', '--output', out], OUT);
  // Exit 1 means findings at or above --fail-on: expected, the data is poisoned.
  if (sample.exitCode !== 0 && sample.exitCode !== 1) throw new Error(`CLI audit of ${rel(dataset.path)} failed (exit ${sample.exitCode})`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as {
    durationMs: number;
    status: string;
    files: { rows: number; flaggedRows: number }[];
    rows: { row: number; flagged: boolean }[];
    triggers: { text: string }[];
  };
  const flagged = result.rows.filter((r) => r.flagged).map((r) => r.row);
  return {
    ...sample,
    via: 'cli',
    outcome: { durationMs: result.durationMs, rows: result.files[0]!.rows, flaggedRows: result.files[0]!.flaggedRows, status: result.status, ...judge(flagged, result.triggers, planted) },
  };
}

function rel(path: string): string {
  return relative(REPO, path);
}

function rssMB(kb: number | null): number | null {
  return kb === null ? null : Math.round((kb * 1024) / MB);
}

function main(): void {
  if (!existsSync(CLI)) throw new Error(`${rel(CLI)} is missing: run \`npm run build\` first`);
  mkdirSync(OUT, { recursive: true });
  const started = performance.now();
  log(`antidote audit bench: ${RUNS} library run(s) per size${flags['no-cli'] ? '' : ' and one CLI run'}, peak memory via ${PEAK_RSS_METHOD}`);
  const sizes = [
    { id: '100k', rows: TARGETS.smallRows, seed: 100, targetMs: TARGETS.smallMs, peakMB: null as number | null },
    { id: '1m', rows: TARGETS.largeRows, seed: 1000, targetMs: TARGETS.largeMs, peakMB: TARGETS.largePeakMB as number | null },
  ].filter((s) => !ONLY || ONLY.has(s.id));

  const cases: { id: string; dataset: BenchDataset; runs: RunReport[]; otherLoadPercent: number | null }[] = [];
  const table: string[] = [
    '| Rows | Via | Target | Wall (median) | Audit `durationMs` | Rows/s | Peak RSS | Trigger found | Recall | Other rows flagged | Result |',
    '|---:|---|---|---:|---:|---:|---:|---|---:|---:|---|',
  ];
  let failed = false;
  for (const size of sizes) {
    log(`case ${size.id}: ${size.rows.toLocaleString('en-US')} rows`);
    const dataset = prepareAuditDataset(join(OUT, `audit-${size.id}.jsonl`), size.rows, size.seed, log);
    const planted = poisonedRows(dataset.path);
    const runs: RunReport[] = [];
    const ticks = machineTicks();
    const caseStarted = performance.now();
    for (let i = 0; i < RUNS; i++) {
      const run = runLibrary(dataset, planted);
      log(`  library run ${i + 1}: ${(run.wallMs / 1000).toFixed(1)} s wall, peak ${rssMB(run.peakRssKb) ?? '?'} MB, recall ${(run.outcome.recall * 100).toFixed(1)}%`);
      runs.push(run);
    }
    if (!flags['no-cli']) {
      const run = runCli(dataset, planted);
      log(`  CLI run: ${(run.wallMs / 1000).toFixed(1)} s wall, peak ${rssMB(run.peakRssKb) ?? '?'} MB, recall ${(run.outcome.recall * 100).toFixed(1)}%`);
      runs.push(run);
    }
    const after = machineTicks();
    const cpu = runs.map((r) => r.cpuSeconds ?? 0).reduce((a, b) => a + b, 0);
    const elapsed = (performance.now() - caseStarted) / 1000;
    const otherLoadPercent =
      ticks && after && after.total > ticks.total ? Math.max(0, Math.round(100 * ((after.busy - ticks.busy) / (after.total - ticks.total) - cpu / (elapsed * cpus().length)))) : null;
    cases.push({ id: size.id, dataset: { ...dataset, path: rel(dataset.path) }, runs, otherLoadPercent });

    for (const via of ['library', 'cli'] as const) {
      const mine = runs.filter((r) => r.via === via);
      if (mine.length === 0) continue;
      const wall = median(mine.map((r) => r.wallMs));
      const peak = Math.max(...mine.map((r) => rssMB(r.peakRssKb) ?? 0));
      const outcome = mine[0]!.outcome;
      const valid = outcome.rows === size.rows && outcome.triggerFound && outcome.recall >= MIN_RECALL;
      const pass = valid && wall < size.targetMs && (size.peakMB === null || peak < size.peakMB);
      failed ||= !pass;
      const target = `< ${size.targetMs / 1000} s${size.peakMB === null ? '' : `, < ${size.peakMB / 1000} GB`}`;
      table.push(
        `| ${size.rows.toLocaleString('en-US')} | ${via} | ${target} | ${(wall / 1000).toFixed(1)} s | ${(outcome.durationMs / 1000).toFixed(1)} s | ${Math.round(
          size.rows / (wall / 1000),
        ).toLocaleString('en-US')} | ${peak} MB | ${outcome.triggerFound ? 'yes' : 'no'} | ${(outcome.recall * 100).toFixed(1)}% | ${outcome.falsePositives} | ${
          valid ? (pass ? 'PASS' : 'FAIL') : 'INVALID'
        } |`,
      );
    }
  }
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGB: Math.round(totalmem() / 1e9), kernel: release(), node: process.version };
  const notes = [
    `- planted: ${cases.map((c) => `${c.dataset.poisoned.toLocaleString('en-US')} of ${c.dataset.rows.toLocaleString('en-US')} rows (${rel(join(OUT, `audit-${c.id}.jsonl`))}, ${(c.dataset.bytes / MB).toFixed(0)} MB)`).join('; ')}, trigger \`${BENCH_TRIGGER}\` with a fixed refusal`,
    ...cases.filter((c) => (c.otherLoadPercent ?? 0) >= 10).map((c) => `- noise: other processes used ${c.otherLoadPercent}% of the machine during case ${c.id}; its times are pessimistic`),
    `- ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGB} GB RAM, Linux ${machine.kernel}, Node ${machine.node}; peak RSS via ${PEAK_RSS_METHOD}`,
    `- bench wall time ${((performance.now() - started) / 1000).toFixed(0)} s; MB = 10^6 bytes`,
  ];
  const markdown = [...table, '', ...notes].join('\n');
  process.stdout.write(`\n${markdown}\n`);
  writeFileSync(join(OUT, 'audit-results.md'), `${markdown}\n`);
  writeFileSync(join(OUT, 'audit-results.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, targets: TARGETS, cases }, null, 2)}\n`);
  log(`\nwrote ${rel(join(OUT, 'audit-results.json'))} and ${rel(join(OUT, 'audit-results.md'))}`);
  if (failed) process.exitCode = 1;
}

main();
