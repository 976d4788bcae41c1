// `till-agent status`: what the running agent says about itself, for humans or --json.
import type { StatusResult } from '../../protocol/local.ts';
import { CONNECTION_FLAGS, CONNECTION_HELP, call, connectionFrom, targetFrom } from '../cli-client.ts';
import { parseFlags } from './args.ts';
import { field, print, printError, safeJson } from './output.ts';

const HELP = `till-agent status [--config FILE | --data DIR | --socket PATH | --tcp HOST:PORT] [--json]

Asks the running agent (over its local socket) for uplink state, outbox depth,
oldest pending age, dead letters and devices. Exit 1 when the agent is unreachable.

${CONNECTION_HELP}`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, { ...CONNECTION_FLAGS, json: { type: 'boolean' } });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const connection = connectionFrom(options);
  try {
    const [status] = (await call(targetFrom(connection), [{ op: 'status' }])) as [StatusResult];
    print(options.json ? safeJson(status, 2) + '\n' : formatStatus(status));
    return 0;
  } catch (error) {
    printError(`till-agent status: ${(error as Error).message}\n`);
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
    : (s.devices as Array<{ name: string; state: string }>).map((d) => `${field(d.name)}: ${field(d.state)}`).join(', ');
  return [
    `till-agent ${field(s.version)}, terminal ${field(s.terminal)}`,
    `uplink   ${field(up.state)}${up.since ? ` since ${field(up.since)}` : ''}${up.last_error ? ` (last error: ${field(up.last_error)})` : ''}`,
    `outbox   ${s.outbox.pending} pending (oldest ${oldest}), ${s.outbox.dead} dead${s.outbox.dead > 0 ? '  → till-agent outbox list' : ''}`,
    `storage  ${formatStorage(s.storage)}`,
    `devices  ${devices}`,
  ].join('\n') + '\n';
}
