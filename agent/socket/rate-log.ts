// Logs a repeating event as a rate: the first occurrence at once (someone may need to act
// now), then one line per interval with the count, while it keeps happening. A flood of
// failed hellos or refused connections costs a line a minute, not a line each.
import type { Logger } from '../../runtime/log.ts';

export interface RateLogOptions {
  log: Logger;
  msg: string;
  intervalMs: number;
  /** Most keys tracked at once; beyond it new keys are folded into "other". */
  maxKeys?: number;
}

interface Entry {
  fields: Record<string, unknown>;
  count: number;
}

export class RateLog {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RateLogOptions) {}

  hit(key: string, fields: Record<string, unknown> = {}): void {
    const maxKeys = this.options.maxKeys ?? 1000;
    const k = this.entries.has(key) || this.entries.size < maxKeys ? key : 'other';
    const entry = this.entries.get(k);
    if (entry) {
      entry.count++;
      return;
    }
    this.entries.set(k, { fields: k === key ? fields : { other: true }, count: 0 });
    this.options.log.warn({ ...fields, first: true, report_every_s: this.options.intervalMs / 1000 }, this.options.msg);
    this.timer ??= setInterval(() => this.flush(), this.options.intervalMs).unref();
  }

  /** Logs the counts since the last report; keys that were quiet are forgotten. */
  flush(): void {
    const seconds = this.options.intervalMs / 1000;
    for (const [key, entry] of this.entries) {
      if (entry.count === 0) {
        this.entries.delete(key);
        continue;
      }
      this.options.log.warn({ ...entry.fields, count: entry.count, window_s: seconds, per_minute: Math.round((entry.count * 60) / seconds) }, this.options.msg);
      entry.count = 0;
    }
    if (this.entries.size === 0) this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
