// Structured JSON logs for the host (stdout; journald picks them up). The host never puts
// identifier values (cards, phones, emails, tokens) in a log line; redaction is a second net.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACT = ['value', '*.value', 'token', '*.token', 'password', '*.password', 'card', '*.card', 'phone', '*.phone', 'email', '*.email'];

export function createHostLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      name: 'till-host',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export function silentHostLogger(): Logger {
  return pino({ level: 'silent' });
}
