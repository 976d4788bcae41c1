// Counts and times the outbox's commits without touching agent/: the Db handed to Outbox
// gets a wrapped transaction(). Only outermost calls are commits (one fsync each); a call
// made while a transaction is open is a savepoint inside it.
import { performance } from 'node:perf_hooks';
import type { Db } from '../agent/storage/db.ts';

export interface CommitCounter {
  /** Duration of each commit, in ms: the event loop is blocked for all of it. */
  readonly durationsMs: number[];
}

export function countCommits(db: Db): CommitCounter {
  const durationsMs: number[] = [];
  const original = db.transaction.bind(db);
  const wrapped: Db['transaction'] = (fn) => {
    const tx = original(fn);
    const timed = <A extends unknown[], R>(run: (...args: A) => R) => (...args: A): R => {
      if (db.inTransaction) return run(...args);
      const start = performance.now();
      try {
        return run(...args);
      } finally {
        durationsMs.push(performance.now() - start);
      }
    };
    return Object.assign(timed(tx), {
      default: timed(tx.default),
      deferred: timed(tx.deferred),
      immediate: timed(tx.immediate),
      exclusive: timed(tx.exclusive),
    });
  };
  db.transaction = wrapped;
  return { durationsMs };
}
