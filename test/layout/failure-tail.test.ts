// A failed test prints the end of its till-agent processes' logs (test/helpers/processes.ts): in CI
// the temp dirs are gone afterwards, and a flake is otherwise left with no clue. Passing tests print nothing.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failureTail, startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

// A stand-in for till-agent: 200 JSON lines, then it waits to be killed.
async function chatty(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await tempDir(t, 'failure-tail-');
  const bin = join(dir, 'chatty.js');
  await writeFile(bin, `for (let i = 0; i < 200; i++) console.log(JSON.stringify({ level: 30, msg: 'line ' + i }));\nsetInterval(() => {}, 1000);\n`);
  return bin;
}

async function runAndTearDown(bin: string, passing: boolean): Promise<string> {
  const teardowns: Array<() => unknown> = [];
  const fake = { teardown: (fn: () => unknown) => void teardowns.push(fn), passing: () => passing };
  const proc = startProcess(fake, ['run', '--config', 'x.yaml'], {}, bin);
  await proc.waitForLog((l) => l.msg === 'line 199', 'the last line');
  const write = process.stderr.write;
  let printed = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { printed += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    for (const fn of teardowns) await fn();
  } finally {
    process.stderr.write = write;
  }
  const exit = await proc.exited;
  t.equal(exit.signal, 'SIGKILL', 'the process was killed at teardown');
  return printed;
}

t.test('a failed test prints the last lines of each process it started', async (t) => {
  const printed = await runAndTearDown(await chatty(t), false);
  t.match(printed, /^--- till-agent run --config x\.yaml \(pid \d+\): last lines of its output, the test failed ---\n/);
  t.match(printed, /"msg":"line 199"\}\n--- end ---\n$/, 'up to the last line');
  t.match(printed, /"msg":"line 120"/, 'the last 80 lines');
  t.notMatch(printed, /"msg":"line 119"/, 'not more');
});

t.test('a passing test prints nothing', async (t) => {
  t.equal(await runAndTearDown(await chatty(t), true), '');
});

t.test('the tail is bounded in characters too', async (t) => {
  const long = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(5000)).join('\n');
  const tail = failureTail(['host'], 7, long);
  t.ok(tail.length < 16_200, `${tail.length} characters`);
  t.match(tail, /9{5000}\n--- end ---\n$/);
});
