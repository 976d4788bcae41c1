// `status` and `outbox` against the socket their config names, when the agent answering there is
// another till's (a demo on the same port, the agent before an edit of the identity): one line on
// stderr says so, and the output stays as it is.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../../cli/main.ts';
import { startServer } from '../../helpers/socket-harness.ts';
import { tempDir } from '../../helpers/tmp.ts';

/** Runs main(args) in process; what it writes to stdout and stderr. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const seen = { out: '', err: '' };
  const writer = (key: 'out' | 'err') => (chunk: string | Uint8Array) => { seen[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true; };
  const saved = [process.stdout.write, process.stderr.write];
  process.stdout.write = writer('out') as typeof process.stdout.write;
  process.stderr.write = writer('err') as typeof process.stderr.write;
  try {
    return { code: await main(args), ...seen };
  } finally {
    [process.stdout.write, process.stderr.write] = saved as [typeof process.stdout.write, typeof process.stderr.write];
  }
}

t.test('status and outbox say when the agent answering is another till\'s', async (t) => {
  const h = await startServer(t); // its hello: merchant-1, store-1, till-1
  const dir = await tempDir(t);
  const config = async (name: string, terminal: string) => {
    const file = join(dir, name);
    await writeFile(file, stringify({
      merchant: 'merchant-1', store: 'store-1', terminal, data_dir: join(dir, 'data'),
      socket: { unix: h.unixPath, tcp: false }, uplink: { url: 'mqtt://127.0.0.1:9' },
    }));
    return file;
  };
  const mine = await config('mine.yaml', 'till-1');
  const other = await config('other.yaml', 'till-2');
  const line = `the agent answering on ${h.unixPath} is another till's (merchant merchant-1, store store-1, terminal till-1), `
    + 'not the config\'s (merchant merchant-1, store store-1, terminal till-2)';

  for (const [command, args] of [['status', ['status', '--json']], ['outbox list', ['outbox', 'list', '--json']], ['outbox retry', ['outbox', 'retry', '--all']]] as const) {
    const same = await run(...args, '--config', mine);
    const another = await run(...args, '--config', other);
    t.match(same, { code: 0, err: '' }, `${command}: this till's agent, nothing on stderr`);
    t.equal(another.err, `till-agent ${command}: ${line}\n`, `${command}: one line on stderr`);
    t.equal(another.code, 0, command);
    t.equal(another.out, same.out, `${command}: the output stays as it is`);
  }
  const bySocket = await run('status', '--json', '--socket', h.unixPath!);
  t.equal(bySocket.err, '', '--socket names no till: nothing to compare');
});
