import { AntidoteError, errorMessage } from '../core/errors.js';

/**
 * One `antidote` sub-command: a thin shell over a library capability. Each lives in `cli/commands/<name>.ts`
 * and is listed once in `cli/commands/index.ts`; `main.ts` only dispatches.
 */
export interface CliCommand {
  /** The word after `antidote`. */
  readonly name: string;
  /** One line for the top-level usage: `scan PATH... [options]`. */
  readonly synopsis: string;
  /** What it does, in a few words, for the top-level usage. */
  readonly summary: string;
  /** Full help printed by `antidote NAME --help`. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit code (0, 1 or 2). */
  run(argv: string[]): Promise<number>;
}

/**
 * Runs a flag parser (node:util parseArgs) and turns its errors into usage errors (exit 2, no stack trace)
 * that point to the command's help.
 */
export function parseCommandArgs<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new AntidoteError('USAGE', `${errorMessage(error)}\nRun 'antidote ${command} --help' for usage.`);
  }
}
