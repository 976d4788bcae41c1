// `till-agent status`: what the running agent says about itself, for humans or --json.
import { describeOffset } from '../../agent/till-clock.ts';
import type { StatusResult } from '../../protocol/local.ts';
import { formatMoney } from '../../protocol/money.ts';
import { CONNECTION_FLAGS, CONNECTION_HELP, call, connectionFrom, openSession, targetFrom, warnIfAnotherTill, type AgentSession, type Connection } from '../client.ts';
import type { PrinterStatusReport } from '../../drivers/types.ts';
import { UsageError, parseFlags } from './args.ts';
import { deviceStates, duration, watch } from './status-watch.ts';
import { field, print, printError, safeJson } from './output.ts';

const HELP = `till-agent status [--config FILE | --data DIR | --socket PATH | --tcp HOST:PORT] [--json] [--watch [--interval S]]

Asks the running agent (over its local socket) for uplink state, outbox depth,
oldest pending age, dead letters, host answers it could not read (when there are any)
and devices, and each connected printer for its paper and cover (\`ready but PAPER OUT\`).
Exit 1 when the agent is unreachable.
  --watch        keep watching until Ctrl-C: outbox depth, the age of the oldest
                 message, the drain rate (messages delivered per second over the last
                 10 s) and the time until the outbox is empty at that rate. A terminal
                 gets a screen redrawn in place; a pipe gets one line per sample, and
                 --json one JSON object per line (status + drain {state, rate_per_s, eta_s}).
  --interval S   seconds between samples (default 1, from 0.2 to 3600)

${CONNECTION_HELP}`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values: options } = parseFlags(args, {
    ...CONNECTION_FLAGS, json: { type: 'boolean' }, watch: { type: 'boolean' }, interval: { type: 'string' },
  });
  if (options.help) {
    print(HELP);
    return 0;
  }
  const connection = connectionFrom(options);
  if (options.interval !== undefined && !options.watch) throw new UsageError('--interval goes with --watch');
  if (options.watch) {
    const interval = options.interval === undefined ? 1 : Number(options.interval);
    if (!(interval >= 0.2 && interval <= 3600)) throw new UsageError('--interval must be a number of seconds from 0.2 to 3600');
    return watchCommand(connection, interval, options.json ? 'json' : process.stdout.isTTY ? 'screen' : 'lines');
  }
  try {
    const target = targetFrom(connection);
    if (options.json) {
      const [status] = (await call(target, [{ op: 'status' }], undefined, (hello) => warnIfAnotherTill('status', target, hello))) as [StatusResult];
      print(safeJson(status, 2) + '\n');
      return 0;
    }
    const session = await openSession(target);
    try {
      warnIfAnotherTill('status', target, session.hello);
      const answer = await session.request('status');
      if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
      const status = answer.result as StatusResult;
      print(formatStatus(status, await printerProblems(session, status.devices)));
    } finally {
      session.close();
    }
    return 0;
  } catch (error) {
    printError(`till-agent status: ${(error as Error).message}\n`);
    return 1;
  }
}

/**
 * What each connected printer reports that keeps it from printing (paper out, cover open, …), asked of
 * the agent (printer.status, as doctor does): its devices list says only whether the link is up, so a
 * printer out of paper showed `ready` to the technician reading `status` first. Not under --watch,
 * which would ask every printer every second; a printer that cannot say (a device file) adds nothing.
 */
async function printerProblems(session: AgentSession, devices: StatusResult['devices']): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  for (const d of devices as Array<{ name: string; kind: string; state: string }>) {
    if (d.kind !== 'printer' || d.state !== 'ready') continue;
    const answer = await session.request('printer.status', { printer: d.name }).catch(() => undefined);
    const report = answer?.ok ? answer.result as PrinterStatusReport : undefined;
    const st = report?.checked ? report.status : undefined;
    if (!st) continue;
    const found = [st.paper_out && 'PAPER OUT', st.cover_open && 'COVER OPEN', st.error && 'PRINTER ERROR', !st.online && !st.paper_out && !st.cover_open && 'NOT ONLINE',
      !st.paper_out && st.paper_near_end && 'paper near end'].filter((x): x is string => typeof x === 'string');
    if (found.length > 0) problems.set(d.name, found.join(', '));
  }
  return problems;
}

function formatStorage(s: StatusResult['storage']): string {
  const free = s.free_bytes === null ? '' : `, ${(s.free_bytes / 1048576).toFixed(1)} MB free`;
  return s.state === 'full'
    ? `FULL since ${s.since}${free}: money requests get STORAGE_FULL  → free disk space`
    : `ok${free}`;
}

// Only a disagreement is worth a technician's eye: then how far, and what to check.
function formatClock(c: NonNullable<StatusResult['clock']>): string {
  if (c.state === 'synced') return 'ok';
  if (c.state === 'unconfirmed') return `unconfirmed: the wall clock (${field(c.wall)}) is ahead of the last trusted time (${field(c.trusted)}); the host's next answer tells`;
  const by = c.jump ? `${describeOffset(c.jump.offset_ms)} the ${c.jump.source === 'host' ? "host's clock" : 'trusted time'}` : 'off';
  return `JUMPED: the wall clock is ${by}; the agent keeps to the trusted time (${field(c.trusted)})  → check NTP: timedatectl`;
}

// What the till approved offline and the host has not confirmed yet, against its limits, and how
// long it has been offline: the technician asked why a spend was declined sees which limit it met.
function formatOffline(o: NonNullable<StatusResult['offline']>): string {
  // In the currency's own decimals (12.34 EUR, 1500 JPY): minor units are for programs, not for the
  // technician. total_spend_limit is per currency, so each held amount is shown against it in its own.
  const amounts = o.amounts
    .map((m) => `${field(formatMoney(m))} of ${field(formatMoney({ amount: o.limits.total_spend_limit, currency: m.currency }))}`)
    .join(', ');
  const held = o.count === 0
    ? 'no spends awaiting the host'
    : `${o.count} of ${o.limits.total_spend_count} spends awaiting the host: ${amounts} (since ${field(o.since ?? '-')})`;
  const link = o.offline_age_s > 0 ? `; no link for ${duration(o.offline_age_s)} of ${duration(o.limits.max_age_s)}` : '';
  const full = o.count >= o.limits.total_spend_count || o.amounts.some((m) => m.amount >= o.limits.total_spend_limit) || o.offline_age_s > o.limits.max_age_s;
  return `${held}${link}${full ? '  → offline spend is declined until the link is back' : ''}`;
}

async function watchCommand(connection: Connection, intervalS: number, mode: 'screen' | 'lines' | 'json'): Promise<number> {
  let session;
  try {
    const target = targetFrom(connection);
    session = await openSession(target);
    warnIfAnotherTill('status', target, session.hello);
  } catch (error) {
    printError(`till-agent status: ${(error as Error).message}\n`);
    return 1;
  }
  let onSignal = () => {};
  const stop = new Promise<void>((resolve) => { onSignal = resolve; });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const code = await watch(session, intervalS, stop, mode);
    if (code !== 0) printError('till-agent status: the agent closed the connection\n');
    return code;
  } catch (error) {
    printError(`till-agent status: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    session.close();
  }
}

/** `printers`: what a connected printer reports (printerProblems), by name. */
export function formatStatus(s: StatusResult, printers: ReadonlyMap<string, string> = new Map()): string {
  const up = s.uplink;
  const oldest = s.outbox.oldest_age_s === null ? '-' : `${s.outbox.oldest_age_s} s`;
  const devices = deviceStates(s.devices, printers);
  return [
    `till-agent ${field(s.version)}, terminal ${field(s.terminal)}`,
    `uplink   ${field(up.state)}${up.since ? ` since ${field(up.since)}` : ''}${up.last_error ? ` (last error: ${field(up.last_error)})` : ''}`,
    `outbox   ${s.outbox.pending} pending (oldest ${oldest}), ${s.outbox.dead} dead${s.outbox.dead > 0 ? '  → till-agent outbox list' : ''}`,
    // Answers the host applied but the till could not read (UPSTREAM.md); an older agent does not count them.
    ...(s.outbox.unreadable > 0 ? [`         ${s.outbox.unreadable} host answer(s) unreadable (applied, not resent)  → till-agent outbox list --state done`] : []),
    `storage  ${formatStorage(s.storage)}`,
    `devices  ${devices}`,
    ...(s.clock ? [`clock    ${formatClock(s.clock)}`] : []),
    ...(s.offline ? [`offline  ${formatOffline(s.offline)}`] : []),
  ].join('\n') + '\n';
}
