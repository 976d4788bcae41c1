// Structured JSON logs on stdout (journald picks them up), for the agent and the host alike.
// Callers never put identifier values (cards, phones, emails, tokens) in a message; redaction by
// key is the second net, with one list for both programs.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { isoNow } from './iso-now.ts';

export type Logger = PinoLogger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Keys whose values never reach a log line: secrets, identifier values, card numbers and track data, contact details. */
export const REDACT = [
  'token', '*.token', 'password', '*.password', 'key', '*.key', 'value', '*.value', 'params.value',
  'pan', '*.pan', 'track', '*.track', 'tracks', '*.tracks', 'card', '*.card', 'data.data',
  'phone', '*.phone', 'email', '*.email',
];

export function createLogger(
  options: { level?: LogLevel; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'till-agent',
      base: { pid: process.pid },
      // pino.stdTimeFunctions.isoTime's text (Date#toISOString per line), kept per millisecond (iso-now.ts).
      timestamp: isoTimestamp,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A log line's `time` field, as pino.stdTimeFunctions.isoTime writes it. */
export function isoTimestamp(): string {
  return `,"time":"${isoNow()}"`;
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
