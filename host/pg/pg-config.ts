// The host config's `postgres` section (with `store: postgres`). The password is never in the
// config text: it comes from password_file or TILL_HOST_PG_PASSWORD (host/store.ts), so a config
// file can be shown or logged whole.
import { z } from 'zod';

function postgresUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a URL like postgres://till_host@db.example:5432/loyalty';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return 'must start with postgres:// or postgresql://';
  if (url.password !== '') return 'must not contain a password: put it in password_file or TILL_HOST_PG_PASSWORD';
  if (url.hostname === '') return 'must name the server: postgres://USER@HOST:PORT/DATABASE';
  if (url.pathname.length <= 1) return 'must name the database: postgres://USER@HOST:PORT/DATABASE';
  return undefined;
}

export const postgresConfigSchema = z.strictObject({
  url: z.string({ error: 'must be postgres://USER@HOST:PORT/DATABASE' }).superRefine((text, ctx) => {
    const problem = postgresUrlProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  password_file: z.string({ error: 'must be a path to a file holding the password' }).min(1).optional(),
  // Every table of the host lives in this schema (created if missing); hosts of one fleet share it.
  schema: z.string({ error: 'must be a schema name' })
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lower-case PostgreSQL identifier (letters, digits, _)' })
    .default('public'),
}, { error: 'must be a mapping' });

export type PostgresConfig = z.output<typeof postgresConfigSchema>;
