// What a PostgreSQL error at open means for the operator: the same message, plus the config key to
// look at (host --doctor's store line, the start failure, the wait for PostgreSQL). The SQLSTATE is
// kept, so a server that cannot be reached is still waited for (sync-pg.ts isUnreachableError).
import { PgError, isUnreachableError } from './sync-pg.ts';

const PASSWORD_KEYS = 'postgres.password_file, else TILL_HOST_PG_PASSWORD';

/** The error with the key to check named; anything but a PgError is returned as it is. */
export function explainPgError(error: unknown, schema: string): unknown {
  if (!(error instanceof PgError)) return error;
  const { message, code } = error;
  // pg's own words when the server asks for a password and the host has none (no code of its own).
  if (/client password must be a (non-empty )?string|no password supplied/i.test(message)) {
    return new PgError(`the server asks for a password and none is set (${PASSWORD_KEYS})`, '28P01');
  }
  if (message.startsWith('postgres.')) return error; // already names its key (pg-schema.ts)
  const hint = code === '28P01' ? `check the password: ${PASSWORD_KEYS}`
    : code === '28000' ? "check the user in postgres.url and the server's pg_hba.conf"
      : code === '3D000' ? 'check the database in postgres.url'
        // 3F000: search_path names a schema the role may not use ("no schema has been selected to create in").
        : code === '42501' || code === '3F000' ? `the user in postgres.url needs USAGE and CREATE on schema ${schema} (postgres.schema), or to own it`
          : isUnreachableError(error) ? 'check postgres.url: is the server up and reachable from here?'
            : undefined;
  return hint === undefined ? error : new PgError(`${message} (${hint})`, code, error.detail);
}
