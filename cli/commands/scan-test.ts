// `till-agent scan-test`: live scans, read errors, identifications and device state changes,
// one readable line each, for a technician checking a scanner or card reader. It only shows
// what the agent emits, so a payment card appears in its masked form only.
import { formatMoney, type Money } from '../../protocol/money.ts';
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionFrom, openSession, targetFrom } from '../client.ts';
import { UsageError, parseFlags } from './args.ts';
import { field, print, printError } from './output.ts';

const HELP = `till-agent scan-test [--seconds N] [--config FILE | --data DIR | --socket PATH | --tcp HOST:PORT]

Shows every scan, read error, identification (identify_on_scan) and device state
change of the running agent as it happens, one line each, until Ctrl-C or N seconds.
Payment cards only ever appear masked (411111******1111): the agent emits nothing else.
Exit status: 0 when stopped by Ctrl-C or the time limit, 1 when the agent cannot be
reached or goes away, 2 on bad usage.

${CONNECTION_HELP}`;

const TOPICS = ['scan', 'scan_error', 'identified', 'device'] as const;

type Data = Record<string, unknown>;
// Every string shown comes from a device or the agent: field() escapes control characters.
const str = (v: unknown) => (typeof v === 'string' ? field(v) : '');

function clock(at: unknown): string {
  const d = typeof at === 'string' ? new Date(at) : new Date();
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}.${p(t.getMilliseconds(), 3)}`;
}

/** One line for an event; pure, so the wording is tested without a running agent. */
export function formatEvent(topic: string, data: Data): string {
  const head = `${clock(data.at)}  ${topic.padEnd(10)}  ${str(data.device).padEnd(10)}`;
  switch (topic) {
    case 'scan': {
      if (data.kind === 'payment_card') return `${head}  payment card ${str(data.masked)} (masked; never used for loyalty)`;
      const symbology = data.symbology ? ` ${str(data.symbology)}` : '';
      return `${head}  ${str(data.kind)}${symbology}  ${str(data.data)}`;
    }
    case 'scan_error':
      // garbled: the technician's classic, line settings that do not match the scanner's.
      return `${head}  unreadable: ${str(data.reason)}${data.reason === 'garbled' ? ' (not UTF-8: check baud, parity and data_bits against the reader\'s settings)' : ''}`;
    case 'identified': {
      const error = data.error as { code?: string; message?: string } | undefined;
      if (error) return `${head}  not identified: ${field(error.code ?? 'ERROR')}: ${field(error.message ?? '')}`;
      const c = data.customer as { id: string; name: string; balance?: Money } | undefined;
      const balance = c?.balance ? `, balance ${formatMoney(c.balance)}` : '';
      return `${head}  ${field(c?.name ?? '?')} (${field(c?.id ?? '?')})${balance}${data.stale ? ` [offline: as of ${str(data.as_of)}]` : ''}`;
    }
    case 'device':
      return `${head}  ${str(data.kind)} ${str(data.state)}${data.reason ? `: ${str(data.reason)}` : ''}`;
    default:
      return `${head}  ${field(JSON.stringify(data))}`;
  }
}

export async function scanTestCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, { ...CONNECTION_FLAGS, seconds: { type: 'string' } });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const seconds = options.seconds === undefined ? undefined : Number(options.seconds);
  if (seconds !== undefined && !(seconds > 0)) throw new UsageError('--seconds must be a positive number');
  const connection = connectionFrom(options);
  let session;
  try {
    session = await openSession(targetFrom(connection));
  } catch (error) {
    printError(`till-agent scan-test: ${(error as Error).message}\n`);
    return 1;
  }
  session.onEvent((topic, data) => print(formatEvent(field(topic), (data ?? {}) as Data) + '\n'));
  try {
    const subscribed = await session.request('events.subscribe', { topics: TOPICS });
    if (!subscribed.ok) throw new Error(`${subscribed.error.code}: ${subscribed.error.message}`);
    const listed = await session.request('devices.list');
    const readers = listed.ok
      ? (listed.result as { devices: Array<{ name: string; kind: string; state: string; reason?: string }> }).devices.filter((d) => d.kind === 'barcode-scanner' || d.kind === 'card-reader')
      : [];
    const which = readers.length
      ? readers.map((d) => field(`${d.name} (${d.kind}, ${d.state}${d.state === 'offline' && d.reason ? `: ${d.reason}` : ''})`)).join(', ')
      : 'none configured';
    print(`listening for scans; readers: ${which}. ${seconds ? `Stops after ${seconds} s.` : 'Ctrl-C to stop.'}\n`);
  } catch (error) {
    session.close();
    printError(`till-agent scan-test: ${(error as Error).message}\n`);
    return 1;
  }

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let stop: () => void = () => undefined;
  const outcome = await new Promise<number>((resolve) => {
    stop = () => resolve(0);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (seconds) timer = setTimeout(stop, seconds * 1000);
    void session.closed.then(() => {
      if (stopping) return;
      printError('till-agent scan-test: the agent closed the connection\n');
      resolve(1);
    });
  });
  stopping = true;
  clearTimeout(timer);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  session.close();
  return outcome;
}
