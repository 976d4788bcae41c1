// `till-agent demo` (what `npm start` runs): an embedded MQTT broker, the reference
// host with the sample seed and the agent, all in this one process.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../config.ts';
import { startDaemon } from '../daemon.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../embedded-broker.ts';
import { createLogger, type LogLevel } from '../log.ts';
import { VERSION } from '../version.ts';
import { hostConfigSchema } from '../../host/config.ts';
import { startHost } from '../../host/main.ts';
import { parseArgs } from './args.ts';
import { waitForSignal } from './run.ts';

const HELP = `till-agent demo [--data DIR] [--port 7411] [--verbose]

Starts an embedded MQTT broker (aedes), the reference loyalty host seeded with
host/seed.sample.yaml, and the agent. Data goes to ./data unless --data is given.
`;

const SAMPLE_SEED = fileURLToPath(new URL('../../host/seed.sample.yaml', import.meta.url));

export async function demoCommand(args: string[]): Promise<number> {
  const { options } = parseArgs(args, ['help', 'verbose']);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dataDir = resolve(typeof options.data === 'string' ? options.data : process.env.TILL_AGENT_DATA_DIR ?? './data');
  const port = typeof options.port === 'string' ? Number(options.port) : 7411;
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
  }), { log, version: VERSION });

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
Ctrl-C stops everything.
`;
}
