// test/host/two-hosts.test.ts with both host processes on one PostgreSQL schema: four tills
// awarding the same two customers through two hosts at once (serialization conflicts re-run).
process.env.TILL_TEST_HOST_STORE = 'postgres';
await import('../two-hosts.test.ts');
