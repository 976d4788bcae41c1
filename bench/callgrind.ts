// Exact instruction counts of a process under valgrind's callgrind (load-independent, unlike CPU
// time on a shared machine): the process starts with instrumentation off, the bench switches it on
// around the measured work, dumps and reads the total (all threads, user space only: JIT compiles
// and GC included, the kernel's work not).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * How long a POS client waits for each answer from an agent under callgrind: seconds on a busy machine
 * (a dump, a full collection), which is no failure (connectPos's default is 5 s).
 */
export const CALLGRIND_ANSWER_TIMEOUT_MS = 120_000;

/** valgrind's command line for spawnTill's wrapper, dumping to `outFile` (and `outFile.N`). */
export function callgrindWrapper(outFile: string): string[] {
  // V8 rewrites its JIT code in place: all-non-file makes valgrind notice.
  return ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${outFile}`];
}

export function instrumentation(pid: number, on: boolean): void {
  execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(pid)], { stdio: 'ignore' });
}

export interface Dump {
  /** Instructions, all threads. */
  total: number;
  /**
   * Of which V8's concurrent TurboFan jobs (OptimizingCompileDispatcher, on its worker threads): they
   * still run thousands of awards into a run, 100–200 k instructions an award from run to run of one
   * tree, so compare `total - compile` between trees.
   */
  compile: number;
  /**
   * Of which V8's major GC on its worker threads (concurrent marking, sweeping): a full collection
   * falls into a run's window or not (129 k + 51 k an online award when it does), so compare
   * `total - compile - majorGc` too. The main thread's share of a full collection stays counted.
   */
  majorGc: number;
  /**
   * Of which Node worker threads (node::worker::Worker::Run): the outbox's WAL checkpoint worker
   * (runtime/wal-checkpointer.ts), started at the first checkpoint due after a commit, so in a drain
   * measured from the broker's return, with its start (~230 M instructions: a Node environment) in it.
   */
  workers: number;
}

/** Dumps the counters since instrumentation was switched on (or the last dump). */
export function dump(pid: number, outFile: string): Dump {
  const before = new Set(dumps(outFile));
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const fresh = dumps(outFile).filter((f) => !before.has(f));
  if (fresh.length !== 1) throw new Error(`bench: callgrind: expected one new dump, found ${fresh.length}`);
  const text = readFileSync(fresh[0]!, 'utf8');
  const m = /^(?:totals|summary): (\d+)/m.exec(text);
  if (!m) throw new Error(`bench: callgrind: no total in ${fresh[0]}`);
  const inclusive = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', fresh[0]!], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const inclusiveOf = (fn: string): number => {
    const c = new RegExp(`^\\s*([\\d,]+) .*${fn}`, 'm').exec(inclusive);
    return c ? Number(c[1]!.replaceAll(',', '')) : 0;
  };
  return {
    total: Number(m[1]),
    compile: inclusiveOf('OptimizingCompileDispatcher::CompileTask::RunInternal'),
    majorGc: inclusiveOf('ConcurrentMarking::JobTaskMajor::Run') + inclusiveOf('Sweeper::SweeperJob::Run'),
    workers: inclusiveOf('node::worker::Worker::Run\\(\\)'),
  };
}

function dumps(outFile: string): string[] {
  const name = basename(outFile);
  return readdirSync(dirname(outFile)).filter((f) => f.startsWith(name)).map((f) => join(dirname(outFile), f));
}
