// Loaded into every tap test process (package.json "tap" "node-arg", after tap's own imports).
// tap starts each test file with @tapjs/processinfo, which (through process-on-spawn) puts its
// module-load hook into NODE_OPTIONS of every process the test spawns, to collect coverage from
// them. Coverage is off in this suite ("disable-coverage" in package.json), and the hook costs a
// node child ~0.4 s of CPU and ~1 s before it is ready (a loader thread that reads every module it
// loads), so unless coverage is on, every process a test spawns is started without it: the
// till-agent children of helpers/processes.ts and the `node -e` / `npx` children some tests start
// themselves. Any other NODE_OPTIONS stay.
const PROCESSINFO_OPTION = /"--(?:import|loader|experimental-loader)=[^"]*@tapjs\/processinfo[^"]*"|--(?:import|loader|experimental-loader)=\S*@tapjs\/processinfo\S*/g;
const spawnHooks = (globalThis as Record<symbol, { listeners?: unknown[] } | undefined>)[Symbol.for('process-on-spawn@*:singletonId')];
if (spawnHooks?.listeners && process.env._TAPJS_PROCESSINFO_COVERAGE_ !== '1') {
  spawnHooks.listeners.push((spawned: { env: NodeJS.ProcessEnv }) => {
    const options = spawned.env.NODE_OPTIONS;
    if (!options?.includes('@tapjs/processinfo')) return;
    const rest = options.replace(PROCESSINFO_OPTION, '').trim();
    const env = { ...spawned.env };
    if (rest) env.NODE_OPTIONS = rest;
    else delete env.NODE_OPTIONS;
    spawned.env = env;
  });
}
export {};
