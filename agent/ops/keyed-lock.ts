// Async work serialised per key (a customer, a products.sync id): a run starts once the previous
// run for the same key has ended, whether it failed or not. Keys run independently of each other.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.tails.set(key, next);
    void next.finally(() => { if (this.tails.get(key) === next) this.tails.delete(key); }).catch(() => undefined);
    return next;
  }

  /** Keys with work queued or running (0 when idle: nothing is kept per key). */
  get size(): number {
    return this.tails.size;
  }
}
