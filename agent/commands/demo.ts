// `till-agent demo` (what `npm start` runs): an embedded MQTT broker, the reference
// host with the sample seed and the agent, all in this one process.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configSchema } from '../config.ts';
import { startDaemon } from '../daemon.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../embedded-broker.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { packageFile } from '../package-files.ts';
import { VERSION } from '../version.ts';
import { hostConfigSchema } from '../../host/config.ts';
import { startHost } from '../../host/main.ts';
import { intFlag, parseFlags } from './args.ts';
import { print } from './output.ts';
import { waitForSignal } from './run.ts';

const HELP = `till-agent demo [--data DIR] [--port 7411] [--verbose] [--stdin]

Starts an embedded MQTT broker (aedes), the reference loyalty host seeded with
host/seed.sample.yaml, and the agent with a virtual scanner (lines typed on stdin are
scanned; --stdin forces this when stdin is not a terminal) and a virtual printer writing
receipts as .txt/.png into DATA/agent/receipts. Data goes to ./data unless --data is given.
`;

const SAMPLE_SEED = packageFile('host/seed.sample.yaml');

export async function demoCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, {
    data: { type: 'string' }, port: { type: 'string' }, verbose: { type: 'boolean' }, stdin: { type: 'boolean' },
  });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const dataDir = resolve(options.data ?? process.env.TILL_AGENT_DATA_DIR ?? './data');
  const port = intFlag(options.port, 'port', 7411, 1, 65535);
  const level: LogLevel = options.verbose ? 'info' : 'warn';
  const log = createLogger({ level });
  mkdirSync(dataDir, { recursive: true });

  let broker: EmbeddedBroker;
  try {
    broker = await startEmbeddedBroker(1884);
  } catch {
    broker = await startEmbeddedBroker(0); // 1884 taken: any free port will do for a demo
  }
  // aedes speaks MQTT 3.1.1 without shared subscriptions: protocol 4, plain subscription.
  const uplink = { url: broker.url, protocol_version: 4, request_timeout_ms: 3000 };
  const host = await startHost(hostConfigSchema.parse({
    data_dir: join(dataDir, 'host'),
    uplink: { ...uplink, share_group: '' },
    seed: SAMPLE_SEED,
    log_level: level,
  }), log.child({ component: 'host' }));
  const unix = join(dataDir, 'till-agent.sock');
  const daemon = await startDaemon(configSchema.parse({
    terminal: 'T1', store: 'S1', merchant: 'DEMO',
    data_dir: join(dataDir, 'agent'),
    log_level: level,
    socket: { tcp: `127.0.0.1:${port}`, unix },
    uplink,
    offline: { spend_floor_limit: 2000, identify_cache_days: 30 },
    devices: [
      { name: 'scanner0', kind: 'barcode-scanner', transport: 'virtual' },
      { name: 'printer0', kind: 'printer', transport: 'virtual', width: 42, code_page: 'cp858' },
    ],
    identify_on_scan: { pattern: '^600649\\d{10}$', by: 'card' },
  }), { log, version: VERSION });
  // Type a card number or barcode on the demo's stdin: it is scanned by the virtual scanner.
  if (process.stdin.isTTY || options.stdin) {
    process.stdin.setEncoding('utf8');
    let pending = '';
    process.stdin.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line) daemon.ctx.devices.inject('scanner0', line);
      }
    });
  }

  process.stderr.write(banner(port, unix, broker.url, dataDir));
  return waitForSignal(async () => {
    await daemon.stop();
    await host.stop();
    await broker.stop();
  }, log);
}

function banner(port: number, unix: string, brokerUrl: string, dataDir: string): string {
  const basket = '{"currency":"EUR","total":470,"items":[{"sku":"4006381333931","name":"Espresso","qty":2,"unit_price":160,"amount":320},{"sku":"3017620422003","name":"Croissant","qty":1,"unit_price":150,"amount":150}]}';
  return `
till-agent ${VERSION} demo is running
  POS socket   tcp 127.0.0.1:${port}   unix ${unix}
  MQTT broker  ${brokerUrl} (embedded)
  data         ${dataDir}
Connect with:  socat - TCP:127.0.0.1:${port}    (or: socat - UNIX-CONNECT:${unix}, or nc 127.0.0.1 ${port})
and paste, one line at a time:
{"id":1,"op":"hello"}
{"id":2,"op":"identify","params":{"by":"card","value":"6006491234567890"}}
{"id":3,"op":"preview","params":{"customer_id":"P-1001","basket":${basket}}}
{"id":4,"op":"award","params":{"txn_id":"demo-1","customer_id":"P-1001","basket":${basket}}}
{"id":5,"op":"spend","params":{"txn_id":"demo-1","customer_id":"P-1001","amount":200,"currency":"EUR"}}
{"id":6,"op":"status"}
Devices: a virtual scanner (type a card number such as 6006491234567890 here and press
Enter, or run "till-agent scan 6006491234567890 --tcp 127.0.0.1:${port}") and a virtual printer
that writes every receipt as .txt and .png into ${join(dataDir, 'agent', 'receipts')}.
Subscribe to scans first: {"id":7,"op":"events.subscribe","params":{"topics":["scan","identified","print"]}}
Print a receipt with the loyalty section of demo-1:
{"id":8,"op":"receipt.print","params":{"txn_id":"demo-1","document":{"currency":"EUR","header":["Demo Café","1 Market Square"],"items":[{"name":"Espresso","qty":2,"amount":320},{"name":"Croissant","amount":150}],"total":470,"payments":[{"method":"Card","amount":470}],"footer":["Thank you!"]}}}
Ctrl-C stops everything.
`;
}
