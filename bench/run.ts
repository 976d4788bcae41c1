// `npm run bench`: the till-agent benchmarks. Prints a table (or JSON with --json) of
// figures; nothing here passes or fails on timing. See bench/README.md for what each
// figure means and the figures measured on the till.
//
//   1 outbox   agent/outbox.ts group commit on a real SQLite file      (outbox-bench.ts)
//   2 sqlite   raw better-sqlite3 inserts, 100 rows per commit          (sqlite-bench.ts)
//   3 system   POS socket → agent → aedes → host, online and offline    (system-bench.ts, stack.ts)
//   4 processes  issue #10's table: agent and host processes over mosquitto, the bridge
//              baseline, RSS, start to ready                             (process-bench.ts)
import { enableNoDelayEverywhere } from './nodelay.ts';
import { outboxBench } from './outbox-bench.ts';
import { processBench } from './process-bench.ts';
import { environment, renderTable, type Result } from './report.ts';
import { sqliteBench } from './sqlite-bench.ts';
import { systemBench } from './system-bench.ts';

const SUITES = {
  outbox: { title: '1. outbox group commit', run: () => outboxBench() },
  sqlite: { title: '2. raw better-sqlite3 insert rate', run: () => sqliteBench() },
  system: { title: '3. whole path through the local socket', run: () => systemBench() },
  processes: { title: '4. agent and host processes over mosquitto', run: () => processBench() },
} as const;
type SuiteName = keyof typeof SUITES;
const isSuite = (name: string): name is SuiteName => Object.hasOwn(SUITES, name);

const USAGE = `npm run bench -- [--json] [--only=outbox,sqlite,system,processes] [--nodelay]

  --json        print the results as JSON on stdout instead of a table
  --only=LIST   run only these suites (comma-separated; default all)
  --nodelay     what-if: TCP_NODELAY on every socket (see bench/README.md)
Progress goes to stderr. Each benchmark runs in its own temp dir and removes it.
`;

interface Args {
  json: boolean;
  nodelay: boolean;
  only: SuiteName[];
  help: boolean;
  errors: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, nodelay: false, only: Object.keys(SUITES) as SuiteName[], help: false, errors: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') args.json = true;
    else if (arg === '--nodelay') args.nodelay = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] ?? '' : arg.slice('--only='.length);
      const names = list.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !isSuite(n));
      if (names.length === 0 || unknown.length > 0) args.errors.push(`--only: unknown suite(s) "${unknown.join(',') || list}"; use ${Object.keys(SUITES).join(', ')}`);
      else args.only = names.filter(isSuite);
    } else args.errors.push(`unknown argument "${arg}"`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.errors.length > 0) {
    process.stderr.write(`bench: ${args.errors.join('; ')}\n\n${USAGE}`);
    return 2;
  }
  if (args.nodelay) enableNoDelayEverywhere();
  const env = environment();
  const results: Result[] = [];
  const started = performance.now();
  for (const name of args.only) {
    const suite = SUITES[name];
    const t0 = performance.now();
    process.stderr.write(`bench: ${suite.title}…`);
    results.push(...(await suite.run()));
    process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  process.stderr.write(`bench: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ environment: env, nodelay: args.nodelay, results }, null, 2)}\n`);
  } else {
    process.stdout.write(renderTable(env, results));
    if (args.nodelay) process.stdout.write('\n(--nodelay: TCP_NODELAY forced on every socket; not how the agent runs today)\n');
  }
  return 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`\nbench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
