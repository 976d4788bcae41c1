// The till-agent command run from the TypeScript sources through tsx, the way
// bin/till-agent.js runs the compiled build/: tests exercise the code as it is now, never a
// stale build. (test/systemd/installed.test.ts runs the real bin from an installed tree.)
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../../agent/main.ts');
const code = await main(process.argv.slice(2));
process.exit(code);
