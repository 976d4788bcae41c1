// The host's behaviour tests (SQLite by default) again on the PostgreSQL store, all in this one
// process: every test still gets a schema of its own, dropped after it (test/helpers/pg.ts). One
// process instead of one per file saves starting tap, tsx and the host modules seven times.
// TILL_TEST_HOST_STORE is read when host-fixtures.ts is first imported, so it is set before.
process.env.TILL_TEST_HOST_STORE = 'postgres';
const { TEST_STORE } = await import('../../helpers/host-fixtures.ts');
if (TEST_STORE !== 'postgres') throw new Error('host-fixtures.ts was loaded before TILL_TEST_HOST_STORE was set');

await import('../backends/ledger-backend.test.ts');
await import('../chain.test.ts');
await import('../queued-award.test.ts');
await import('../sale-spend.test.ts');
await import('../service.test.ts');
await import('../wallet-limit.test.ts');
// Both host processes on one PostgreSQL schema: four tills awarding the same two customers
// through two hosts at once (serialization conflicts re-run).
await import('../two-hosts.test.ts');
