import { AntidoteError, errorMessage } from '../core/errors.js';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';

/*
 * The `antidote` command: dispatches to one sub-command (cli/commands/). Contract for every command:
 * 0 = clean, 1 = findings at or above --fail-on (or a verification that failed), 2 = usage or tool error.
 */

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.synopsis.length)) + 2;
  const lines = COMMANDS.map((c) => `  antidote ${c.synopsis.padEnd(width)}${c.summary}`);
  return `antidote ${VERSION}: defends the LLM supply chain against poisoned models and data

Usage:
${lines.join('\n')}

Run 'antidote COMMAND --help' for a command's options.
  -h, --help       show this help
  -v, --version    show the version

Exit codes: 0 clean, 1 findings at or above the threshold, 2 usage or tool error.`;
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(`${usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const hint = first.startsWith('-') ? `options go after the command name, e.g. 'antidote scan PATH ${first} ...'` : `commands: ${COMMANDS.map((c) => c.name).join(', ')}`;
    throw new AntidoteError('USAGE', `unknown command '${first}' (${hint}). Run 'antidote --help'.`);
  }
  return command.run(rest);
}

/** Entry point: never prints a stack trace for tool errors; exit 2 for every error. */
export async function run(): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    if (error instanceof AntidoteError) {
      process.stderr.write(`antidote: error: ${error.message}\n`);
    } else {
      process.stderr.write(`antidote: internal error: ${errorMessage(error)}\nThis is a bug in antidote; please report it with the command you ran.\n`);
      if (process.env.ANTIDOTE_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    }
    process.exitCode = 2;
  }
}
