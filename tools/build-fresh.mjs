// Whether build/ is what `npm run build` (package.json "build") would make now: every source .ts has
// its compiled .js written after the .ts last changed, the copied fonts and status-page assets are
// there, and the bundle (build/cli/main.js, which inlines the dependencies) is newer than the last
// install of node_modules (npm writes node_modules/.package-lock.json on every install).
//
// Used by "prepare", which npm runs not only at `npm ci` but also when `npx till-agent` in this
// folder installs the folder itself: an unconditional `npm run build` there (rm -rf build, then
// compile) pulled build/ from under every till-agent process started meanwhile (a test beside
// test/e2e/demo-signals.test.ts's npx cases: "Cannot find module build/cli/chunk-….js"). And by
// test/helpers/till-agent-source.js, which runs build/ only when it is fresh.
//
//   node tools/build-fresh.mjs   exit 0 when fresh, 1 when not
import { readdirSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SOURCE_DIRS = ['cli/', 'agent/', 'drivers/', 'protocol/', 'runtime/', 'host/'];
const COPIED = ['drivers/fonts/', 'agent/status-page/assets/'];

/** `root`: the checkout's URL, ending in '/'. */
export function buildIsFresh(root) {
  const mtime = (url) => {
    try {
      return statSync(url).mtimeMs;
    } catch {
      return undefined;
    }
  };
  const fresh = (dir) => readdirSync(new URL(dir, root), { withFileTypes: true }).every((entry) => {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory()) return path === 'drivers/native' || fresh(`${path}/`);
    const copied = COPIED.some((c) => path.startsWith(c));
    if (!copied && (!path.endsWith('.ts') || path.endsWith('.d.ts'))) return true;
    const out = mtime(new URL(`build/${copied ? path : `${path.slice(0, -3)}.js`}`, root));
    return out !== undefined && out >= mtime(new URL(path, root));
  });
  try {
    const bundle = mtime(new URL('build/cli/main.js', root));
    const installed = mtime(new URL('node_modules/.package-lock.json', root));
    if (bundle === undefined || (installed !== undefined && installed > bundle)) return false;
    return SOURCE_DIRS.every(fresh);
  } catch {
    return false;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exit(buildIsFresh(new URL('../', import.meta.url)) ? 0 : 1);
}
