// Which config an operator command uses, and what it says when there is none.
import t from 'tap';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INSTALLED_CONFIG, locateConfig, locateDatabase } from '../../../cli/commands/locate-config.ts';
import { main } from '../../../cli/main.ts';
import { tempDir } from '../../helpers/tmp.ts';

const CONFIG = 'terminal: T1\nstore: S1\nmerchant: M\ndata_dir: agent\nuplink: { url: "mqtt://127.0.0.1:9" }\n';
const installed = existsSync(INSTALLED_CONFIG);

function thrown(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

async function run(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = (chunk: string | Uint8Array) => { out += String(chunk); return true; };
  const saved = [process.stdout.write, process.stderr.write, process.cwd()] as const;
  process.stdout.write = write as typeof process.stdout.write;
  process.stderr.write = write as typeof process.stderr.write;
  process.chdir(cwd);
  try {
    return { code: await main(args), out };
  } finally {
    process.stdout.write = saved[0];
    process.stderr.write = saved[1];
    process.chdir(saved[2]);
  }
}

t.test('--config, --data, the installed config, then the demo in ./data', async (t) => {
  const dir = await tempDir(t, 'till-locate-');
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'config.yaml'), CONFIG);
  t.equal(locateConfig({ config: join(dir, 'data', 'config.yaml') }), join(dir, 'data', 'config.yaml'));
  t.equal(locateConfig({ data: 'data' }, { cwd: dir }), join(dir, 'data', 'config.yaml'), '--data is relative to where the command runs');
  t.equal(locateConfig({}, { cwd: dir }), installed ? INSTALLED_CONFIG : join(dir, 'data', 'config.yaml'));
  t.match(thrown(() => locateConfig({ data: dir })), /^no config\.yaml in /);
  t.match(thrown(() => locateConfig({ config: join(dir, 'nope.yaml') })), /^config not found: .*nope\.yaml: use --config FILE, --tcp HOST:PORT or --data DIR/);

  // An agent's data_dir (no config.yaml, a till-agent.db) is enough for the database commands.
  await mkdir(join(dir, 'var'));
  await writeFile(join(dir, 'var', 'till-agent.db'), '');
  t.same(locateDatabase({ data: join(dir, 'var') }), { file: join(dir, 'var', 'till-agent.db') });
  t.match(locateDatabase({ data: join(dir, 'data') }), { file: join(dir, 'data', 'agent', 'till-agent.db'), config: { terminal: 'T1' } });
  t.match(thrown(() => locateConfig({ data: join(dir, 'var') })), /no config\.yaml in/, 'but not for commands that need the socket');
});

t.test('no config anywhere: "not found" and the flags to use, never "invalid configuration"', async (t) => {
  if (installed) {
    t.comment(`not checked: ${INSTALLED_CONFIG} exists on this machine`);
    return;
  }
  const dir = await tempDir(t, 'till-noconf-');
  for (const command of [['status'], ['scan', 'X'], ['print-test'], ['scan-test'], ['outbox', 'list'], ['outbox', 'retry', '--all']]) {
    const r = await run(dir, ...command);
    t.equal(r.code, 1, command.join(' '));
    t.match(r.out, /config not found: \/etc\/till-agent\/config\.yaml \(and no demo's data\/config\.yaml here\): use --config FILE, --tcp HOST:PORT or --data DIR/, command.join(' '));
    t.notMatch(r.out, /invalid configuration/);
  }
  for (const command of [['outbox', 'export'], ['receipt', 'preview', '--txn', 'x']]) {
    t.match(await run(dir, ...command), { code: 1, out: /config not found: .*: use --config FILE or --data DIR/ }, command.join(' '));
  }
  t.match(await run(dir, 'doctor'), { code: 1, out: /✖ config +config not found[^\n]*\n +hint: use --config FILE or --data DIR/ });
  t.match(await run(dir, 'status', '--data', dir), { code: 1, out: /no config\.yaml in .* \(a demo writes .*config\.yaml when it starts\)/ });
});
