// Argument parsing for the CLI: node:util parseArgs (strict) plus typed checks. Every problem is
// a UsageError, which main.ts turns into a message on stderr and exit code 2.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line arguments: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A runtime failure (BEX failed, timeout...): exit code 1. */
export class RuntimeFailure extends Error {
  override readonly name = 'RuntimeFailure';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type Parsed = {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
};

/** parseArgs in strict mode; its errors become UsageErrors (main.ts names the command). */
export function parse(args: readonly string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const r = parseArgs({ args: [...args], options, strict: true, allowPositionals });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UsageError(msg.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} expects a value`);
  return v;
}

export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => {
    if (typeof x !== 'string') throw new UsageError(`--${name} expects a value`);
    return x;
  });
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** An integer option in [min, max], or `dflt` when absent. */
export function int(p: Parsed, name: string, dflt: number, min: number, max: number): number {
  const v = str(p, name);
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`--${name} expects an integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} expects an integer in ${min}..${max}, got ${v}`);
  return n;
}
