// A program's YAML config file, the agent's or the host's, read one way: YAML parsed (its errors
// with their line), environment overrides applied, checked against the program's schema with
// every error reported together (each naming its key), then relative paths made absolute
// against the file's directory.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { describeIssues } from '../protocol/schema.ts';

export class ConfigError extends Error {
  constructor(readonly file: string, readonly errors: string[], what = 'configuration') {
    super(`${file}: invalid ${what}\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What one program's config is. */
export interface ConfigSpec<T> {
  /** In error messages: "invalid <what>". */
  what: string;
  schema: z.ZodType<T>;
  /** Environment variables and the key each replaces: a top-level key or one level down (`uplink.url`). */
  env: Readonly<Record<string, string>>;
  /** Makes the config's file and directory paths absolute with `abs`. */
  absolutePaths(config: T, abs: (path: string) => string): void;
  /** The service's user, who must read the file (named in what to do when it cannot). */
  user: string;
  /** Keys holding an amount in minor units (`offline.spend_floor_limit`): written with a decimal point, refused (decimalAmounts). */
  minorUnits?: readonly string[];
}

/**
 * Amounts in minor units written as decimals, anywhere `isAmount(path)` says one is: `amount: 25.00` is
 * the number 25 to YAML, an integer, so a schema of minor units took it as 25 (0.25 EUR) where the
 * writer meant 25.00; `25.50` is refused by the schema. Read from the YAML source, as written; only an
 * integer value is reported (a fraction gets the schema's own error). Each error names its key.
 */
export function decimalAmounts(
  doc: Document, text: string, isAmount: (path: readonly (string | number)[]) => boolean, unit = 'minor units (cents)',
): string[] {
  const errors: string[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key === 'string') walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else if (isScalar(node) && Number.isInteger(node.value) && node.range && isAmount(path)) {
      const written = text.slice(node.range[0], node.range[1]);
      if (!written.includes('.')) return;
      const cents = /^\d+\.\d\d$/.test(written);
      errors.push(`${describePath(path)}: ${written} is read as ${String(node.value)} ${unit}, not ${written}: write `
        + `the amount as a whole number of them, without a decimal point (${cents ? `${written.replace('.', '').replace(/^0+(?=\d)/, '')} for ${written}` : '2000 for 20.00'})`);
    }
  };
  walk(doc.contents, []);
  return errors;
}

function describePath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Parse YAML text into a validated config; relative paths are resolved against the file's directory. */
export function parseConfigText<T>(spec: ConfigSpec<T>, text: string, file: string, env: NodeJS.ProcessEnv = {}): T {
  const fail = (errors: string[]) => new ConfigError(file, errors, spec.what);
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw fail(doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  const raw: unknown = doc.toJS();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(['(root): must be a mapping of keys']);
  const input = structuredClone(raw) as Record<string, unknown>;
  const overridden = new Map<string, string>();
  for (const [name, key] of Object.entries(spec.env)) {
    const value = env[name];
    if (value) {
      override(input, key, value);
      overridden.set(key, name);
    }
  }
  const minorUnits = new Set(spec.minorUnits ?? []);
  const written = minorUnits.size === 0 ? [] : decimalAmounts(doc, text, (path) => minorUnits.has(path.join('.')));
  const result = spec.schema.safeParse(input);
  // A bad value from the environment is not in the file the technician reads: say where it is.
  const from = (error: string) => {
    const key = error.slice(0, error.indexOf(':'));
    return overridden.has(key) ? `${error} (the value comes from the environment: ${overridden.get(key)})` : error;
  };
  if (!result.success) throw fail([...written, ...describeIssues(result.error, '', input).map(from)]);
  if (written.length > 0) throw fail(written);
  const config = result.data;
  const base = dirname(resolve(file));
  spec.absolutePaths(config, (p) => (isAbsolute(p) ? p : resolve(base, p)));
  return config;
}

// The codes a technician meets, in words (the code stays: it is what to search for).
const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  ENOTDIR: 'a part of the path is not a directory',
};

export function loadConfigFile<T>(spec: ConfigSpec<T>, file: string, env: NodeJS.ProcessEnv = process.env): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code ? READ_ERRORS[code] : undefined;
    // Permissions are the usual mistake (a file written as root, 0600): say what makes it readable.
    const fix = code === 'EACCES' ? `: the service's user ${spec.user} reads it through its group: chgrp ${spec.user} ${file}; chmod 0640 ${file}` : '';
    throw new ConfigError(file, [`cannot read file: ${code ?? String(error)}${why ? ` (${why})` : ''}${fix}`], spec.what);
  }
  return parseConfigText(spec, text, file, env);
}

function override(input: Record<string, unknown>, key: string, value: string): void {
  const [section, name] = key.split('.', 2) as [string, string | undefined];
  if (name === undefined) {
    input[section] = value;
    return;
  }
  const current = input[section];
  input[section] = { ...(typeof current === 'object' && current !== null ? current : {}), [name]: value };
}
