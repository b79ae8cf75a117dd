// What every command-line tool shares: the exit-code contract of DESIGN.md and argument parsing that
// turns a usage mistake into a message, not a stack trace.
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Bad input or usage: the message names what is wrong and where. Exit code 2, no stack trace. */
export class InputError extends Error {
  override name = "InputError";
}

/** The text of an input file; InputError `cannot read <what> <path>: ENOENT` when it cannot be read. */
export function readInputFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new InputError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** Exit codes every tool uses. */
export const exitCodes = { ok: 0, findings: 1, badInput: 2 } as const;

/** `util.parseArgs`, strict, with its errors turned into InputError naming the tool's usage. */
export function parseToolArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: readonly string[],
  options: T,
  usage: string,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${usage}`);
  }
}

/**
 * Runs a tool's main and exits with its code. InputError prints its message on stderr and exits 2;
 * anything else is a bug in the tool and keeps its stack trace.
 */
export function runTool(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof InputError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = exitCodes.badInput;
      } else {
        process.stderr.write(`internal error (a bug in this tool, please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
        process.exitCode = 70;
      }
    },
  );
}
