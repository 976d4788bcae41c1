// A blocking pause, for the few synchronous paths that must wait and retry (SQLite's open, a
// PostgreSQL transaction's retry): the event loop is theirs anyway until they return.
const pause = new Int32Array(new SharedArrayBuffer(4));

export function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}
