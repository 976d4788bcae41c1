// drain-hosts.test.ts with both hosts on one shared PostgreSQL (store: postgres, a schema of
// its own): two host processes, one SIGKILLed mid-drain, every award once and in the till's order.
process.env.TILL_TEST_HOST_STORE = 'postgres';
await import('./drain-hosts.test.ts');
