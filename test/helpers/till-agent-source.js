// The till-agent command as the tests run it: the code as it is now, never a stale build.
// When build/ is up to date (tools/build-fresh.mjs; `npm test` builds first), it runs build/ as
// bin/till-agent.js does, which starts a child in a fraction of the time; otherwise (a source edited since the last `npm run build`) it runs the TypeScript sources
// through tsx. TILL_TEST_FROM_SOURCES=1 always runs the sources. (test/systemd/installed.test.ts
// runs the real bin from an installed tree.)
import { buildIsFresh } from '../../tools/build-fresh.mjs';

const root = new URL('../../', import.meta.url);
const built = process.env.TILL_TEST_FROM_SOURCES !== '1' && buildIsFresh(root);
let main;
if (built) {
  ({ main } = await import(new URL('build/cli/main.js', root).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../../cli/main.ts'));
}
const code = await main(process.argv.slice(2));
process.exit(code);
