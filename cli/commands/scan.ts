// `till-agent scan DATA`: feeds a scan into a virtual scanner of the running agent (demo, tests),
// exactly as if it had been read: scan events, identify_on_scan and all.
import { CONNECTION_FLAGS, CONNECTION_HELP, call, connectionFrom, targetFrom } from '../client.ts';
import { UsageError, parseFlags } from './args.ts';
import { field, print, printError } from './output.ts';

const HELP = `till-agent scan DATA [--device NAME] [--config FILE | --data DIR | --socket PATH | --tcp HOST:PORT]

Injects DATA (a barcode or card number) into a virtual scanner of the running agent,
as if it had been scanned: subscribed POS programs get a "scan" event, and a match of
identify_on_scan identifies the customer. --device picks the virtual reader (default:
the first one). Only virtual devices accept injected scans. For a virtual scale
(--device scale0), DATA is what lies on it: "0.350" (kg), "350g", "unstable",
"overload", "negative" or "0".
Exit status: 0 when the scan was injected, 1 when it was not, 2 on bad usage.

${CONNECTION_HELP}`;

export async function scanCommand(args: string[]): Promise<number> {
  const { values: options, positionals: [data] } = parseFlags(args, { ...CONNECTION_FLAGS, device: { type: 'string' } }, 1);
  if (options.help) {
    print(HELP);
    return 0;
  }
  if (!data) throw new UsageError('give the DATA to scan');
  const connection = connectionFrom(options);
  try {
    const params = { data, ...(options.device !== undefined ? { device: options.device } : {}) };
    const [r] = (await call(targetFrom(connection), [{ op: 'devices.scan', params }])) as [{ device: string }];
    print(`scanned on ${field(r.device)}\n`);
    return 0;
  } catch (error) {
    printError(`till-agent scan: ${(error as Error).message}\n`);
    return 1;
  }
}
