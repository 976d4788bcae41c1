// The tests' port picker (test/helpers/ports.ts) claims a port across processes: two test files
// running at once must never both be handed the same port (one agent then exits EADDRINUSE).
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimPort, freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOOK = fileURLToPath(new URL('../helpers/compiled-ts.mjs', import.meta.url));
const PORTS = fileURLToPath(new URL('../helpers/ports.ts', import.meta.url));
const claimFile = (port: number) => join(tmpdir(), 'till-agent-test-ports', String(port));

/** A port in the picker's range that no process has claimed (the other process claims it first). */
function unclaimedPort(): number {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 5_000);
    if (!existsSync(claimFile(port))) return port;
  }
}

/** Another test process: claims `port`, says so, then waits for stdin to close (or is killed). */
function otherProcess(port: number) {
  const script = `import { claimPort } from ${JSON.stringify(PORTS)};
    console.log(claimPort(${port}) ? 'claimed' : 'refused');
    process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--import', HOOK, '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return { child, said: () => waitFor(() => out.trim() || undefined, { what: 'the other process to claim', timeout: 15_000 }) };
}

t.test('a port another live test process claimed is not handed out; its claim goes with it', async (t) => {
  const other = unclaimedPort();
  const a = otherProcess(other);
  t.equal(await a.said(), 'claimed');
  t.equal(claimPort(other), false, 'held by a live process: refused here');
  a.child.stdin.end();
  await once(a.child, 'exit');
  t.notOk(existsSync(claimFile(other)), 'a process that exits removes its claims');
  t.equal(claimPort(other), true, 'free again: claimed here');
});

t.test('a claim left by a killed process is stale and taken over', async (t) => {
  const port = unclaimedPort();
  const b = otherProcess(port);
  const said = await b.said();
  t.equal(said, 'claimed');
  b.child.kill('SIGKILL');
  await once(b.child, 'exit');
  t.ok(existsSync(claimFile(port)), 'SIGKILL leaves the claim behind');
  t.equal(claimPort(port), true, 'the dead holder\'s claim is taken over');
});

t.test('freePort hands out ports this process claimed', async (t) => {
  const port = await freePort();
  t.ok(existsSync(claimFile(port)), 'its claim file exists while this process runs');
});
