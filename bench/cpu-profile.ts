import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/*
 * Where the time goes when a target is missed: run the scan once under `node --cpu-prof` and sum the
 * sampled self time per function (and per source file), so the owner sees which reader loop to fix.
 * Also usable on its own: `npx tsx bench/cpu-profile.ts FILE.cpuprofile [TOP]`.
 */

/** One function's share of the profile. */
export interface ProfileLine {
  /** `name (file:line)`, file relative to the repo. */
  fn: string;
  selfMs: number;
  selfPercent: number;
}

/** Top functions and files by self time. */
export interface ProfileSummary {
  profile: string;
  totalMs: number;
  functions: ProfileLine[];
  files: ProfileLine[];
  /**
   * Self time of every frame outside the project (native `read`, hash `update`; not the GC) charged to the
   * nearest project function up the stack, skipping byte sources: which reader the syscalls serve.
   */
  callers: ProfileLine[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Run `node --cpu-prof cli args` and summarise the profile (top `top` functions and files by self time). */
export function profileScan(cli: string, args: string[], directory: string, repo: string, top = 12): ProfileSummary {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const child = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', directory, cli, ...args], { stdio: 'ignore' });
  if (child.error) throw child.error;
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${directory}`);
  return summariseProfile(join(directory, file), repo, top);
}

/** Self time per function and per file of a `.cpuprofile`. */
export function summariseProfile(path: string, repo: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byNode = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    byNode.set(id, (byNode.get(id) ?? 0) + delta);
    totalUs += delta;
  });
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const label = (node: CpuProfile['nodes'][number]): { fn: string; where: string } => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? relative(repo, url.replace(/^file:\/\//, '')) : '';
    return { fn: where ? `${functionName || '(anonymous)'} (${where}:${lineNumber + 1})` : functionName || '(anonymous)', where };
  };
  const isOurs = (where: string): boolean => where.startsWith('dist/') || where.startsWith('src/');
  // Byte sources only forward reads: charge their callers (the reader that asked), not them.
  const isPlumbing = (where: string): boolean => /(^|\/)core\/byte-source\.(js|ts)$/.test(where);
  for (const node of profile.nodes) {
    const us = byNode.get(node.id);
    if (!us) continue;
    const { fn, where } = label(node);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const fileKey = where || fn;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
    if (isOurs(where) || fn.startsWith('(')) continue;
    for (let id = parents.get(node.id); id !== undefined; id = parents.get(id)) {
      const caller = label(nodes.get(id)!);
      if (!isOurs(caller.where) || isPlumbing(caller.where)) continue;
      const key = `${fn} <- ${caller.fn}`;
      byCaller.set(key, (byCaller.get(key) ?? 0) + us);
      break;
    }
  }
  const rank = (map: Map<string, number>): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, selfMs: Math.round(us / 100) / 10, selfPercent: Math.round((1000 * us) / totalUs) / 10 }));
  return { profile: relative(repo, path), totalMs: Math.round(totalUs / 1000), functions: rank(byFunction), files: rank(byFile), callers: rank(byCaller) };
}

/** The summary as markdown lines. */
export function formatProfile(summary: ProfileSummary): string[] {
  const lines = [`CPU profile (${summary.profile}, ${summary.totalMs} ms sampled), top functions by self time:`, '', '| self ms | self % | function |', '|---:|---:|---|'];
  for (const line of summary.functions) lines.push(`| ${line.selfMs} | ${line.selfPercent} | \`${line.fn}\` |`);
  lines.push('', 'By source file:', '', '| self ms | self % | file |', '|---:|---:|---|');
  for (const line of summary.files) lines.push(`| ${line.selfMs} | ${line.selfPercent} | \`${line.fn}\` |`);
  lines.push('', 'Time outside antidote (native calls, node internals) by the antidote function that caused it:', '', '| self ms | self % | callee <- antidote caller |', '|---:|---:|---|');
  for (const line of summary.callers) lines.push(`| ${line.selfMs} | ${line.selfPercent} | \`${line.fn}\` |`);
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: npx tsx bench/cpu-profile.ts FILE.cpuprofile [TOP]\n');
    process.exitCode = 2;
  } else {
    const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
    process.stdout.write(`${formatProfile(summariseProfile(resolve(file), repo, Number(top ?? 12))).join('\n')}\n`);
  }
}
