// The till-agent command as the tests run it: the code as it is now, never a stale build.
// When build/ is up to date with every source (each .ts has its compiled .js, written after the
// .ts last changed, and the copied fonts and status-page assets are there; `npm test` builds
// first), it runs build/ as bin/till-agent.js does, which starts a child in a fraction of the
// time; otherwise (a source edited since the last `npm run build`) it runs the TypeScript sources
// through tsx. TILL_TEST_FROM_SOURCES=1 always runs the sources. (test/systemd/installed.test.ts
// runs the real bin from an installed tree.)
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const built = process.env.TILL_TEST_FROM_SOURCES !== '1' && buildIsFresh();
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

/** Whether build/ holds what `npm run build` makes of the sources as they are now (package.json "build"). */
function buildIsFresh() {
  const mtime = (url) => {
    try {
      return statSync(url).mtimeMs;
    } catch {
      return undefined;
    }
  };
  const COPIED = ['drivers/fonts/', 'agent/status-page/assets/'];
  const fresh = (dir) => readdirSync(new URL(dir, root), { withFileTypes: true }).every((entry) => {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory()) return path === 'drivers/native' || fresh(`${path}/`);
    const copied = COPIED.some((c) => path.startsWith(c));
    if (!copied && (!path.endsWith('.ts') || path.endsWith('.d.ts'))) return true;
    const out = mtime(new URL(`build/${copied ? path : `${path.slice(0, -3)}.js`}`, root));
    return out !== undefined && out >= mtime(new URL(path, root));
  });
  try {
    return ['cli/', 'agent/', 'drivers/', 'protocol/', 'runtime/', 'host/'].every(fresh);
  } catch {
    return false;
  }
}
