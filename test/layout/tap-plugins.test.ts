// Every test file runs with only the tap plugins package.json names ("tap" "plugin"); in
// particular without tap's TypeScript plugin (ts-node, ~60 % more CPU for the suite) and its mock
// loader. tap's first run after an install used to start its test files with the default set's
// loaders while it rebuilt; `npm test` runs tools/tap-build.mjs first. The test files run from
// .test-build/ (test/helpers/compiled-ts.mjs), not through tsx.
import t from 'tap';

const loaders = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => a.includes('@tapjs/'));

t.test('this test process carries no disabled tap plugin\'s loader', async (t) => {
  for (const plugin of ['@tapjs/typescript', '@tapjs/mock']) {
    t.same(loaders.filter((a) => a.includes(`${plugin}/`)), [], `no ${plugin} loader`);
  }
  t.ok(process.execArgv.includes('--import=./test/helpers/compiled-ts.mjs'), 'compiled-ts.mjs loads the test files (package.json "tap" "node-arg")');
  t.notOk(process.execArgv.some((a) => /^--(?:import|loader)=tsx\b/.test(a)), 'no tsx: it cost each test process ~0.3 s of CPU more');
});
