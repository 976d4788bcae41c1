// A benchmark stopped by a signal sent to its pid alone (not Ctrl-C at a terminal, which reaches the
// whole process group) ends the processes it started and removes its temp dir (bench/children.ts,
// bench/temp-dir.ts): a broker or agent left behind would run on against a dir that is gone.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Running and not a zombie (a child whose parent died may wait a while to be reaped). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} to the bench's pid: its children ended, its temp dir removed`, async (t) => {
    const scratch = await mkdtemp(join(tmpdir(), 'till-children-test-'));
    t.teardown(() => rm(scratch, { recursive: true, force: true }));
    // .mts: an ES module wherever it lies (top-level await), as the bench's files are in this package.
    const script = join(scratch, 'bench-like.mts');
    writeFileSync(script, [
      `import { spawn } from 'node:child_process';`,
      `import { trackChild } from ${JSON.stringify(join(repo, 'bench/children.ts'))};`,
      `import { withTempDir } from ${JSON.stringify(join(repo, 'bench/temp-dir.ts'))};`,
      `await withTempDir('children-test', async (dir) => {`,
      `  const child = trackChild(spawn('sleep', ['120'], { stdio: 'ignore' }));`,
      `  process.stdout.write(JSON.stringify({ pid: child.pid, dir }) + '\\n');`,
      `  await new Promise(() => {});`,
      `});`,
    ].join('\n'));
    // Its own process group: the signal reaches the bench alone, as kill(1) by pid or timeout(1) sends it.
    const bench = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let sleepPid = 0;
    t.teardown(() => { if (sleepPid && alive(sleepPid)) process.kill(sleepPid, 'SIGKILL'); });
    let stderr = '';
    bench.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const started = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      let out = '';
      bench.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve(JSON.parse(line!) as { pid: number; dir: string });
      });
      bench.once('exit', (code) => reject(new Error(`bench-like script exited (${code}) before starting its child: ${stderr}`)));
    });
    sleepPid = started.pid;
    t.ok(alive(sleepPid), 'the child runs');
    t.ok(existsSync(started.dir), 'the temp dir exists');
    const exited = new Promise<number | null>((resolve) => bench.once('exit', (code) => resolve(code)));
    process.kill(bench.pid!, signal);
    t.equal(await exited, signal === 'SIGINT' ? 130 : 143, 'the bench exits with its signal code');
    t.notOk(alive(sleepPid), 'the child was ended with it');
    t.notOk(existsSync(started.dir), 'the temp dir is gone');
  });
}
