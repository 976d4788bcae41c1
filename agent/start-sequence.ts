// The daemon's start and stop as one sequence. Each start step that opened or started something
// registers how to undo it, once it has succeeded; a start that fails part way undoes what had
// started, and stop() undoes everything, both newest first. An undo that fails is logged and the
// others still run: a stop must not leave the database open because a listener would not close.
import type { Logger } from '../runtime/log.ts';

export class StartSequence {
  private readonly undos: Array<{ name: string; undo: () => unknown }> = [];
  private unwinding: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  /** `name` has started; `undo` stops or closes it. */
  started(name: string, undo: () => unknown): void {
    if (this.unwinding) throw new Error(`${name} started after the sequence was undone`);
    this.undos.push({ name, undo });
  }

  /** What has started, oldest first (for tests and logs). */
  get names(): string[] {
    return this.undos.map((u) => u.name);
  }

  /** Undo everything that started, newest first; the same promise on every call. */
  unwind(): Promise<void> {
    return (this.unwinding ??= (async () => {
      for (const { name, undo } of this.undos.splice(0).reverse()) {
        // The last of these before "stop took too long" names what a slow stop waited on.
        this.log.debug({ step: name }, 'stopping a part of the agent');
        try {
          await undo();
        } catch (error) {
          this.log.error({ err: error, step: name }, 'could not stop a part of the agent; stopping the rest');
        }
      }
    })());
  }

  /** Runs `start`; if it throws, undoes what had started and rethrows its error. */
  async run<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (error) {
      await this.unwind();
      throw error;
    }
  }
}
