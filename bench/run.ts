/*
 * `npm run bench`: the performance targets of antidote, measured the way a user meets them. Inputs are
 * generated into bench/out/ (reused when present), every measurement is a fresh child process of the built
 * CLI (`node dist/cli/bin.js scan ... --format json --no-progress`) repeated 3 times, and the median is
 * compared with its target. Prints a markdown table and writes bench/out/results.json (and results.md).
 * A missed time target is profiled once with `node --cpu-prof` and its top functions printed.
 *
 *   npx tsx bench/run.ts [--runs N] [--only zip,hash,tensor,opcode,tree,headers] [--no-profile]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProfile, profileScan, type ProfileSummary } from './cpu-profile.js';
import { formatBytes, HEADER_FORMATS, prepareInputs, TREE_FORMATS, TREE_MALICIOUS, TREE_MALICIOUS_FILES, type BenchInput } from './inputs.js';
import { machineTicks, measureReadBytes, median, PEAK_RSS_METHOD, runCommand, runScan, warmPageCache, type CommandSample, type FlaggedFinding, type ScanSample } from './measure.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out');
const CLI = join(REPO, 'dist', 'cli', 'bin.js');
/** Decimal megabytes: MB/s and MB below are 10^6 bytes, like `openssl speed` and most disk tools. */
const MB = 1e6;
/** Other processes' share of the machine above which a case's timings are flagged as noisy. */
const NOISY_LOAD_PERCENT = 10;

/** The targets of the performance issue. */
const TARGETS = {
  zipScanMs: 500,
  hashRatio: 0.8,
  pickleMBps: 200,
  picklePeakMB: 300,
  treeScanMs: 10_000,
  headersScanMs: 5_000,
  headerMsPerFile: 5,
};

/** One row of the results table. */
interface TargetRow {
  id: string;
  case: string;
  target: string;
  measured: string;
  scanDurationMs: number | null;
  peakRssMB: number | null;
  pass: boolean;
  /** Whether the scan reported what it should (else the figure cannot be trusted), and its false positives. */
  verdict: Verdict;
}

/** Everything measured for one input. */
interface CaseReport {
  id: string;
  input: { path: string; bytes: number; files: number };
  command: string;
  samples: ScanSample[];
  medianWallMs: number;
  medianDurationMs: number;
  maxPeakRssMB: number | null;
  medianCpuSeconds: number | null;
  /** Share of the whole machine's CPU that other processes used during the timed runs (noise indicator). */
  otherLoadPercent: number | null;
  reference?: { command: string; samples: CommandSample[]; medianWallMs: number };
  /** Bytes read through read(2) by one extra run (null where /proc/self/io is missing). */
  readBytes?: number | null;
  profile?: ProfileSummary;
}

const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, only: { type: 'string' }, 'no-profile': { type: 'boolean', default: false } },
});
const RUNS = Number(flags.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new RangeError(`--runs expects a positive integer (got '${flags.runs}')`);
const ONLY = flags.only ? new Set(flags.only.split(',')) : undefined;
const wanted = (id: string): boolean => !ONLY || ONLY.has(id);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Run a scan RUNS times after warming the page cache; the displayed command is relative to the repo. */
function measureScan(id: string, input: BenchInput, extraArgs: string[]): CaseReport {
  warmPageCache(input.path);
  const samples: ScanSample[] = [];
  const ticksBefore = machineTicks();
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const sample = runScan(CLI, [input.path], extraArgs, OUT);
    log(`  ${id} run ${i + 1}: ${sample.wallMs.toFixed(0)} ms wall, scan ${sample.durationMs} ms, CPU ${sample.cpuSeconds?.toFixed(2) ?? '?'} s, peak ${rssMB(sample.peakRssKb) ?? '?'} MB`);
    samples.push(sample);
  }
  const peaks = samples.map((s) => s.peakRssKb).filter((kb): kb is number => kb !== null);
  const cpu = samples.map((s) => s.cpuSeconds).filter((c): c is number => c !== null);
  return {
    id,
    input: { path: rel(input.path), bytes: input.bytes, files: input.files },
    command: `node dist/cli/bin.js scan ${rel(input.path)} --format json --no-progress${extraArgs.length ? ` ${extraArgs.join(' ')}` : ''} -o bench/out/last-result.json`,
    samples,
    medianWallMs: median(samples.map((s) => s.wallMs)),
    medianDurationMs: median(samples.map((s) => s.durationMs)),
    maxPeakRssMB: peaks.length ? rssMB(Math.max(...peaks)) : null,
    medianCpuSeconds: cpu.length ? median(cpu) : null,
    otherLoadPercent: otherLoad(ticksBefore, (performance.now() - started) / 1000, cpu),
  };
}

/** Percent of the machine's CPU used by other processes since `before`, given our children's CPU seconds. */
function otherLoad(before: { busy: number; total: number } | null, elapsedSeconds: number, cpuSeconds: number[]): number | null {
  const after = machineTicks();
  if (!before || !after || after.total === before.total || cpuSeconds.length === 0) return null;
  const busy = (after.busy - before.busy) / (after.total - before.total);
  const ours = cpuSeconds.reduce((n, c) => n + c, 0) / (elapsedSeconds * cpus().length);
  return Math.max(0, Math.round(100 * (busy - ours)));
}

function rssMB(kb: number | null): number | null {
  return kb === null ? null : Math.round((kb * 1024) / MB);
}

function rel(path: string): string {
  return relative(REPO, path);
}

function mbps(bytes: number, ms: number): number {
  return bytes / MB / (ms / 1000);
}

/** What a scan of an input must report for its timing to mean anything (a scan that bailed out is fast). */
interface Expectation {
  /** Files on disk per format. */
  formats: Record<string, number>;
  /** Files that hold a payload on purpose: each must be flagged critical. */
  malicious?: { pattern: RegExp; count: number };
}

/** How a case's result compares with its expectation. */
interface Verdict {
  /** Why the timing cannot be trusted: the scan skipped input or missed the planted payloads. */
  invalid?: string;
  /** Benign files that got a finding above info (false positives), with the worst finding of a few. */
  falsePositiveFiles: number;
  falsePositiveExamples: FlaggedFinding[];
}

function check(report: CaseReport, expectation: Expectation): Verdict {
  const sample = report.samples[0]!;
  const flagged = Object.values(sample.flagged);
  const planted = expectation.malicious ? flagged.filter((f) => expectation.malicious!.pattern.test(f.file)) : [];
  const benign = flagged.filter((f) => !planted.includes(f));
  const verdict: Verdict = { falsePositiveFiles: sample.flaggedCount - planted.length, falsePositiveExamples: benign.slice(0, 5) };
  const expectedFiles = Object.values(expectation.formats).reduce((n, c) => n + c, 0);
  if (sample.filesOnDisk !== expectedFiles) verdict.invalid = `scanned ${sample.filesOnDisk} files on disk, expected ${expectedFiles}`;
  else if (Object.entries(expectation.formats).some(([format, count]) => sample.formats[format] !== count)) {
    verdict.invalid = `expected formats ${JSON.stringify(expectation.formats)}, got ${JSON.stringify(sample.formats)}`;
  } else if (sample.skipped.length > 0) verdict.invalid = `the scan skipped input: ${sample.skipped[0]}`;
  else if ((sample.statuses.failed ?? 0) > 0) verdict.invalid = `${sample.statuses.failed} file(s) failed`;
  else if (expectation.malicious && planted.filter((f) => f.severity === 'critical').length !== expectation.malicious.count) {
    verdict.invalid = `expected ${expectation.malicious.count} planted payloads flagged critical, got ${planted.length}`;
  }
  return verdict;
}

function maybeProfile(report: CaseReport, extraArgs: string[]): void {
  if (flags['no-profile']) return;
  log(`  profiling ${report.id} with node --cpu-prof ...`);
  const args = ['scan', join(REPO, report.input.path), '--format', 'json', '--no-progress', '--output', join(OUT, 'last-result.json'), ...extraArgs];
  report.profile = profileScan(CLI, args, join(OUT, 'profiles', report.id), REPO);
}

function openSslVersion(): string {
  const child = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return child.status === 0 ? child.stdout.trim() : 'not installed';
}

function main(): void {
  if (!existsSync(CLI)) throw new Error(`${rel(CLI)} is missing: run \`npm run build\` first (npm run bench does)`);
  mkdirSync(OUT, { recursive: true });
  const benchStarted = performance.now();
  log(`antidote bench: ${RUNS} run(s) per measurement, peak memory via ${PEAK_RSS_METHOD}`);
  const inputs = prepareInputs(OUT, log);
  const generateSeconds = (performance.now() - benchStarted) / 1000;
  const rows: TargetRow[] = [];
  const reports: CaseReport[] = [];

  if (wanted('zip')) {
    log('case zip: 2 GiB torch zip checkpoint, no --hash');
    const report = measureScan('zip', inputs.checkpoint, []);
    const verdict = check(report, { formats: { 'pytorch-zip': 1 } });
    const pass = !verdict.invalid && report.medianWallMs < TARGETS.zipScanMs;
    // The target assumes the scan reads the central directory and data.pkl, not the tensor data.
    report.readBytes = measureReadBytes(CLI, [inputs.checkpoint.path], [], OUT);
    if (!pass) maybeProfile(report, []);
    reports.push(report);
    rows.push({
      id: 'zip',
      case: `2 GiB PyTorch zip (${inputs.checkpoint.files} file, 200 tensors), no \`--hash\``,
      target: `< ${TARGETS.zipScanMs} ms`,
      measured: `${report.medianWallMs.toFixed(0)} ms`,
      scanDurationMs: report.medianDurationMs,
      peakRssMB: report.maxPeakRssMB,
      pass,
      verdict,
    });
  }

  if (wanted('hash')) {
    log('case hash: same checkpoint with --hash, against openssl dgst -sha256');
    const report = measureScan('hash', inputs.checkpoint, ['--hash']);
    const openssl: CommandSample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const sample = runCommand('openssl', ['dgst', '-sha256', inputs.checkpoint.path], OUT);
      if (sample.exitCode !== 0) throw new Error(`openssl dgst failed (exit ${sample.exitCode})`);
      log(`  openssl run ${i + 1}: ${sample.wallMs.toFixed(0)} ms wall`);
      openssl.push(sample);
    }
    report.reference = { command: `openssl dgst -sha256 ${rel(inputs.checkpoint.path)}`, samples: openssl, medianWallMs: median(openssl.map((s) => s.wallMs)) };
    const ours = mbps(inputs.checkpoint.bytes, report.medianWallMs);
    const theirs = mbps(inputs.checkpoint.bytes, report.reference.medianWallMs);
    const ratio = ours / theirs;
    const verdict = check(report, { formats: { 'pytorch-zip': 1 } });
    const pass = !verdict.invalid && ratio >= TARGETS.hashRatio;
    if (!pass) maybeProfile(report, ['--hash']);
    reports.push(report);
    rows.push({
      id: 'hash',
      case: 'same file with `--hash` vs `openssl dgst -sha256`',
      target: `>= ${TARGETS.hashRatio * 100}% of OpenSSL`,
      measured: `${ours.toFixed(0)} MB/s vs ${theirs.toFixed(0)} MB/s = ${(ratio * 100).toFixed(0)}%`,
      scanDurationMs: report.medianDurationMs,
      peakRssMB: report.maxPeakRssMB,
      pass,
      verdict,
    });
  }

  const pickleCase = (id: string, input: BenchInput, label: string): void => {
    log(`case ${id}: ${label}`);
    const report = measureScan(id, input, []);
    const throughput = mbps(input.bytes, report.medianWallMs);
    const verdict = check(report, { formats: { pickle: 1 } });
    const fast = !verdict.invalid && throughput >= TARGETS.pickleMBps;
    const lean = !verdict.invalid && report.maxPeakRssMB !== null && report.maxPeakRssMB < TARGETS.picklePeakMB;
    if (!fast) maybeProfile(report, []);
    reports.push(report);
    const common = { scanDurationMs: report.medianDurationMs, peakRssMB: report.maxPeakRssMB, verdict };
    rows.push({ id, case: `${label}: throughput`, target: `>= ${TARGETS.pickleMBps} MB/s`, measured: `${throughput.toFixed(0)} MB/s`, pass: fast, ...common });
    rows.push({ id, case: `${label}: peak memory`, target: `< ${TARGETS.picklePeakMB} MB`, measured: `${report.maxPeakRssMB ?? '?'} MB`, pass: lean, ...common });
  };
  if (wanted('tensor')) pickleCase('tensor', inputs.tensorHeavy, '1 GiB raw pickle, tensor-heavy (1024 dicts with 1 MiB BINBYTES)');
  if (wanted('opcode')) pickleCase('opcode', inputs.opcodeHeavy, '1 GiB raw pickle, opcode-heavy (one list, ~160M small opcodes)');

  if (wanted('tree')) {
    log('case tree: 10,000 small model files');
    const report = measureScan('tree', inputs.tree, []);
    const verdict = check(report, { formats: TREE_FORMATS, malicious: { pattern: TREE_MALICIOUS_FILES, count: TREE_MALICIOUS } });
    const pass = !verdict.invalid && report.medianWallMs < TARGETS.treeScanMs;
    if (!pass) maybeProfile(report, []);
    reports.push(report);
    rows.push({
      id: 'tree',
      case: `${inputs.tree.files.toLocaleString('en-US')} small model files in 100 dirs (${formatBytes(inputs.tree.bytes)})`,
      target: `< ${TARGETS.treeScanMs / 1000} s`,
      measured: `${(report.medianWallMs / 1000).toFixed(2)} s`,
      scanDurationMs: report.medianDurationMs,
      peakRssMB: report.maxPeakRssMB,
      pass,
      verdict,
    });
  }

  if (wanted('headers')) {
    log('case headers: 1,000 header-only model files (safetensors, GGUF, ONNX)');
    const report = measureScan('headers', inputs.headers, []);
    const verdict = check(report, { formats: HEADER_FORMATS });
    const perFile = report.medianDurationMs / inputs.headers.files;
    const pass = !verdict.invalid && report.medianWallMs < TARGETS.headersScanMs && perFile < TARGETS.headerMsPerFile;
    if (!pass) maybeProfile(report, []);
    reports.push(report);
    rows.push({
      id: 'headers',
      case: `${inputs.headers.files.toLocaleString('en-US')} header-only files (safetensors, GGUF with a 32k vocabulary, ONNX)`,
      target: `< ${TARGETS.headersScanMs / 1000} s, < ${TARGETS.headerMsPerFile} ms per file`,
      measured: `${(report.medianWallMs / 1000).toFixed(2)} s, ${perFile.toFixed(2)} ms per file`,
      scanDurationMs: report.medianDurationMs,
      peakRssMB: report.maxPeakRssMB,
      pass,
      verdict,
    });
  }

  const totalSeconds = (performance.now() - benchStarted) / 1000;
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1e9),
    kernel: release(),
    node: process.version,
    openssl: openSslVersion(),
    peakRssMethod: PEAK_RSS_METHOD,
  };
  const table = [
    `| Case | Target | Measured (median of ${RUNS}) | scan \`durationMs\` | Peak RSS | Benign files flagged | Result |`,
    '|---|---|---|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.target} | ${r.measured} | ${r.scanDurationMs === null ? '-' : `${r.scanDurationMs.toFixed(0)} ms`} | ${r.peakRssMB ?? '?'} MB | ${r.verdict.falsePositiveFiles} | ${r.verdict.invalid ? 'INVALID' : r.pass ? 'PASS' : 'MISS'} |`,
    ),
  ];
  const notes: string[] = [];
  const busy = reports.filter((r) => (r.otherLoadPercent ?? 0) >= NOISY_LOAD_PERCENT);
  if (busy.length > 0) {
    notes.push(
      `- noise: other processes used ${busy.map((r) => `${r.otherLoadPercent}% (${r.id})`).join(', ')} of the machine's CPU during the timed runs; those figures are pessimistic`,
    );
  }
  for (const report of reports) {
    const verdict = rows.find((r) => r.id === report.id)!.verdict;
    if (verdict.invalid) notes.push(`- INVALID ${report.id}: ${verdict.invalid}`);
    if (verdict.falsePositiveFiles > 0) {
      const sample = report.samples[0]!;
      const examples = verdict.falsePositiveExamples.map((f) => `${rel(f.file)} (${f.severity} ${f.rule})`).join(', ');
      notes.push(
        `- ${report.id}: ${verdict.falsePositiveFiles} benign file(s) flagged above info (findings ${JSON.stringify(sample.findings)}, file statuses ${JSON.stringify(sample.statuses)}), e.g. ${examples}`,
      );
    }
  }
  const hash = reports.find((r) => r.id === 'hash');
  const zip = reports.find((r) => r.id === 'zip');
  if (zip?.readBytes != null) {
    notes.push(`- zip: the scan read ${(zip.readBytes / MB).toFixed(1)} MB through read(2) for a ${(zip.input.bytes / MB).toFixed(0)} MB file (${(zip.readBytes / zip.input.bytes).toFixed(2)}x; module loading is a few MB)`);
  }
  if (hash && zip) {
    const hashOnly = mbps(inputs.checkpoint.bytes, hash.medianWallMs - zip.medianWallMs);
    notes.push(`- hash: sha256 alone, estimated as hash run minus no-hash run: ${hashOnly.toFixed(0)} MB/s`);
  }
  notes.push(
    `- ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGB} GB RAM, Linux ${machine.kernel}, Node ${machine.node}, ${machine.openssl}; peak RSS via ${PEAK_RSS_METHOD}`,
    `- bench wall time ${totalSeconds.toFixed(0)} s (input generation ${generateSeconds.toFixed(0)} s); MB = 10^6 bytes`,
  );
  const profiles = reports.filter((r) => r.profile).flatMap((r) => ['', `### ${r.id}`, '', ...formatProfile(r.profile!)]);
  const markdown = [...table, '', ...notes, ...(profiles.length ? ['', '## Profiles of missed targets', ...profiles] : [])].join('\n');

  process.stdout.write(`\n${markdown}\n`);
  writeFileSync(join(OUT, 'results.md'), `${markdown}\n`);
  writeFileSync(
    join(OUT, 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, machine, targets: TARGETS, totalSeconds, generateSeconds, rows, cases: reports }, null, 2)}\n`,
  );
  log(`\nwrote ${rel(join(OUT, 'results.json'))} and ${rel(join(OUT, 'results.md'))}`);
  if (rows.some((r) => r.verdict.invalid)) process.exitCode = 1;
}

main();
