// The memory release (runtime/release-memory.ts, drivers/native/release_memory.cc, built by
// `npm ci`): the addon collects and trims for real; the agent releases once after start-up (after the
// uplink first comes online, or at the latest deadline), and again after each backlog, once the
// outbox is empty and quiet; never after cancel().
import t from 'tap';
import { checkAddon, releaseAfterBacklogs, releaseAfterStartUp, releaseMemory } from '../../runtime/release-memory.ts';
import type { Logger } from '../../runtime/log.ts';

function fakeLog(): { log: Logger; lines: Array<{ obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const log = { debug: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) } as unknown as Logger;
  return { log, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const thorough of [true, false]) {
  t.test(`releaseMemory (${thorough ? 'thorough, at once' : 'incremental, trimmed later'}): V8 gives back a heap of garbage, glibc trims`, async (t) => {
    let garbage: unknown[] | null = Array.from({ length: 200 }, (_, i) => Array.from({ length: 5000 }, (_, j) => ({ i, j })));
    const grown = process.memoryUsage().heapTotal;
    t.ok(garbage.length > 0);
    garbage = null;
    const alive = setTimeout(() => {}, 5000); // releaseMemory's timer is unref'd: it keeps no process alive
    const result = await releaseMemory({ thorough, trimAfterMs: 500 });
    clearTimeout(alive);
    if (!result.released) return t.fail(`run npm ci (node-gyp builds drivers/native): ${result.reason}`);
    t.type(result.trimmed, 'boolean');
    const after = process.memoryUsage().heapTotal;
    t.ok(after < grown - 20 * 1024 * 1024, `heapTotal ${(grown / 1048576).toFixed(1)} → ${(after / 1048576).toFixed(1)} MiB`);
  });
}

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

t.test('after a backlog: released once the outbox is empty and quiet, not during a trickle or with rows pending', async (t) => {
  const { log, lines } = fakeLog();
  let deliver: ((count: number, pending: () => number) => void) | undefined;
  const release = releaseAfterBacklogs(log, (listener) => { deliver = listener; return () => {}; }, { rows: 1000, quietMs: 30, trimAfterMs: 10 });
  t.teardown(() => release.cancel());
  deliver!(600, () => 0);
  await sleep(60);
  t.same(lines, [], 'fewer rows than a backlog: nothing');
  deliver!(500, () => 10);
  await sleep(60);
  t.same(lines, [], 'rows still pending: nothing');
  deliver!(10, () => 0);
  deliver!(1, () => 0); // one more delivery before the quiet time: the timer starts again
  await sleep(15);
  t.same(lines, [], 'not before the outbox has been quiet for quietMs');
  await sleep(60);
  t.same(lines.map((l) => l.msg), ['memory released after a backlog']);
  deliver!(999, () => 0);
  await sleep(60);
  t.equal(lines.length, 1, 'the count starts again after a release');
});

t.test('after a backlog: cancel stops a pending release', async (t) => {
  const { log, lines } = fakeLog();
  let deliver: ((count: number, pending: () => number) => void) | undefined;
  let unsubscribed = false;
  const release = releaseAfterBacklogs(log, (listener) => { deliver = listener; return () => { unsubscribed = true; }; }, { rows: 10, quietMs: 20, trimAfterMs: 10 });
  deliver!(20, () => 0);
  release.cancel();
  await sleep(60);
  t.same(lines, []);
  t.ok(unsubscribed, 'stops listening to the outbox events');
});

t.test('an addon built from older sources (other exports) is "not usable", not a TypeError in a timer', async (t) => {
  const stale = checkAddon({ release: () => true }, '/x/release_memory.node');
  t.type(stale, Error);
  t.match((stale as Error).message, /out of date.*rebuild/);
  t.type(checkAddon(null, '/x'), Error);
  const fine = { collect: () => {}, trim: () => true };
  t.equal(checkAddon(fine, '/x'), fine);
});
