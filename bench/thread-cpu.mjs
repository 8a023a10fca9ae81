// Preloaded into a benchmarked CLI run (node --import ./bench/thread-cpu.mjs ...): at exit, writes the main
// thread's CPU seconds (user + system, from /proc/self/task/<pid>/stat) to the file named by
// ANTIDOTE_BENCH_THREAD_CPU. With the whole process's CPU time from GNU time, the bench can tell how long the
// busiest thread ran, a figure that load from other processes on the machine does not inflate the way it
// inflates wall time.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.ANTIDOTE_BENCH_THREAD_CPU;
if (out) {
  process.on('exit', () => {
    try {
      const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: utime and stime are the 14th and 15th fields overall.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      writeFileSync(out, JSON.stringify({ mainCpuSeconds: ticks / 100 }));
    } catch {
      // No /proc (not Linux): the bench then reports process CPU only.
    }
  });
}
