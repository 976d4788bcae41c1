// The host service's behaviour tests (SQLite by default) again on the PostgreSQL store, in one
// process, each test in a schema of its own (see ledger-behaviour.test.ts for why two groups).
// TILL_TEST_HOST_STORE is read when host-fixtures.ts is first imported, so it is set before.
process.env.TILL_TEST_HOST_STORE = 'postgres';
const { TEST_STORE } = await import('../../helpers/host-fixtures.ts');
if (TEST_STORE !== 'postgres') throw new Error('host-fixtures.ts was loaded before TILL_TEST_HOST_STORE was set');

await import('../service.test.ts');
// Both host processes on one PostgreSQL schema: four tills awarding the same two customers
// through two hosts at once (serialization conflicts re-run).
await import('../two-hosts.test.ts');
