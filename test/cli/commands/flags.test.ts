// Every command's flags, in process (main() as bin/till-agent.js calls it): strict parsing,
// unknown flags named, -h as --help, bad values refused with exit status 2 before anything runs.
import t from 'tap';
import { main } from '../../../cli/main.ts';

/** Runs main(args) and captures what it writes. */
async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (chunk: string | Uint8Array) => { out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; };
  const saved = [process.stdout.write, process.stderr.write];
  process.stdout.write = write as typeof process.stdout.write;
  process.stderr.write = write as typeof process.stderr.write;
  try {
    return { code: await main(args), out };
  } finally {
    [process.stdout.write, process.stderr.write] = saved as [typeof process.stdout.write, typeof process.stderr.write];
  }
}

// Each command as a technician would type it, minus what would make it do anything.
const INVOCATIONS: string[][] = [
  ['run'], ['host'], ['demo'], ['doctor'], ['status'], ['outbox', 'list'], ['outbox', 'retry'], ['outbox', 'export'],
  ['scan', 'X'], ['scan-test'], ['print-test'], ['ports'], ['receipt', 'preview'], ['config', 'check'],
];

t.test('an unknown flag is an error that names it, in every command', async (t) => {
  for (const args of [['help'], ...INVOCATIONS]) {
    const r = await run(...args, '--frob');
    t.equal(r.code, 2, `${args.join(' ')} --frob exits 2`);
    t.equal(r.out, `till-agent ${args[0]}: unknown option --frob\nRun "till-agent ${args[0]} --help" for its options.\n`,
      `${args.join(' ')} --frob names the flag in one line and points to --help`);
  }
});

t.test('help COMMAND is COMMAND --help; an unknown one is a usage error', async (t) => {
  t.same(await run('help', 'status'), await run('status', '--help'));
  t.match(await run('help', 'frob'), { code: 2, out: /unknown command "frob"/ });
  t.match(await run('help', 'status', 'run'), { code: 2, out: /unexpected argument "run"/ });
});

t.test('-h is --help in every command', async (t) => {
  for (const command of new Set(INVOCATIONS.map((a) => a[0]!))) {
    const short = await run(command, '-h');
    const long = await run(command, '--help');
    t.equal(short.code, 0, `${command} -h exits 0`);
    t.match(short.out, new RegExp(`^till-agent ${command}\\b`), `${command} -h prints its usage`);
    t.equal(short.out, long.out, `${command} -h and --help print the same`);
  }
  const usage = await run('-h');
  t.match(usage, { code: 0, out: /Commands:/ });
  for (const command of new Set(INVOCATIONS.map((a) => a[0]!))) t.match(usage.out, new RegExp(`\\n  ${command}\\b`), `${command} is in the command list`);
});

t.test('bad values: named, exit 2, nothing run', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['status', '--config'], /--config needs a value/],
    [['status', '--config', '--json'], /--config needs a value/],
    [['status', '--json=yes'], /--json takes no value/],
    [['status', '--tcp', 'localhost'], /--tcp must be HOST:PORT/],
    [['status', '--tcp', '127.0.0.1:70000'], /--tcp must be HOST:PORT/],
    [['status', '--tcp', '127.0.0.1:1', '--socket', '/x'], /give only one of --socket, --tcp/],
    [['status', '--data', '/x', '--config', '/y'], /give only one of --config, --data/],
    [['status', '--interval', '2'], /--interval goes with --watch/],
    [['status', '--watch', '--interval', '0'], /--interval must be a number of seconds/],
    [['outbox', 'list', '--limit', 'lots'], /--limit must be a whole number from 1 to 1000/],
    [['outbox', 'list', '--state', 'gone'], /--state must be one of dead, pending, done/],
    [['outbox', 'retry', 'ID', '--all'], /give a message id or --all/],
    [['outbox', 'frob'], /unknown subcommand "frob"/],
    [['outbox', 'export', '--socket', '/x'], /export reads the database file[^\n]*not --socket/],
    [['demo', '--port', '99999'], /--port must be a whole number from 1 to 65535/],
    [['demo', '--broker-port', 'x'], /--broker-port must be a whole number/],
    [['doctor', '--min-free-mb=-1'], /--min-free-mb must be a whole number/],
    [['scan'], /give the DATA to scan/],
    [['scan', 'A', 'B'], /unexpected argument "B"/],
    [['scan-test', '--seconds', 'soon'], /--seconds must be a positive number/],
    [['ports', 'extra'], /unexpected argument "extra"/],
    [['receipt', 'preview', '--txn', 'x', '--width', '9'], /--width must be a whole number from 16 to 80/],
    [['run', '--config'], /--config needs a value/],
    [['host', '--config', 'h.yaml', '--verbose'], /unknown option --verbose/],
  ];
  for (const [args, message] of cases) {
    const r = await run(...args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.out, message, args.join(' '));
  }
});
