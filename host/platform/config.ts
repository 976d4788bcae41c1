// Config keys every platform connector shares: its base URL, credentials read from the file or
// from a file next to it (never logged), and the retry/breaker settings of platform/http.ts.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_RESILIENCE } from './http.ts';

const ms = (max: number, fallback: number) =>
  z.number({ error: 'must be a number of milliseconds' }).int().min(0).max(max).default(fallback);

export const resilienceSchema = {
  timeout_ms: ms(120_000, DEFAULT_RESILIENCE.timeout_ms).refine((v) => v > 0, { error: 'must be > 0' }),
  retries: z.number({ error: 'must be an integer' }).int().min(0).max(10).default(DEFAULT_RESILIENCE.retries),
  max_delay_ms: ms(60_000, DEFAULT_RESILIENCE.max_delay_ms),
  max_retry_after_ms: ms(60_000, DEFAULT_RESILIENCE.max_retry_after_ms),
  breaker_threshold: z.number({ error: 'must be an integer' }).int().min(1).max(1000).default(DEFAULT_RESILIENCE.breaker_threshold),
  breaker_half_open_ms: ms(600_000, DEFAULT_RESILIENCE.breaker_half_open_ms),
};

export const platformUrl = z
  .string({ error: 'must be an http:// or https:// URL' })
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, { error: 'must be an http:// or https:// URL' })
  // A base URL without its trailing slash would drop its last path segment when joined.
  .transform((v) => (v.endsWith('/') ? v : `${v}/`));

export const secret = (what: string) => z.string({ error: `must be the ${what}` }).min(1, { error: `must be the ${what}` });

/** The value given inline, else the first line of the file (relative to the config's directory). */
export function readSecret(inline: string | undefined, file: string | undefined): string {
  if (inline !== undefined) return inline;
  if (file === undefined) throw new Error('no secret configured');
  return readFileSync(file, 'utf8').split('\n')[0]!.trim();
}
