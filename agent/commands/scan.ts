// `till-agent scan DATA`: feeds a scan into a virtual scanner of the running agent (demo, tests),
// exactly as if it had been read: scan events, identify_on_scan and all.
import { call, targetFrom } from '../cli-client.ts';
import { parseArgs } from './args.ts';

const HELP = `till-agent scan DATA [--device NAME] [--config FILE | --socket PATH | --tcp HOST:PORT]

Injects DATA (a barcode or card number) into a virtual scanner of the running agent,
as if it had been scanned: subscribed POS programs get a "scan" event, and a match of
identify_on_scan identifies the customer. --device picks the virtual reader (default:
the first one). Only virtual devices accept injected scans.
Exit status: 0 when the scan was injected, 1 when it was not, 2 on bad usage.
`;

export async function scanCommand(args: string[]): Promise<number> {
  const { options, positional } = parseArgs(args, ['help']);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [data, ...extra] = positional;
  if (!data || extra.length > 0 || options.device === true) {
    process.stderr.write(`till-agent scan: give exactly one DATA to scan\n\n${HELP}`);
    return 2;
  }
  try {
    const params = { data, ...(typeof options.device === 'string' ? { device: options.device } : {}) };
    const [r] = (await call(targetFrom(options), [{ op: 'devices.scan', params }])) as [{ device: string }];
    process.stdout.write(`scanned on ${r.device}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`till-agent scan: ${(error as Error).message}\n`);
    return 1;
  }
}
