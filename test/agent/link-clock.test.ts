// The offline age behind offline.max_age_s: a wall-clock step can neither reset nor shorten it.
import t from 'tap';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../agent/storage/db.ts';
import { LinkClock, systemClock, type ClockSources } from '../../agent/upstream/link-clock.ts';
import { silentLogger } from '../../runtime/log.ts';
import { tempDir } from '../helpers/tmp.ts';

const H = 3600_000;

function fakeClock() {
  const c = { wall: Date.parse('2026-11-30T08:00:00Z'), boot: 1000 * H, id: 'boot-1' };
  const sources: ClockSources = { wallMs: () => c.wall, bootMs: () => c.boot, bootId: () => c.id };
  /** Real time passes: both clocks move. */
  const pass = (ms: number) => { c.wall += ms; c.boot += ms; };
  return { c, sources, pass };
}

async function dbFile(t: { teardown(fn: () => unknown): void }) {
  return join(await tempDir(t, 'till-link-clock-'), 'till-agent.db');
}

t.test('a wall clock stepped back or forward does not move the offline age', async (t) => {
  const file = await dbFile(t);
  const { db } = openDatabase(file);
  t.teardown(() => db.close());
  const { c, sources, pass } = fakeClock();
  const clock = new LinkClock(db, silentLogger(), sources);
  clock.setOnline(true);
  pass(10 * H);
  t.equal(clock.ageMs(), 0, 'online: 0');
  const confirmedAt = clock.confirmedAt;
  clock.setOnline(false);
  pass(20 * H);
  t.equal(clock.ageMs(), 20 * H);
  c.wall -= 48 * H; // NTP or an operator steps the clock two days back
  t.equal(clock.ageMs(), 20 * H, 'a backward step does not shorten it');
  c.wall += 96 * H;
  t.equal(clock.ageMs(), 20 * H, 'a forward step does not lengthen it');
  t.not(clock.confirmedAt, confirmedAt, 'confirmed again when the link went down');
});

t.test('a restart on the same boot goes on from the same anchor; a reboot from the last checkpoint', async (t) => {
  const file = await dbFile(t);
  const { c, sources, pass } = fakeClock();
  {
    const { db } = openDatabase(file);
    const clock = new LinkClock(db, silentLogger(), sources);
    clock.setOnline(true);
    clock.setOnline(false);
    pass(5 * H);
    clock.stop(); // checkpoint: 5 h
    db.close();
  }
  pass(1 * H);
  c.wall -= 72 * H; // and the wall clock went back three days meanwhile
  {
    const { db } = openDatabase(file);
    const clock = new LinkClock(db, silentLogger(), sources);
    t.equal(clock.ageMs(), 6 * H, 'same boot: the boot clock counts on, the wall clock is not used');
    clock.stop(); // checkpoint: 6 h
    db.close();
  }
  // Reboot: the boot clock starts again; the wall clock says 2 h passed (since the checkpoint).
  c.id = 'boot-2';
  c.boot = 60_000;
  c.wall += 2 * H;
  {
    const { db } = openDatabase(file);
    const clock = new LinkClock(db, silentLogger(), sources);
    t.equal(clock.ageMs(), 8 * H, 'after a reboot: checkpoint + wall time since it');
    clock.stop();
    db.close();
  }
  // Reboot with the wall clock before the checkpoint (a dead RTC battery): never below the checkpoint.
  c.id = 'boot-3';
  c.boot = 30_000;
  c.wall -= 10 * 24 * H;
  {
    const { db } = openDatabase(file);
    t.teardown(() => db.close());
    const clock = new LinkClock(db, silentLogger(), sources);
    t.equal(clock.ageMs(), 8 * H, 'a clock behind the checkpoint counts as no time');
    pass(H);
    t.equal(clock.ageMs(), 9 * H, 'then the boot clock counts on');
    clock.setOnline(true);
    t.equal(clock.ageMs(), 0);
  }
});

t.test('never confirmed: counted from the first start', async (t) => {
  const { db } = openDatabase(await dbFile(t));
  t.teardown(() => db.close());
  const { sources, pass } = fakeClock();
  const clock = new LinkClock(db, silentLogger(), sources);
  pass(90_000);
  t.equal(clock.ageMs(), 90_000);
  t.equal(clock.confirmedAt, null);
});

t.test('the system boot clock reads /proc/uptime, again and again through one descriptor', { skip: process.platform !== 'linux' }, async (t) => {
  const clock = systemClock();
  const read = () => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000);
  const before = read();
  const first = clock.bootMs();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const second = clock.bootMs();
  const after = read();
  t.ok(first >= before - 10 && first <= after + 10, `boot clock ${first} within /proc/uptime's ${before}..${after}`);
  t.ok(second >= first + 20, `the second read is fresh, not the first one cached (${first} → ${second})`);
  t.ok(second <= after + 10);
  const uptimeFds = () => readdirSync('/proc/self/fd').filter((fd) => {
    try { return readlinkSync(`/proc/self/fd/${fd}`) === '/proc/uptime'; } catch { return false; }
  }).length;
  t.equal(uptimeFds(), 1, 'one descriptor while in use');
  clock.close();
  t.equal(uptimeFds(), 0, 'close() leaves none open (the agent\'s stop)');
  t.ok(clock.bootMs() >= second, 'reading again after close reopens it');
  clock.close();
});
