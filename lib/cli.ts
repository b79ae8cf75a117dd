// What every command-line tool shares: the exit-code contract the README documents and argument parsing that
// turns a usage mistake into a message, not a stack trace.
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
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

/**
 * A path given on the command line, as this process opens it. npm runs a script in the package's
 * directory, whatever directory `npm run` was called in; that one is INIT_CWD, and a relative path is
 * taken from it (from the working directory when the tool runs without npm). The result is relative to
 * the working directory, so messages show it short; an absolute path stays as given. Every path option
 * of every tool goes through here.
 */
export function userPath(path: string, from?: string): string;
export function userPath(path: string | undefined, from?: string): string | undefined;
export function userPath(path: string | undefined, from = process.env.INIT_CWD || process.cwd()): string | undefined {
  if (path === undefined || isAbsolute(path)) return path;
  return relative(process.cwd(), resolve(from, path)) || ".";
}

/** Exit codes every tool uses. */
export const exitCodes = { ok: 0, findings: 1, badInput: 2 } as const;

/** `--help` was asked for: runTool prints the usage on stdout and exits 0. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
}

/**
 * `util.parseArgs`, strict. A usage mistake becomes an InputError with the usage; `--help` or `-h`, in
 * every tool, becomes HelpRequested with it.
 */
export function parseToolArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: readonly string[],
  options: T,
  usage: string,
) {
  if (argv.includes("--help") || argv.includes("-h")) throw new HelpRequested(usage);
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${usage}`);
  }
}

/**
 * Runs a tool's main and exits with its code. HelpRequested prints the usage and exits 0; InputError
 * prints its message on stderr and exits 2; anything else is a bug in the tool and keeps its stack trace.
 */
export function runTool(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (error instanceof HelpRequested) {
        process.stdout.write(`${error.message}\n`);
        process.exitCode = exitCodes.ok;
      } else if (error instanceof InputError) {
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = exitCodes.badInput;
      } else {
        process.stderr.write(`internal error (a bug in this tool, please report it):\n${(error as Error)?.stack ?? String(error)}\n`);
        process.exitCode = 70;
      }
    },
  );
}
