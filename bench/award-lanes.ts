// The offline phase's POS side (process-bench.ts, offline-enqueue.ts): `count` awards over
// `connections` TCP connections, one request in flight on each, every answer checked. The same
// frames as test/helpers/pos-client.ts would send (JSON.stringify of {id, op, params}), but without
// its per-request machinery (a Promise, a timer and a waker per request, every waker re-run on each
// chunk): the POS clients run in the benchmark's process on the same two cores as the agent, and
// with PosClient they used ~100 µs of CPU per award, about half of what the agent used, so they
// capped the figure they were measuring. Nothing on the agent's side changes: same bytes, same
// one-at-a-time pacing per connection, and every answer must be ok with status "queued".
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { awardParams } from './sample-sale.ts';

export interface LaneRun {
  elapsedMs: number;
  /** Answers by award status ("queued" …); an error answer throws instead. */
  statuses: Map<string, number>;
}

const ANSWER_TIMEOUT_MS = 60_000;

/** Awards txn `${prefix}${i}` for i < count, one at a time per connection, over `connections` connections. */
export async function awardLanes(port: number, connections: number, count: number, prefix: string): Promise<LaneRun> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)));
  const statuses = new Map<string, number>();
  let next = 0;
  let done = 0;
  const start = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      let last = performance.now();
      let settled = false;
      const timer = setInterval(() => {
        if (performance.now() - last > ANSWER_TIMEOUT_MS) fail(new Error(`bench: no answer for ${ANSWER_TIMEOUT_MS} ms (${done}/${count} answered)`));
      }, 1000);
      const settle = () => {
        if (settled) return false;
        settled = true;
        clearInterval(timer);
        return true;
      };
      const fail = (error: Error) => { if (settle()) reject(error); };
      const finish = () => { if (settle()) resolve(); };
      sockets.forEach((socket, lane) => {
        let expected = '';
        let buffered = '';
        const send = () => {
          if (next >= count) return;
          const i = next++;
          expected = `a${i}`;
          socket.write(`${JSON.stringify({ id: expected, op: 'award', params: awardParams(`${prefix}${i}`) })}\n`);
        };
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) !== -1) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            const answer = JSON.parse(line) as { id?: unknown; event?: unknown; ok?: boolean; result?: { status?: string }; error?: { code: string; message: string } };
            if ('event' in answer) continue;
            if (answer.id !== expected) return fail(new Error(`bench: lane ${lane}: answer for ${String(answer.id)}, expected ${expected}`));
            if (!answer.ok) return fail(new Error(`bench: award ${expected}: ${answer.error?.code} ${answer.error?.message}`));
            const status = String(answer.result?.status);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            last = performance.now();
            if (++done === count) return finish();
            send();
          }
        });
        socket.on('error', fail);
        socket.on('close', () => { if (done < count) fail(new Error(`bench: lane ${lane} closed after ${done}/${count} answers`)); });
        send();
      });
    });
    return { elapsedMs: performance.now() - start, statuses };
  } finally {
    for (const s of sockets) s.destroy();
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
