// `npm run bench`: the till-agent benchmarks. Prints a table (or JSON with --json) of
// figures; nothing here passes or fails on timing. See bench/README.md for what each
// figure means and the figures measured on the till.
//
//   1 outbox   agent/upstream/outbox.ts group commit on a real SQLite file      (outbox-bench.ts)
//   2 sqlite   raw better-sqlite3 inserts, 100 rows per commit          (sqlite-bench.ts)
//   3 system   POS socket → agent → aedes → host, online and offline    (system-bench.ts, stack.ts)
//   4 processes  issue #10's table: agent and host processes over mosquitto, the bridge
//              baseline, RSS, start to ready                             (process-bench.ts)
//   5 fleet    N simulated tills against 1 and 3 host processes, one SIGKILLed; only with
//              --fleet N or --only=fleet                                 (fleet-bench.ts)
import { FLEET_DEFAULTS, fleetBench } from './fleet-bench.ts';
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
  fleet: { title: '5. fleet of simulated tills', run: (a: Args) => fleetBench({ tills: a.fleet, durationS: a.duration }) },
} as const;
type SuiteName = keyof typeof SUITES;
const isSuite = (name: string): name is SuiteName => Object.hasOwn(SUITES, name);
/** Without --only: the fleet runs only when asked for (--fleet N), it takes minutes per store. */
const DEFAULT_SUITES: SuiteName[] = ['outbox', 'sqlite', 'system', 'processes'];

const USAGE = `npm run bench -- [--json] [--only=outbox,sqlite,system,processes,fleet] [--nodelay]
                    [--fleet N] [--duration S]

  --json        print the results as JSON on stdout instead of a table
  --only=LIST   run only these suites (comma-separated; default all but fleet)
  --nodelay     what-if: TCP_NODELAY on every socket (see bench/README.md)
  --fleet N     the fleet suite with N simulated tills (default ${FLEET_DEFAULTS.tills}); alone, only it
  --duration S  seconds measured per fleet run (default ${FLEET_DEFAULTS.durationS}; e.g. --fleet 50 --duration 10)
Progress goes to stderr. Each benchmark runs in its own temp dir and removes it.
Exit status 1 if a fleet run's ledger check found an award lost, applied twice or out of order.
`;

interface Args {
  json: boolean;
  nodelay: boolean;
  only: SuiteName[];
  fleet: number;
  duration: number;
  help: boolean;
  errors: string[];
}

function positiveInt(value: string | undefined, flag: string, errors: string[], max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) errors.push(`${flag}: "${value ?? ''}" is not a whole number from 1 to ${max}`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: false, nodelay: false, only: [...DEFAULT_SUITES], fleet: FLEET_DEFAULTS.tills, duration: FLEET_DEFAULTS.durationS,
    help: false, errors: [],
  };
  let onlyGiven = false;
  let fleetGiven = false;
  const value = (arg: string, flag: string, i: number) => (arg === flag ? argv[i + 1] : arg.slice(flag.length + 1));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--fleet' || arg.startsWith('--fleet=')) {
      args.fleet = positiveInt(value(arg, '--fleet', i), '--fleet', args.errors, 5000);
      fleetGiven = true;
      if (arg === '--fleet') i++;
    } else if (arg === '--duration' || arg.startsWith('--duration=')) {
      args.duration = positiveInt(value(arg, '--duration', i), '--duration', args.errors, 3600);
      if (arg === '--duration') i++;
    } else if (arg === '--json') args.json = true;
    else if (arg === '--nodelay') args.nodelay = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] ?? '' : arg.slice('--only='.length);
      const names = list.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !isSuite(n));
      if (names.length === 0 || unknown.length > 0) args.errors.push(`--only: unknown suite(s) "${unknown.join(',') || list}"; use ${Object.keys(SUITES).join(', ')}`);
      else {
        args.only = names.filter(isSuite);
        onlyGiven = true;
      }
    } else args.errors.push(`unknown argument "${arg}"`);
  }
  if (fleetGiven && !onlyGiven) args.only = ['fleet'];
  else if (fleetGiven && !args.only.includes('fleet')) args.only.push('fleet');
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
    results.push(...(await suite.run(args)));
    process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  process.stderr.write(`bench: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ environment: env, nodelay: args.nodelay, results }, null, 2)}\n`);
  } else {
    process.stdout.write(renderTable(env, results));
    if (args.nodelay) process.stdout.write('\n(--nodelay: TCP_NODELAY forced on every socket; not how the agent runs today)\n');
  }
  // A fleet run whose ledger check failed: the figures stand, but the run is a failure.
  return results.some((r) => r.unit === 'problems' && r.value !== 0) ? 1 : 0;
}

main().then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`\nbench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
