// test/host/service.test.ts on the PostgreSQL store (its own schema per test, test/helpers/pg.ts).
process.env.TILL_TEST_HOST_STORE = 'postgres';
await import('../service.test.ts');
