// Opening the agent's database: created 0600 (with its -wal and -shm), an existing empty or
// damaged file refused (never re-created over), garbled pages found by quick_check at open.
// Real SQLite files damaged byte-wise (test/helpers/damaged-db.ts).
import t from 'tap';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseUnusable, openDatabase, openDb, PAGE_CACHE_KIB } from '../../agent/storage/db.ts';
import { filledDatabase, garblePage, indexPages, outboxLeafPages } from '../helpers/damaged-db.ts';
import { tempDir } from '../helpers/tmp.ts';

function refusal(file: string): DatabaseUnusable {
  try {
    openDatabase(file).db.close();
  } catch (error) {
    if (error instanceof DatabaseUnusable) return error;
    throw error;
  }
  throw new Error(`${file} was opened`);
}

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

t.test('a new database and its -wal and -shm are 0600 whatever the umask', async (t) => {
  const previous = process.umask(0o022);
  t.teardown(() => { process.umask(previous); });
  const file = join(await tempDir(t), 'data', 'till-agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  db.prepare("INSERT INTO meta (key, value) VALUES ('k', 'v')").run();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    t.ok(existsSync(f), `${f} exists`);
    t.equal(mode(f), '600', `${f} is 0600`);
  }
});

t.test('a database an older version left 0644 is made 0600 at open', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  filledDatabase(file, 1);
  chmodSync(file, 0o644);
  openDb(file).close();
  t.equal(mode(file), '600');
});

t.test('an existing 0-byte file is refused and left as it is', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  writeFileSync(file, '');
  t.match(refusal(file).message, /empty \(0 bytes\)/);
  t.equal(statSync(file).size, 0, 'not re-created');
});

t.test('a file that is not a database is refused, not replaced', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const junk = Buffer.alloc(8192, 0x5a);
  writeFileSync(file, junk);
  t.match(refusal(file).message, /not a SQLite database/);
  t.same(readFileSync(file), junk, 'untouched');
});

t.test('garbled index pages: quick_check at open refuses the file', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  filledDatabase(file, 400);
  const pages = indexPages(file);
  t.ok(pages.length > 0);
  for (const p of pages) garblePage(file, p);
  const before = readFileSync(file);
  const refused = refusal(file);
  t.match(refused.message, /damaged \(quick_check: /);
  t.notMatch(refused.message, /\n/, 'one line');
  t.same(readFileSync(file), before, 'the file is not written to');
});

t.test('a garbled table page is refused too', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  filledDatabase(file, 400);
  const leaves = outboxLeafPages(file);
  garblePage(file, leaves[Math.floor(leaves.length / 2)]!);
  t.match(refusal(file).message, /damaged/);
});

t.test('a missing database next to a leftover write-ahead log is not created over it', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'till-agent.db');
  writeFileSync(`${file}-wal`, Buffer.alloc(4096, 1));
  t.match(refusal(file).message, /write-ahead log/);
  t.notOk(existsSync(file));
});

t.test('a healthy database opens again with its rows', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  filledDatabase(file, 10);
  const { db } = openDatabase(file);
  t.equal((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n, 10);
  db.close();
});

t.test('the page cache is bounded to PAGE_CACHE_KIB, not better-sqlite3\'s 16 MB (it stays in the RSS)', async (t) => {
  const file = join(await tempDir(t), 'till-agent.db');
  const db = openDb(file);
  t.teardown(() => db.close());
  t.equal(db.pragma('cache_size', { simple: true }), -PAGE_CACHE_KIB);
  t.ok(PAGE_CACHE_KIB <= 4096, 'a few MiB at most');
});
