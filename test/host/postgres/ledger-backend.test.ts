// test/host/backends/ledger-backend.test.ts on the PostgreSQL store (its own schema per test, test/helpers/pg.ts).
process.env.TILL_TEST_HOST_STORE = 'postgres';
await import('../backends/ledger-backend.test.ts');
