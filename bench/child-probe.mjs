// Runs a CLI script inside this node process and, at exit, writes what it cost to OUT_FILE as one JSON line:
//   node bench/child-probe.mjs OUT_FILE CLI_SCRIPT ARGS...
// {maxRssKb: process.resourceUsage().maxRSS, userS, sysS: CPU seconds, readBytes: `rchar` of /proc/self/io
// (bytes returned by read(2)/pread(2), page-cache hits included; -1 where /proc is missing)}.
// bench/measure.ts uses it for peak memory only when GNU time is absent, and for read accounting.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [out, cli, ...args] = process.argv.slice(2);
process.argv = [process.argv[0], resolve(cli), ...args];
process.on('exit', () => {
  let readBytes = -1;
  try {
    readBytes = Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? -1);
  } catch {
    // Not Linux: no read accounting.
  }
  const usage = process.resourceUsage();
  writeFileSync(out, `${JSON.stringify({ maxRssKb: usage.maxRSS, userS: usage.userCPUTime / 1e6, sysS: usage.systemCPUTime / 1e6, readBytes })}\n`);
});
await import(pathToFileURL(resolve(cli)).href);
