// The host with its broker unreachable (down, or uplink.url's host name wrong): each 'mqtt error'
// line says what and when it tries again, without a stack trace of MQTT.js's internals.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { startProcess } from '../helpers/processes.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('broker refused: the mqtt error line has the message and code, no stack', async (t) => {
  const dir = await tempDir(t, 'till-host-down-');
  const config = join(dir, 'host.yaml');
  await writeFile(config, `data_dir: ${join(dir, 'data')}\nuplink:\n  url: mqtt://127.0.0.1:9\n`);
  const host = startProcess(t, ['host', '--config', config]);
  const line = await host.waitForLog((l) => l.msg === 'mqtt error', 'the first mqtt error');
  t.match(line, { level: /warn|40/, err: { message: /ECONNREFUSED 127\.0\.0\.1:9/, code: 'ECONNREFUSED' }, attempt: 1, retry_in_ms: 1000 });
  t.notOk((line.err as { stack?: string }).stack, 'no stack');
  await host.kill('SIGTERM');
});
