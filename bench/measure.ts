import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/*
 * Runs one measurement as a child process, the way a user runs the tool: a fresh `node dist/cli/bin.js` per
 * run, so timings include process start, module loading and report rendering. Peak memory comes from GNU
 * time (`/usr/bin/time -f %M`, apt package `time`); without it, a small wrapper (child-probe.mjs) runs the
 * same CLI in a child node and reports `process.resourceUsage().maxRSS` at exit. The same wrapper counts the
 * bytes the scan reads (`rchar`), which shows read amplification: a scan that should read only a zip's
 * central directory and pickle members must not read the whole file, let alone several times.
 */

/** GNU time, when installed: it measures peak RSS of the child without touching the child. */
const GNU_TIME = '/usr/bin/time';
const WRAPPER = new URL('./child-probe.mjs', import.meta.url).pathname;
/** Bytes per read when pulling inputs into the page cache before timing. */
const WARM_CHUNK = 8 * 1024 * 1024;

/** How peak memory is measured on this machine. */
export const PEAK_RSS_METHOD: 'gnu-time' | 'resource-usage' = existsSync(GNU_TIME) && process.env.BENCH_NO_GNU_TIME === undefined ? 'gnu-time' : 'resource-usage';

/** One run of a command. */
export interface CommandSample {
  wallMs: number;
  /** Peak resident set size of the child in KiB (null when it could not be measured). */
  peakRssKb: number | null;
  /** CPU seconds (user + system) of the child: near wallMs for a single-threaded scan that was not starved. */
  cpuSeconds: number | null;
  exitCode: number | null;
}

/** A finding that is not informational, reduced to what the bench checks. */
export interface FlaggedFinding {
  /** The file on disk it belongs to (the part of the location before any `!member`). */
  file: string;
  severity: string;
  rule: string;
}

/** One run of `antidote scan`, plus what its JSON result says. */
export interface ScanSample extends CommandSample {
  /** The scan's own `durationMs` (from its JSON result): the time inside `scan()`, without process start. */
  durationMs: number;
  status: string;
  /** File records on disk (paths without `!`). */
  filesOnDisk: number;
  /** Formats and statuses of the files on disk, with counts. */
  formats: Record<string, number>;
  statuses: Record<string, number>;
  /** Findings per severity. */
  findings: Record<string, number>;
  /** Limit and unscanned-bytes findings: the scan skipped part of the input, so its timing flatters. */
  skipped: string[];
  /** Files on disk with at least one finding above info, and their worst finding (at most MAX_FLAGGED kept). */
  flagged: Record<string, FlaggedFinding>;
  flaggedCount: number;
}

/** Flagged files kept per sample (the count is always exact). */
const MAX_FLAGGED = 200;
const SEVERITY_RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Run `command args` once, timing it and measuring its peak RSS. stdout and stderr are discarded. */
export function runCommand(command: string, args: string[], scratch: string): CommandSample {
  const rssFile = join(scratch, 'peak-rss.txt');
  rmSync(rssFile, { force: true });
  const [program, programArgs] =
    PEAK_RSS_METHOD === 'gnu-time'
      ? [GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]]
      : command === process.execPath
        ? [process.execPath, [WRAPPER, rssFile, ...args]]
        : [command, args];
  const started = performance.now();
  const child = spawnSync(program, programArgs, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const wallMs = performance.now() - started;
  if (child.error) throw child.error;
  let peakRssKb: number | null = null;
  let cpuSeconds: number | null = null;
  if (existsSync(rssFile)) {
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    // GNU time may print "Command exited with non-zero status N" before its figures: take the last line.
    const last = lines[lines.length - 1] ?? '';
    if (PEAK_RSS_METHOD === 'gnu-time') {
      const [rss, user, system] = last.split(' ').map(Number);
      if (Number.isFinite(rss)) peakRssKb = rss!;
      if (Number.isFinite(user) && Number.isFinite(system)) cpuSeconds = user! + system!;
    } else {
      const probe = JSON.parse(last) as { maxRssKb: number; userS: number; sysS: number };
      peakRssKb = probe.maxRssKb;
      cpuSeconds = probe.userS + probe.sysS;
    }
  }
  return { wallMs, peakRssKb, cpuSeconds, exitCode: child.status };
}

/** Run the built CLI on `paths` with `--format json --no-progress` plus `extraArgs`, once. */
export function runScan(cli: string, paths: string[], extraArgs: string[], scratch: string): ScanSample {
  const resultFile = join(scratch, 'last-result.json');
  rmSync(resultFile, { force: true });
  const args = [cli, 'scan', ...paths, '--format', 'json', '--no-progress', '--output', resultFile, ...extraArgs];
  const sample = runCommand(process.execPath, args, scratch);
  // Exit 1 only means "findings at or above --fail-on" (the tree holds malicious files on purpose).
  if (sample.exitCode !== 0 && sample.exitCode !== 1) {
    throw new Error(`scan failed with exit code ${sample.exitCode}: node ${args.join(' ')}`);
  }
  const result = JSON.parse(readFileSync(resultFile, 'utf8')) as {
    durationMs: number;
    status: string;
    files: { path: string; format: string; status: string }[];
    findings: { ruleId: string; messageId: string; severity: string; message: string; location: { path: string } }[];
    summary: Record<string, number>;
  };
  const onDisk = result.files.filter((f) => !f.path.includes('!'));
  const formats: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  for (const file of onDisk) {
    formats[file.format] = (formats[file.format] ?? 0) + 1;
    statuses[file.status] = (statuses[file.status] ?? 0) + 1;
  }
  const skipped: string[] = [];
  const worst = new Map<string, FlaggedFinding>();
  for (const finding of result.findings) {
    if (finding.messageId === 'limit' || finding.messageId === 'unscanned') skipped.push(`${finding.location.path}: ${finding.message}`);
    if (finding.severity === 'info') continue;
    const file = finding.location.path.split('!')[0]!;
    const seen = worst.get(file);
    if (!seen || SEVERITY_RANK[finding.severity]! > SEVERITY_RANK[seen.severity]!) {
      worst.set(file, { file, severity: finding.severity, rule: `${finding.ruleId}/${finding.messageId}` });
    }
  }
  const findings = Object.fromEntries(Object.entries(result.summary).filter(([, n]) => n > 0));
  return {
    ...sample,
    durationMs: result.durationMs,
    status: result.status,
    filesOnDisk: onDisk.length,
    formats,
    statuses,
    findings,
    skipped: skipped.slice(0, 10),
    flagged: Object.fromEntries([...worst.entries()].slice(0, MAX_FLAGGED)),
    flaggedCount: worst.size,
  };
}

/**
 * Bytes the CLI reads through read(2) while scanning `paths` (one extra, untimed run inside the wrapper), or
 * null where /proc/self/io does not exist. Includes the few MB of loading node's and antidote's modules.
 */
export function measureReadBytes(cli: string, paths: string[], extraArgs: string[], scratch: string): number | null {
  const probeFile = join(scratch, 'probe.txt');
  rmSync(probeFile, { force: true });
  const args = [WRAPPER, probeFile, cli, 'scan', ...paths, '--format', 'json', '--no-progress', '--output', join(scratch, 'last-result.json'), ...extraArgs];
  const child = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (child.error) throw child.error;
  if (!existsSync(probeFile)) return null;
  const { readBytes } = JSON.parse(readFileSync(probeFile, 'utf8')) as { readBytes: number };
  return readBytes >= 0 ? readBytes : null;
}

/** Read a file or every file of a tree once, so timed runs start from a warm page cache like a rerun does. */
export function warmPageCache(path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) warmPageCache(join(path, name));
    return;
  }
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(WARM_CHUNK);
    for (let position = 0; ; ) {
      const n = readSync(fd, buffer, 0, WARM_CHUNK, position);
      if (n === 0) break;
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Busy and total CPU time of the whole machine so far, in clock ticks (from /proc/stat; null elsewhere). */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are the only idle columns.
    const total = fields.slice(0, 8).reduce((n, v) => n + v, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
