// `till-agent status` is what a technician runs first: a printer out of paper or with its cover open
// said `receipt: ready` there (its link was up), and only `doctor` asked the printer. Now status asks
// each connected printer too (printer.status) and says `ready but PAPER OUT`; a printer that cannot
// report (a device file) and --json are as before.
import { join } from 'node:path';
import t from 'tap';
import { configSchema } from '../../../agent/config.ts';
import { startDaemon } from '../../../agent/daemon.ts';
import { silentLogger } from '../../../runtime/log.ts';
import { cli } from '../../helpers/cli.ts';
import { freePort } from '../../helpers/ports.ts';
import { printerServer } from '../../helpers/printer-server.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { waitFor } from '../../helpers/wait.ts';
import { writeFile } from 'node:fs/promises';

t.test('status says a connected printer is out of paper or has its cover open', async (t) => {
  const printer = await printerServer(t, await freePort());
  const dir = await tempDir(t, 'till-status-printer-');
  const lp = join(dir, 'lp0');
  await writeFile(lp, '');
  const port = await freePort();
  const daemon = await startDaemon(configSchema.parse({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'agent'), log_level: 'silent',
    socket: { tcp: `127.0.0.1:${port}`, unix: false },
    uplink: { url: 'mqtt://127.0.0.1:9' },
    devices: [
      { name: 'receipt', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port },
      { name: 'backoffice', kind: 'printer', transport: 'file', path: lp },
    ],
  }), { log: silentLogger(), version: 'test' });
  t.teardown(() => daemon.stop());
  const status = () => cli('status', '--tcp', `127.0.0.1:${port}`);
  await waitFor(async () => /receipt: ready, backoffice: ready/.test((await status()).out), { what: 'both printers ready' });

  for (const p of printer.peers) p.condition = 'paper_out';
  const out = await status();
  t.equal(out.code, 0, out.out);
  t.match(out.out, /^devices  receipt: ready but PAPER OUT, backoffice: ready$/m, 'the paper, not only the link; a device file says nothing');

  for (const p of printer.peers) p.condition = 'cover_open';
  t.match((await status()).out, /receipt: ready but COVER OPEN,/);

  const json = await cli('status', '--json', '--tcp', `127.0.0.1:${port}`);
  t.match(JSON.parse(json.out), { devices: [{ name: 'receipt', state: 'ready' }, { name: 'backoffice', state: 'ready' }] }, '--json: the agent\'s own status');

  for (const p of printer.peers) p.condition = 'ok';
  t.match((await status()).out, /^devices  receipt: ready, backoffice: ready$/m, 'paper loaded: plain ready again');
});
