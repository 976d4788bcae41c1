// Command-line flags, strictly: node:util parseArgs with `strict: true`, so an unknown flag
// (`--frob`), a missing value or a value given to a switch is an error that names the flag,
// and `-h` is `--help` in every command. main.ts turns a UsageError into exit status 2.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  readonly code = 'USAGE';
}

export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]?: S[K]['type'] extends 'string' ? string : boolean;
} & { help?: boolean };

/**
 * Parses `args` against `spec` (plus --help/-h). At most `maxPositionals` bare arguments are
 * accepted; `--` ends the flags, so a value starting with "-" can still be passed.
 */
export function parseFlags<S extends FlagSpec>(
  args: string[],
  spec: S,
  maxPositionals = 0,
): { values: FlagValues<S>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...spec, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }));
  }
  const values = parsed.values as FlagValues<S>;
  const extra = parsed.positionals[maxPositionals];
  if (extra !== undefined && !values.help) throw new UsageError(`unexpected argument "${extra}"`);
  return { values, positionals: parsed.positionals };
}

// node's messages are long and mention its own API; ours name the flag and what is wrong.
function describeParseError(error: Error & { code?: string }): string {
  const flag = /'(-{1,2}[^'\s<]+)/.exec(error.message)?.[1];
  if (!flag) return error.message.split('\n')[0]!;
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${flag}`;
  if (/does not take an argument/.test(error.message)) return `${flag} takes no value`;
  if (/ambiguous/.test(error.message)) return `${flag} needs a value (one that starts with "-" is written ${flag}=-VALUE)`;
  if (/argument missing/.test(error.message)) return `${flag} needs a value`;
  return error.message.split('\n')[0]!;
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function intFlag(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
  return n;
}
