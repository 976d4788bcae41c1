// A damaged database as a technician meets it: real files garbled byte-wise, the real
// till-agent process. The agent refuses to start with one line naming the file, the reason and
// `doctor`, exits non-zero and leaves the file as it was; `outbox export` salvages every row
// still readable and names the seq ranges it could not read; doctor says what to do.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli } from '../helpers/cli.ts';
import { filledDatabase, garblePage, indexPages, outboxLeafPages, outboxRootPage } from '../helpers/damaged-db.ts';
import { freePort } from '../helpers/ports.ts';
import { BIN, startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

async function setup(t: Test) {
  const dir = await tempDir(t);
  const data = join(dir, 'data');
  await mkdir(data);
  const config = join(dir, 'config.yaml');
  await writeFile(config, stringify({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: data,
    socket: { tcp: `127.0.0.1:${await freePort()}`, unix: false },
    uplink: { url: `mqtt://127.0.0.1:${await freePort()}` },
  }));
  return { config, db: join(data, 'till-agent.db') };
}

/** Starts `till-agent run` and waits for it to exit (it must not start). */
async function runRefused(t: Test, config: string) {
  const agent = startProcess(t, ['run', '--config', config]);
  // The timer is cleared: left pending, it kept this file's process alive for its 20 s after the last refusal.
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([agent.exited, new Promise<null>((r) => { timer = setTimeout(() => r(null), 20_000); })]);
  clearTimeout(timer);
  if (!exit) t.fail(`the agent started\n${agent.output().slice(-2000)}`);
  return { exit, out: agent.output(), lines: agent.lines() };
}

function checkRefusal(t: Test, r: Awaited<ReturnType<typeof runRefused>>, reason: RegExp) {
  t.equal(r.exit?.code, 4, 'exit status 4: the unit does not restart it (restarting cannot mend the file)');
  const fatal = r.lines.filter((l) => l.level === 'fatal' || l.level === 60);
  t.equal(fatal.length, 1, 'one fatal line');
  t.match(String(fatal[0]?.msg), reason);
  t.match(String(fatal[0]?.msg), /till-agent doctor --config /);
  t.notMatch(r.out, /\n\s+at /, 'no stack trace');
  t.notOk(r.lines.some((l) => /ready/.test(String(l.msg))), 'never ready');
}

t.test('a 0-byte database: refused, not re-created', async (t) => {
  const { config, db } = await setup(t);
  await writeFile(db, '');
  checkRefusal(t, await runRefused(t, config), /till-agent\.db: the database file is empty \(0 bytes\)/);
  t.equal((await stat(db)).size, 0, 'still 0 bytes');
});

t.test('garbled index pages: refused at start; export still gives every row, by state too', async (t) => {
  const { config, db } = await setup(t);
  filledDatabase(db, 300);
  for (const p of indexPages(db)) garblePage(db, p);
  const before = await readFile(db);
  checkRefusal(t, await runRefused(t, config), /the database is damaged \(quick_check: /);
  t.same(await readFile(db), before, 'the file is untouched');

  const all = await cli('outbox', 'export', '--config', config);
  t.equal(all.code, 0, 'the table itself is whole');
  t.equal(all.out.split('\n').filter((l) => l.startsWith('{')).length, 300, `every row\n${all.out.split('\n').filter((l) => !l.startsWith('{')).join('\n')}`);
  const pending = await cli('outbox', 'export', '--state', 'pending', '--config', config);
  const rows = pending.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { txn_id: string; state: string });
  t.equal(rows.length, 150, 'the damaged pending index hides none of them');
  t.ok(rows.every((r) => r.state === 'pending'));

  const doctor = await cli('doctor', '--config', config, '--timeout-ms', '500');
  t.match(doctor.out, /✖ database\s+quick_check: /);
  t.match(doctor.out, /outbox export/);
});

t.test('a garbled table page: export salvages the rows around it and names what it lost', async (t) => {
  const { config, db } = await setup(t);
  filledDatabase(db, 300);
  const leaves = outboxLeafPages(db);
  garblePage(db, leaves[Math.floor(leaves.length / 2)]!);
  checkRefusal(t, await runRefused(t, config), /the database is damaged/);

  const exported = await cli('outbox', 'export', '--config', config);
  t.equal(exported.code, 1, 'exit 1: something was lost');
  const lines = exported.out.split('\n').filter((l) => l.startsWith('{'));
  const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
  const summary = /seq (\d+)-(\d+) unreadable/.exec(exported.out);
  if (!summary) t.fail(`no summary: ${exported.out.slice(-500)}`);
  const [from, to] = [Number(summary![1]), Number(summary![2])];
  t.ok(to - from < 40, 'only one page worth of rows is lost');
  const expected = Array.from({ length: 300 }, (_, i) => i + 1).filter((s) => s < from || s > to);
  t.same(seqs, expected, 'every row outside the damaged page, in order');
  t.ok(seqs.includes(300), 'the rows after the damage too');
});

t.test('a database whose header is garbled: refused; export reads the rows from the pages themselves', async (t) => {
  const { config, db } = await setup(t);
  filledDatabase(db, 20);
  garblePage(db, 1);
  checkRefusal(t, await runRefused(t, config), /not a SQLite database/);
  const exported = await cli('outbox', 'export', '--config', config);
  t.equal(exported.code, 1);
  t.match(exported.out, /is damaged: 20 row\(s\) exported; 20 of them read from the file's pages directly .*stopped: SQLite cannot read the outbox table/);
  const rows = exported.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(rows.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1), 'every row, in order');
  t.match(rows[1], { id: 'msg-2', op: 'award', txn_id: 'sale-2', state: 'done', result: { award_amount: 1 }, payload: { basket: { total: 2 } }, recovered_from_page: Number });
  await waitFor(async () => (await cli('doctor', '--config', config, '--timeout-ms', '500')).out.includes('✖ database'), { what: 'doctor flags the database' });
});

t.test('the table\'s root page garbled: SQLite reaches no row; every row is read from the leaf pages', async (t) => {
  const { config, db } = await setup(t);
  filledDatabase(db, 300);
  garblePage(db, outboxRootPage(db));
  const exported = await cli('outbox', 'export', '--state', 'pending', '--config', config);
  t.equal(exported.code, 1);
  const rows = exported.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { seq: number; state: string });
  t.same(rows.map((r) => r.seq), Array.from({ length: 150 }, (_, i) => 2 * i + 1), 'every pending row (the odd seqs)');
  t.notMatch(exported.out, /unreadable/, 'nothing is missing');
  t.match(exported.out, /is damaged: 150 row\(s\) exported; 150 of them read from the file's pages directly/);
});

t.test('a large export read slowly through a pipe is complete (stdout is flushed before exit)', async (t) => {
  const { config, db } = await setup(t);
  filledDatabase(db, 3000);
  const child = spawn(process.execPath, [BIN, 'outbox', 'export', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.pause(); // a slow reader: the pipe fills and the writer has to wait
  const exited = new Promise((r) => child.once('close', r));
  // Read nothing until the export has printed every row (one synchronous pass) and waits in its
  // event loop with the rest of its output queued behind the full pipe: it has written more than
  // the rows before it (nothing) and its main thread sleeps in epoll (Linux /proc).
  const pid = child.pid!;
  const written = () => Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  const waiting = await waitFor(() => {
    if (child.exitCode !== null) return 'exited';
    return written() >= 16 * 1024 && /^(do_epoll_wait|ep_poll)$/.test(readFileSync(`/proc/${pid}/wchan`, 'utf8')) ? 'waiting' : undefined;
  }, { what: 'the export waiting on a full pipe', timeout: 60_000, interval: 10 });
  t.equal(waiting, 'waiting', 'the export is waiting to write the rest, not exited');
  const before = written();
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stdout.resume();
  const code = await exited;
  t.equal(code, 0);
  t.equal(out.split('\n').filter((l) => l.startsWith('{')).length, 3000);
  t.ok(before < Buffer.byteLength(out), `output was still queued when reading began (${before} of ${Buffer.byteLength(out)} bytes written)`);
});
