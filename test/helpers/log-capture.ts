// The agent's JSON logger writing into an array, for tests that check what gets logged.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../runtime/log.ts';

export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'debug' }, sink), lines };
}
