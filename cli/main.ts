// CLI: `till-agent <command> [options]`. Each command lives in its own module and is
// loaded on demand so that `till-agent host` never opens the agent's outbox, and so on.
import { UsageError, parseFlags } from './commands/args.ts';
import { flushStdout, printError } from './commands/output.ts';

const USAGE = `till-agent <command> [options]

Commands:
  run --config FILE        run the agent (the systemd service runs this)
  host --config FILE       run the reference loyalty host
  demo [--data DIR]        embedded broker + reference host + agent in one process
  doctor --config FILE     check config, disk, database, broker, devices, clock
  config check             is the config valid for this version (each error names its key)
  status                   ask the running agent: uplink, outbox, devices
  outbox list|retry|export dead letters and the queue
  scan DATA                inject a scan into a virtual scanner of the running agent
  scan-test                show live scans, read errors and device changes
  print-test               print a test receipt (code pages, widths, QR) on a printer
  ports                    serial ports and USB printers found on this machine
  receipt preview --txn ID render a sale's loyalty receipt to PNG and text
  help [COMMAND]           this text, or a command's options

Run "till-agent <command> --help" for the options of a command.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  host: async () => (await import('./commands/host.ts')).hostCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  doctor: async () => (await import('./commands/doctor.ts')).doctorCommand,
  config: async () => (await import('./commands/config.ts')).configCommand,
  status: async () => (await import('./commands/status.ts')).statusCommand,
  outbox: async () => (await import('./commands/outbox.ts')).outboxCommand,
  scan: async () => (await import('./commands/scan.ts')).scanCommand,
  'scan-test': async () => (await import('./commands/scan-test.ts')).scanTestCommand,
  'print-test': async () => (await import('./commands/print-test.ts')).printTestCommand,
  ports: async () => (await import('./commands/ports.ts')).portsCommand,
  receipt: async () => (await import('./commands/receipt.ts')).receiptCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name) {
    process.stdout.write(USAGE);
    return 2;
  }
  const command = name === 'help' || name === '--help' || name === '-h' ? helpCommand : await COMMANDS[name]?.();
  if (!command) {
    process.stderr.write(`till-agent: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const code = await command(args);
    await flushStdout(); // the caller exits at once: a pipe must get all of a large output first
    return code;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    printError(`till-agent ${name}: ${error.message}\nRun "till-agent ${name} --help" for its options.\n`);
    return 2;
  }
}

// `help` takes flags as strictly as every other command: `help --frob` is a usage error, not
// this text. `help COMMAND` is `COMMAND --help`.
async function helpCommand(args: string[]): Promise<number> {
  const { positionals } = parseFlags(args, {}, 1);
  const name = positionals[0];
  if (name === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"`);
  return (await load())(['--help']);
}
