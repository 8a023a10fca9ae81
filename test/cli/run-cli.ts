import { spawnSync } from 'node:child_process';

/* Runs the CLI from its TypeScript sources as a user runs it: a child process, its exit code and output. */

const BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;
// By absolute URL: the lock and verify tests run the CLI from temporary folders, where the bare name `tsx` does not resolve.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Run `antidote args...` in `cwd` (default: the current folder). */
export function antidote(args: string[], cwd?: string): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', TSX, BIN, ...args], { encoding: 'utf8', cwd: cwd ?? process.cwd(), env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}
