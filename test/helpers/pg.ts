// PostgreSQL for tests: the development machine's server (127.0.0.1:5432, database `test`,
// trust auth, user postgres; .ci/run makes sure one runs), each test in its own schema, dropped
// at teardown. TILL_TEST_PG_URL points elsewhere.
import pg from 'pg';
import { PgLedger } from '../../host/pg/pg-ledger.ts';

export const TEST_PG_URL = process.env.TILL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface T { teardown(fn: () => unknown): void }

let counter = 0;

/** A fresh schema name, dropped (with everything in it) when the test ends. */
export function pgTestSchema(t: T): string {
  const schema = `t_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
  return schema;
}

/** A PostgreSQL ledger in its own schema, closed and dropped at teardown. */
export function pgTestLedger(t: T): { ledger: PgLedger; schema: string } {
  const schema = pgTestSchema(t);
  const ledger = PgLedger.open({ url: TEST_PG_URL, schema });
  t.teardown(() => ledger.close());
  return { ledger, schema };
}

/** Runs a query on the test server (outside any host), e.g. to read a schema's entries. */
export async function pgQuery<R>(schema: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    return (await client.query(sql, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/**
 * A login role of its own (no right to create schemas: not a superuser, no CREATE on the
 * database), dropped with what it owns when the test ends. Returns its name and TEST_PG_URL as it.
 */
export async function pgTestRole(t: T): Promise<{ role: string; url: string }> {
  const role = `till_role_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE ROLE "${role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  t.teardown(() => admin(`DROP OWNED BY "${role}" CASCADE; DROP ROLE "${role}"`));
  const url = new URL(TEST_PG_URL);
  url.username = role;
  return { role, url: url.toString() };
}
