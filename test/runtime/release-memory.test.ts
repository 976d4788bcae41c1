// The memory release after start-up (runtime/release-memory.ts, drivers/native/release_memory.cc,
// built by `npm ci`): the addon collects and trims for real, and the agent's schedule releases once,
// after the uplink first comes online or at the latest deadline, never after cancel().
import t from 'tap';
import { releaseAfterStartUp, releaseMemory } from '../../runtime/release-memory.ts';
import type { Logger } from '../../runtime/log.ts';

function fakeLog(): { log: Logger; lines: Array<{ obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const log = { debug: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as unknown as Logger;
  return { log, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('releaseMemory: V8 gives back a heap of garbage', async (t) => {
  let garbage: unknown[] | null = Array.from({ length: 200 }, (_, i) => Array.from({ length: 5000 }, (_, j) => ({ i, j })));
  const grown = process.memoryUsage().heapTotal;
  t.ok(garbage.length > 0);
  garbage = null;
  const result = releaseMemory();
  if (!result.released) return t.fail(`run npm ci (node-gyp builds drivers/native): ${result.reason}`);
  t.type(result.trimmed, 'boolean');
  t.ok(result.ms >= 0);
  const after = process.memoryUsage().heapTotal;
  t.ok(after < grown - 20 * 1024 * 1024, `heapTotal ${(grown / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB`);
});

t.test('released once, shortly after the uplink first comes online', async (t) => {
  const { log, lines } = fakeLog();
  let online: (() => void) | undefined;
  let unsubscribed = 0;
  const release = releaseAfterStartUp(log, (listener) => { online = listener; return () => { unsubscribed++; }; }, { afterOnlineMs: 20, latestMs: 60_000 });
  t.teardown(() => release.cancel());
  await sleep(40);
  t.same(lines, [], 'nothing before the uplink is online');
  online!();
  online!(); // online again (a reconnect before the timer): still once
  await sleep(80);
  t.same(lines.map((l) => l.msg), ['start-up memory released']);
  t.equal(lines[0]!.obj.released, true);
  t.ok(unsubscribed >= 1, 'stops listening to the uplink');
});

t.test('released at the latest deadline when the uplink never comes online', async (t) => {
  const { log, lines } = fakeLog();
  const release = releaseAfterStartUp(log, () => () => {}, { afterOnlineMs: 10, latestMs: 30 });
  t.teardown(() => release.cancel());
  await sleep(80);
  t.same(lines.map((l) => l.msg), ['start-up memory released']);
});

t.test('cancel (the agent stops first): never released', async (t) => {
  const { log, lines } = fakeLog();
  let online: (() => void) | undefined;
  const release = releaseAfterStartUp(log, (listener) => { online = listener; return () => {}; }, { afterOnlineMs: 10, latestMs: 30 });
  online!();
  release.cancel();
  await sleep(80);
  t.same(lines, []);
});
