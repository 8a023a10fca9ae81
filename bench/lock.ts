/*
 * Benchmark of `antidote lock` / `antidote verify` (issue 4 targets), printing each figure with PASS/FAIL:
 *
 *   1. sha256 of one large file (2 GiB): antidote's hasher >= 90% of `openssl dgst -sha256` on the same file;
 *   2. two large files at once on the hashing pool: near 2x OpenSSL's single-file speed (target >= 1.7x);
 *   3. `antidote lock` of a 1,000,000-row Alpaca-like JSONL: < 15 s and peak RSS < 500 MB (whole process);
 *   plus, for information: the whole `lock` process on the 2 GiB file, and `verify` of the 1M-row file when
 *   unchanged (hash only) and after one row was inserted in the middle (rows read and aligned).
 *
 * Inputs are generated into bench/out/lock/ (git-ignored) and reused; hashing figures are in-process (the
 * hasher alone, after a warm-up read so both sides read from the page cache), process figures use the built
 * CLI (`npm run build` first) under GNU time for peak memory, as bench/run.ts does. Median of --runs.
 *
 *   npx tsx bench/lock.ts [--runs N] [--only hash,rows]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { hashFile, HashPool } from '../src/provenance/lock/file-hash.js';
import { median, PEAK_RSS_METHOD, runCommand, warmPageCache, type CommandSample } from './measure.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out', 'lock');
const CLI = join(REPO, 'dist', 'cli', 'bin.js');
/** MB/s and MB are 10^6 bytes, like openssl speed. */
const MB = 1e6;
const GIB = 1024 * 1024 * 1024;

/** The targets of issue 4. */
const TARGETS = {
  /** antidote's MB/s over OpenSSL's on one file. */
  oneFileRatio: 0.9,
  /** antidote's MB/s on two files over OpenSSL's on one ("near 2x" on two cores). */
  twoFilesRatio: 1.7,
  rowsLockMs: 15_000,
  rowsPeakMB: 500,
};
/** Rows of the JSONL case. */
const ROWS = 1_000_000;
/** Bump when a generator changes its bytes, so old inputs are regenerated. */
const GENERATOR_VERSION = 1;

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '3' }, only: { type: 'string' } } });
const RUNS = Number(flags.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new RangeError(`--runs expects a positive integer (got '${flags.runs}')`);
const ONLY = flags.only ? new Set(flags.only.split(',')) : undefined;
const wanted = (id: string): boolean => !ONLY || ONLY.has(id);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Pseudo-random bytes (xorshift32, seeded): incompressible like weights, fast to write, the same every run. */
async function writeRandomFile(path: string, bytes: number, seed: number): Promise<void> {
  const out = createWriteStream(`${path}.tmp`);
  const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
  let state = seed >>> 0 || 1;
  for (let written = 0; written < bytes; ) {
    for (let i = 0; i < chunk.length; i += 4) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      chunk.writeUInt32LE(state, i);
    }
    const part = chunk.subarray(0, Math.min(chunk.length, bytes - written));
    if (!out.write(Buffer.from(part))) await new Promise<void>((r) => out.once('drain', () => r()));
    written += part.length;
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  spawnSync('mv', [`${path}.tmp`, path]);
}

/** Alpaca-like rows (instruction, input, output) of varied length and text, deterministic. */
async function writeAlpacaJsonl(path: string, rows: number): Promise<void> {
  const words = ['summarize', 'the', 'following', 'report', 'naïve', 'café', '"quoted"', 'comma,', 'explain', 'why', 'data', 'model', 'emoji 🙂', 'step', 'answer'];
  let state = 12345;
  const next = (): number => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state;
  };
  const sentence = (n: number): string => Array.from({ length: n }, () => words[next() % words.length]).join(' ');
  const out = createWriteStream(`${path}.tmp`);
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    batch.push(JSON.stringify({ instruction: sentence(4 + (next() % 10)), input: next() % 3 === 0 ? sentence(next() % 12) : '', output: sentence(10 + (next() % 40)) }));
    if (batch.length === 10_000 || i === rows - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      batch = [];
    }
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  spawnSync('mv', [`${path}.tmp`, path]);
}

/** Generate the inputs unless bench/out/lock/inputs.json says they are there at this generator version. */
async function prepareInputs(): Promise<{ big: [string, string]; jsonl: string }> {
  mkdirSync(join(OUT, 'two'), { recursive: true });
  mkdirSync(join(OUT, 'rows'), { recursive: true });
  const big: [string, string] = [join(OUT, 'two', 'a.bin'), join(OUT, 'two', 'b.bin')];
  const jsonl = join(OUT, 'rows', 'alpaca-1m.jsonl');
  const manifest = join(OUT, 'inputs.json');
  const known = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: number }) : undefined;
  const fresh = known?.version === GENERATOR_VERSION && [...big, jsonl].every((p) => existsSync(p));
  if (!fresh) {
    const started = performance.now();
    log('generating inputs in bench/out/lock/ (2 x 2 GiB random, 1M-row JSONL) ...');
    await writeRandomFile(big[0], 2 * GIB, 1);
    await writeRandomFile(big[1], 2 * GIB, 2);
    await writeAlpacaJsonl(jsonl, ROWS);
    writeFileSync(manifest, JSON.stringify({ version: GENERATOR_VERSION }));
    log(`  done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return { big, jsonl };
}

/** Median wall time of `fn` over RUNS runs. */
async function timeRuns(label: string, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
    log(`  ${label} run ${i + 1}: ${samples[i]!.toFixed(0)} ms`);
  }
  return median(samples);
}

/** Wall and CPU milliseconds of one timed call. */
interface Timed {
  wallMs: number;
  cpuMs: number;
}

/** Medians of two measurements run alternately RUNS times each. */
async function timeAlternating(first: [string, () => Promise<Timed>], second: [string, () => Promise<Timed>]): Promise<[Timed, Timed]> {
  const pair = [first, second];
  const samples: Timed[][] = pair.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, [label, fn]] of pair.entries()) {
      const sample = await fn();
      samples[k]!.push(sample);
      log(`  ${label} run ${i + 1}: ${sample.wallMs.toFixed(0)} ms, CPU ${sample.cpuMs.toFixed(0)} ms`);
    }
  }
  const mid = (list: Timed[]): Timed => ({ wallMs: median(list.map((t) => t.wallMs)), cpuMs: median(list.map((t) => t.cpuMs)) });
  return [mid(samples[0]!), mid(samples[1]!)];
}

/** Time an in-process call: wall time and this process's CPU time (all threads, so the pool's workers count). */
async function timeInProcess(fn: () => Promise<unknown>): Promise<Timed> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

/** `openssl dgst -sha256 PATHS`: wall time and its CPU time (GNU time when installed). */
async function openssl(paths: string[]): Promise<Timed> {
  const sample = runCommand('openssl', ['dgst', '-sha256', ...paths], OUT);
  if (sample.exitCode !== 0) throw new Error(`openssl dgst failed (exit ${sample.exitCode}); is openssl installed?`);
  return { wallMs: sample.wallMs, cpuMs: (sample.cpuSeconds ?? Number.NaN) * 1000 };
}

const THREAD_PROBE = join(REPO, 'bench', 'thread-cpu.mjs');

/** Run the built CLI RUNS times; median wall time, process and main-thread CPU seconds, and the largest peak RSS. */
function runCli(label: string, args: string[], expectExit: number): { wallMs: number; peakMB: number | null; cpuSeconds: number | null; mainCpuSeconds: number | null; samples: CommandSample[] } {
  const samples: CommandSample[] = [];
  const mainCpu: number[] = [];
  const probeFile = join(OUT, 'thread-cpu.json');
  process.env.ANTIDOTE_BENCH_THREAD_CPU = probeFile;
  for (let i = 0; i < RUNS; i++) {
    rmSync(probeFile, { force: true });
    const sample = runCommand(process.execPath, ['--import', pathToFileURL(THREAD_PROBE).href, CLI, ...args], OUT);
    if (existsSync(probeFile)) mainCpu.push((JSON.parse(readFileSync(probeFile, 'utf8')) as { mainCpuSeconds: number }).mainCpuSeconds);
    if (sample.exitCode !== expectExit) throw new Error(`${label}: exit ${sample.exitCode}, expected ${expectExit}: node dist/cli/bin.js ${args.join(' ')}`);
    log(`  ${label} run ${i + 1}: ${sample.wallMs.toFixed(0)} ms, peak ${sample.peakRssKb === null ? '?' : Math.round((sample.peakRssKb * 1024) / MB)} MB`);
    samples.push(sample);
  }
  const peaks = samples.map((s) => s.peakRssKb).filter((kb): kb is number => kb !== null);
  const cpu = samples.map((s) => s.cpuSeconds).filter((c): c is number => c !== null);
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    peakMB: peaks.length ? Math.round((Math.max(...peaks) * 1024) / MB) : null,
    cpuSeconds: cpu.length ? median(cpu) : null,
    mainCpuSeconds: mainCpu.length ? median(mainCpu) : null,
    samples,
  };
}

interface Row {
  case: string;
  target: string;
  measured: string;
  result: 'PASS' | 'FAIL' | 'info';
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const benchStarted = performance.now();
  const { big, jsonl } = await prepareInputs();
  const rel = (p: string): string => relative(REPO, p);
  const needCli = wanted('rows') || wanted('hash');
  const haveCli = existsSync(CLI) && existsSync(join(REPO, 'dist', 'provenance', 'lock', 'lock.js'));
  if (needCli && !haveCli) log('dist/ has no lock command: run `npm run build` for the process figures (skipped)');

  if (wanted('hash')) {
    const size = statSync(big[0]).size;
    log(`case hash: ${rel(big[0])} (${(size / GIB).toFixed(1)} GiB)`);
    for (const path of big) warmPageCache(path);
    // The pool is what lock and verify use for every file that is not a dataset.
    const pool = new HashPool();
    // Alternated run by run, so a burst of load from other processes hits both sides alike.
    const [oursT, sslT] = await timeAlternating(['pool x1', () => timeInProcess(() => pool.hash(big[0]))], ['openssl', () => openssl([big[0]])]);
    const oursMs = oursT.wallMs;
    const sslMs = sslT.wallMs;
    const mainMs = await timeRuns('hashFile (this thread)', () => hashFile(big[0]));
    const ours = size / MB / (oursMs / 1000);
    const ssl = size / MB / (sslMs / 1000);
    rows.push({
      case: 'sha256 of one 2 GiB file (hashing pool vs `openssl dgst -sha256`)',
      target: `>= ${TARGETS.oneFileRatio * 100}% of OpenSSL`,
      measured: `${ours.toFixed(0)} MB/s vs ${ssl.toFixed(0)} MB/s = ${((100 * ours) / ssl).toFixed(0)}% (per CPU-second: ${(size / MB / (oursT.cpuMs / 1000)).toFixed(0)} vs ${(size / MB / (sslT.cpuMs / 1000)).toFixed(0)} MB = ${((100 * sslT.cpuMs) / oursT.cpuMs).toFixed(0)}%)`,
      result: ours / ssl >= TARGETS.oneFileRatio ? 'PASS' : 'FAIL',
    });
    rows.push({ case: 'same file, hashFile() on the calling thread (used by dataset passes)', target: 'info', measured: `${(size / MB / (mainMs / 1000)).toFixed(0)} MB/s`, result: 'info' });
    const total = size + statSync(big[1]).size;
    // Alternated with openssl on one file again: the two figures then share whatever load the machine has.
    const both: Timed[] = [];
    const [twoT, ssl2T] = await timeAlternating(
      ['pool x2', async () => {
        const timed = await timeInProcess(() => Promise.all(big.map((p) => pool.hash(p))));
        both.push(timed);
        return timed;
      }],
      ['openssl x1', () => openssl([big[0]])],
    );
    await pool.close();
    const twoMs = twoT.wallMs;
    const two = total / MB / (twoMs / 1000);
    const ssl2 = size / MB / (ssl2T.wallMs / 1000);
    const best = both.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    rows.push({
      case: `sha256 of two 2 GiB files on the hashing pool (${pool.size} threads, ${cpus().length} cores)`,
      target: `>= ${TARGETS.twoFilesRatio}x OpenSSL on one file`,
      measured: `${two.toFixed(0)} MB/s vs ${ssl2.toFixed(0)} MB/s = ${(two / ssl2).toFixed(2)}x (best run ${(total / MB / (best.wallMs / 1000)).toFixed(0)} MB/s, ${(best.cpuMs / best.wallMs).toFixed(2)} cores busy)`,
      result: two / ssl2 >= TARGETS.twoFilesRatio ? 'PASS' : 'FAIL',
    });
    if (haveCli) {
      const cli = runCli('lock 2 GiB', ['lock', big[0], '-o', join(OUT, 'one.lock.json')], 0);
      rows.push({ case: '`antidote lock` of one 2 GiB file, whole process', target: 'info', measured: `${(size / MB / (cli.wallMs / 1000)).toFixed(0)} MB/s (${cli.wallMs.toFixed(0)} ms), peak ${cli.peakMB ?? '?'} MB`, result: 'info' });
      const both = runCli('lock 2 x 2 GiB', ['lock', join(OUT, 'two'), '-o', join(OUT, 'two', 'two.lock.json')], 0);
      rows.push({ case: '`antidote lock` of two 2 GiB files, whole process', target: 'info', measured: `${(total / MB / (both.wallMs / 1000)).toFixed(0)} MB/s (${both.wallMs.toFixed(0)} ms), peak ${both.peakMB ?? '?'} MB`, result: 'info' });
    }
  }

  if (wanted('rows') && haveCli) {
    const size = statSync(jsonl).size;
    log(`case rows: ${rel(jsonl)} (${ROWS.toLocaleString('en')} rows, ${(size / MB).toFixed(0)} MB)`);
    warmPageCache(jsonl);
    const lockfile = join(OUT, 'rows', 'antidote.lock.json');
    const locked = runCli('lock 1M rows', ['lock', jsonl, '-o', lockfile], 0);
    const lockJson = JSON.parse(readFileSync(lockfile, 'utf8')) as { files: { dataset?: { rows: number; badRows: number } }[] };
    const dataset = lockJson.files[0]?.dataset;
    if (dataset?.rows !== ROWS || dataset.badRows !== 0) throw new Error(`the lock recorded ${JSON.stringify(dataset)} rows, expected ${ROWS} and no bad rows: the timing would mean nothing`);
    rows.push({
      case: `\`antidote lock\` of a ${ROWS.toLocaleString('en')}-row Alpaca-like JSONL (${(size / MB).toFixed(0)} MB): time`,
      target: `< ${TARGETS.rowsLockMs / 1000} s`,
      measured: `${(locked.wallMs / 1000).toFixed(2)} s (${(ROWS / (locked.wallMs / 1000)).toFixed(0)} rows/s); CPU ${locked.cpuSeconds?.toFixed(1) ?? '?'} s in all, ${locked.mainCpuSeconds?.toFixed(1) ?? '?'} s on the main thread`,
      result: locked.wallMs < TARGETS.rowsLockMs ? 'PASS' : 'FAIL',
    });
    rows.push({
      case: 'same: peak memory',
      target: `< ${TARGETS.rowsPeakMB} MB`,
      measured: locked.peakMB === null ? 'not measured' : `${locked.peakMB} MB`,
      result: locked.peakMB !== null && locked.peakMB < TARGETS.rowsPeakMB ? 'PASS' : 'FAIL',
    });
    const unchanged = runCli('verify unchanged', ['verify', lockfile, '--format', 'json', '-o', join(OUT, 'rows', 'verify.json')], 0);
    rows.push({ case: '`antidote verify` of the same file, unchanged (hash only)', target: 'info', measured: `${(unchanged.wallMs / 1000).toFixed(2)} s, peak ${unchanged.peakMB ?? '?'} MB`, result: 'info' });
    // One row inserted in the middle: a copy of the file, locked paths stay the same.
    const original = readFileSync(jsonl);
    const middle = original.indexOf(0x0a, Math.floor(original.length / 2)) + 1;
    writeFileSync(jsonl, Buffer.concat([original.subarray(0, middle), Buffer.from('{"instruction":"injected","input":"","output":"poison"}\n'), original.subarray(middle)]));
    try {
      const edited = runCli('verify one insert', ['verify', lockfile, '--format', 'json', '-o', join(OUT, 'rows', 'verify.json')], 1);
      const report = JSON.parse(readFileSync(join(OUT, 'rows', 'verify.json'), 'utf8')) as { files: { rows?: { counts: Record<string, number> } }[] };
      const counts = report.files[0]?.rows?.counts;
      rows.push({
        case: '`antidote verify` after one row inserted in the middle (rows read and aligned)',
        target: 'info',
        measured: `${(edited.wallMs / 1000).toFixed(2)} s, peak ${edited.peakMB ?? '?'} MB; found ${JSON.stringify(counts)}`,
        result: counts?.added === 1 && counts.unchanged === ROWS ? 'info' : 'FAIL',
      });
    } finally {
      writeFileSync(jsonl, original);
    }
  }

  const load = loadavg()[1]!;
  const table = ['| Case | Target | Measured | Result |', '|---|---|---|---|', ...rows.map((r) => `| ${r.case} | ${r.target} | ${r.measured} | ${r.result} |`)];
  const openSslVersion = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`${table.join('\n')}\n\n- ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${openSslVersion}; peak RSS via ${PEAK_RSS_METHOD}; ${RUNS} run(s), median\n- load average over the last 5 minutes at the end: ${load.toFixed(1)} on ${cpus().length} cores (above ~0.5 per core the figures are pessimistic: other processes shared the CPUs)\n- bench wall time ${((performance.now() - benchStarted) / 1000).toFixed(0)} s\n`);
  if (rows.some((r) => r.result === 'FAIL')) process.exitCode = 1;
}

await main();
