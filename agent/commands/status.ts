// `till-agent status`: what the running agent says about itself, for humans or --json.
import type { StatusResult } from '../../protocol/local.ts';
import { call, targetFrom } from '../cli-client.ts';
import { parseArgs } from './args.ts';

const HELP = `till-agent status [--config FILE | --socket PATH | --tcp HOST:PORT] [--json]

Asks the running agent (over its local socket) for uplink state, outbox depth,
oldest pending age, dead letters and devices. Exit 1 when the agent is unreachable.
`;

export async function statusCommand(args: string[]): Promise<number> {
  const { options } = parseArgs(args, ['help', 'json']);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const [status] = (await call(targetFrom(options), [{ op: 'status' }])) as [StatusResult];
    process.stdout.write(options.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
    return 0;
  } catch (error) {
    process.stderr.write(`till-agent status: ${(error as Error).message}\n`);
    return 1;
  }
}

function formatStorage(s: StatusResult['storage']): string {
  const free = s.free_bytes === null ? '' : `, ${(s.free_bytes / 1048576).toFixed(1)} MB free`;
  return s.state === 'full'
    ? `FULL since ${s.since}${free}: money requests get STORAGE_FULL  → free disk space`
    : `ok${free}`;
}

export function formatStatus(s: StatusResult): string {
  const up = s.uplink;
  const oldest = s.outbox.oldest_age_s === null ? '-' : `${s.outbox.oldest_age_s} s`;
  const devices = s.devices.length === 0
    ? 'none configured'
    : (s.devices as Array<{ name: string; state: string }>).map((d) => `${d.name}: ${d.state}`).join(', ');
  return [
    `till-agent ${s.version}, terminal ${s.terminal}`,
    `uplink   ${up.state}${up.since ? ` since ${up.since}` : ''}${up.last_error ? ` (last error: ${up.last_error})` : ''}`,
    `outbox   ${s.outbox.pending} pending (oldest ${oldest}), ${s.outbox.dead} dead${s.outbox.dead > 0 ? '  → till-agent outbox list' : ''}`,
    `storage  ${formatStorage(s.storage)}`,
    `devices  ${devices}`,
  ].join('\n') + '\n';
}
