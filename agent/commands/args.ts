// Tiny argv parser: `--name value`, `--name=value` and boolean `--flag`.
export interface ParsedArgs {
  options: Record<string, string | true>;
  positional: string[];
}

export function parseArgs(args: string[], booleans: readonly string[] = []): ParsedArgs {
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      options[arg.slice(2, eq)] = arg.slice(eq + 1);
    } else {
      const name = arg.slice(2);
      const next = args[i + 1];
      if (booleans.includes(name) || next === undefined || next.startsWith('--')) options[name] = true;
      else {
        options[name] = next;
        i++;
      }
    }
  }
  return { options, positional };
}
