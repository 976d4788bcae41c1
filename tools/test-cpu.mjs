// Measurement only: `npx tap --node-arg=--import=./tools/test-cpu.mjs …` (repeat package.json's
// node-args: --node-arg replaces them) with TEST_CPU_FILE=path. Each test process appends one
// line at exit: file, wall s, own CPU s, CPU s of its reaped children (cutime+cstime; a child
// counts once it has been waited for, with the children it reaped itself).
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const out = process.env.TEST_CPU_FILE;
const TICKS = 100; // USER_HZ on Linux
if (out) {
  process.on('exit', () => {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    const children = (Number(fields[13]) + Number(fields[14])) / TICKS;
    const own = process.cpuUsage();
    const file = relative(process.cwd(), process.argv[1] ?? '?');
    const line = [file, (performance.now() / 1000).toFixed(2), ((own.user + own.system) / 1e6).toFixed(2), children.toFixed(2)];
    appendFileSync(out, line.join('\t') + '\n');
  });
}
