// What a handler logs is written only when its transaction commits. A batch runs more than once
// when one of its messages fails (again with a savepoint per message, service.ts) or when
// PostgreSQL reports a serialization conflict (the whole transaction again, pg-ledger.ts): logged
// as it ran, the first attempt's lines appeared twice, and those of a rolled-back message once
// although nothing of it was kept.
import type { Logger } from '../runtime/log.ts';

/** The log a handler is given (OpContext.log). */
export interface OpLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

interface Line {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

/** Lines held until the transaction they describe commits; a rollback drops the lines written since its mark. */
export class DeferredLog implements OpLog {
  private lines: Line[] = [];

  info(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'info', fields, message });
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.lines.push({ level: 'warn', fields, message });
  }

  /** Where a savepoint starts. */
  mark(): number {
    return this.lines.length;
  }

  /** The savepoint begun at `mark` was rolled back: so are its lines. */
  rollbackTo(mark: number): void {
    this.lines.length = Math.min(mark, this.lines.length);
  }

  /** The transaction committed: its lines go to `log`, in order. */
  flushTo(log: Logger): void {
    const lines = this.lines;
    this.lines = [];
    for (const line of lines) log[line.level](line.fields, line.message);
  }
}
