// The host's ledger-level behaviour tests (SQLite by default) again on the PostgreSQL store, in one
// process: every test still gets a schema of its own, dropped after it (test/helpers/pg.ts). One
// process per group instead of one per file saves starting tap, tsx and the host modules each time;
// two groups (this one and service-behaviour.test.ts) keep each file well under tap's per-file
// timeout and let them run side by side.
// TILL_TEST_HOST_STORE is read when host-fixtures.ts is first imported, so it is set before.
process.env.TILL_TEST_HOST_STORE = 'postgres';
const { TEST_STORE } = await import('../../helpers/host-fixtures.ts');
if (TEST_STORE !== 'postgres') throw new Error('host-fixtures.ts was loaded before TILL_TEST_HOST_STORE was set');

await import('../backends/ledger-backend.test.ts');
await import('../chain.test.ts');
await import('../queued-award.test.ts');
await import('../sale-spend.test.ts');
await import('../wallet-limit.test.ts');
