// Hosts sharing one SQLite ledger file may start at the same moment on a fresh file (a fleet's
// first start, two-hosts.test.ts): every one must open it. Three real processes open the same
// fresh file at once, round after round. Without runtime/enter-wal.ts about 1 open in 8 failed
// with SQLITE_BUSY (switching to WAL: SQLite skips the busy handler there) and that host exited.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.ts';

const ROUNDS = 40;
const PROCESSES = 3;

t.test('processes opening one fresh ledger file at once all open it', async (t) => {
  const dir = await tempDir(t, 'till-ledger-open-');
  const script = join(dir, 'opener.mjs'); // JavaScript: only the module under test is TypeScript
  const module = fileURLToPath(new URL('../../host/ledger.ts', import.meta.url));
  // Each child opens the file named on a stdin line the moment it arrives, then answers.
  writeFileSync(script, `
    import { createInterface } from 'node:readline';
    import { SqliteLedger } from ${JSON.stringify(module)};
    console.log('ready');
    for await (const file of createInterface({ input: process.stdin })) {
      try { SqliteLedger.open(file).close(); console.log('ok'); }
      catch (error) { console.log('failed ' + error.code + ' ' + error.message); }
    }
  `);
  const children = Array.from({ length: PROCESSES }, () => {
    const child = spawn(process.execPath, ['--import', fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url)), script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'],
    });
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`child exited (${child.exitCode})`);
      return line.value;
    };
    return { child, next };
  });
  t.same(await Promise.all(children.map((c) => c.next())), children.map(() => 'ready'), 'children started');

  const failures: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const file = join(dir, `ledger-${round}.sqlite`);
    for (const c of children) c.child.stdin.write(`${file}\n`);
    const answers = await Promise.all(children.map((c) => c.next()));
    failures.push(...answers.filter((a) => a !== 'ok').map((a) => `round ${round}: ${a}`));
  }
  for (const c of children) c.child.stdin.end();
  t.same(failures, [], `${ROUNDS * PROCESSES} opens, none failed`);
});
