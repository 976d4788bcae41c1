// Every test file runs with only the tap plugins package.json names ("tap" "plugin"); in
// particular without tap's TypeScript plugin (ts-node, ~60 % more CPU for the suite: tsx loads
// the tests) and its mock loader. tap's first run after an install used to start its test files
// with the default set's loaders while it rebuilt; `npm test` runs tools/tap-build.mjs first.
import t from 'tap';

const loaders = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter((a) => a.includes('@tapjs/'));

t.test('this test process carries no disabled tap plugin\'s loader', async (t) => {
  for (const plugin of ['@tapjs/typescript', '@tapjs/mock']) {
    t.same(loaders.filter((a) => a.includes(`${plugin}/`)), [], `no ${plugin} loader`);
  }
  t.ok(process.execArgv.some((a) => a === '--import=tsx'), 'tsx loads the test files (package.json "tap" "node-arg")');
});
