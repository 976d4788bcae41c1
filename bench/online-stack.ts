// The online benchmarks' common set-up (online-latency.ts, agent-cpu.ts): a real mosquitto (stock or
// set_tcp_nodelay true), `till-agent host` and `till-agent run` as processes, one POS connection with
// the uplink online, warmed up with `warmup` sequential awards. Stopped again whatever `use` does.
import { connectPos, type PosClient } from '../test/helpers/pos-client.ts';
import { freePort } from '../test/helpers/ports.ts';
import { CALLGRIND_ANSWER_TIMEOUT_MS } from './callgrind.ts';
import { awardStatuses, run, waitUplink } from './drive.ts';
import { createMosquitto, mosquittoDir, type Mosquitto } from './mosquitto.ts';
import { writeConfigs } from './process-bench.ts';
import { awardParams } from './sample-sale.ts';
import { spawnTill, type TillProcess } from './till-process.ts';

export interface OnlineStack {
  broker: Mosquitto;
  host: TillProcess;
  agent: TillProcess;
  /** One award of the sample sale with this txn_id through the POS connection. */
  award(txn: string): ReturnType<PosClient['request']>;
}

export interface OnlineStackOptions {
  nodelay: boolean;
  warmup: number;
  hostNodeArgs?: string[];
  agentNodeArgs?: string[];
  /** A command the agent runs under (valgrind ...). */
  agentWrapper?: string[];
  /** ms to wait once the uplink is up, before the warm-up (suite 4 waits 5 s for its idle RSS: the start-up memory release falls there). */
  settleMs?: number;
  /** Each stdout line of the host / the agent after its ready line (V8's --trace-deopt goes there). */
  hostOnLine?: (line: string) => void;
  agentOnLine?: (line: string) => void;
}

export async function withOnlineStack<T>(parent: string, options: OnlineStackOptions, use: (stack: OnlineStack) => Promise<T>): Promise<T> {
  const dir = await mosquittoDir(parent, options.nodelay ? 'nodelay' : 'stock');
  const broker = await createMosquitto({ dir: await mosquittoDir(dir, 'mosquitto'), nodelay: options.nodelay });
  const posPort = await freePort();
  const files = await writeConfigs(dir, broker.url, posPort);
  const procs: TillProcess[] = [];
  let pos: PosClient | undefined;
  try {
    await broker.start();
    const host = await spawnTill(['host', '--config', files.host], 'host ready', options.hostOnLine, options.hostNodeArgs);
    procs.push(host);
    const agent = await spawnTill(['run', '--config', files.agent], 'till-agent ready', options.agentOnLine, options.agentNodeArgs, options.agentWrapper);
    procs.push(agent);
    pos = await connectPos({ port: posPort }, options.agentWrapper?.length ? { requestTimeoutMs: CALLGRIND_ANSWER_TIMEOUT_MS } : {});
    await waitUplink(pos, true);
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const client = pos;
    const award = (txn: string) => client.request('award', awardParams(txn));
    awardStatuses('warm-up', (await run(options.warmup, 1, (i) => award(`warm-${i}`))).responses, ['awarded', 'queued']);
    return await use({ broker, host, agent, award });
  } finally {
    await pos?.close();
    for (const p of procs.reverse()) await p.stop();
    await broker.stop();
  }
}
