// The technician's usual broker mistake: mqtts:// on the broker's plain port (1883) or mqtt:// on its
// TLS one (8883). mosquitto resets the connection at the first bytes it cannot read, and doctor said
// "read ECONNRESET" with "check uplink.url, that the broker runs, the network and any firewall": the
// broker runs, the network works, and nothing pointed at the scheme. Now the hint says what a reset
// at once means. The broker here is a TCP listener that does what mosquitto does: reset on the first bytes.
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { cli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('doctor: a broker that resets the connection at once points at the scheme and the port', async (t) => {
  const resets = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => resets.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => resets.close(resolve)));
  const port = (resets.address() as net.AddressInfo).port;
  const dir = await tempDir(t, 'till-doctor-scheme-');
  for (const scheme of ['mqtt', 'mqtts'] as const) {
    const config = join(dir, `${scheme}.yaml`);
    await writeFile(config, stringify({
      terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'),
      socket: { tcp: `127.0.0.1:${await freePort()}`, unix: false },
      uplink: { url: `${scheme}://127.0.0.1:${port}` },
    }));
    const { code, out } = await cli('doctor', '--config', config);
    t.equal(code, 1, out);
    t.match(out, new RegExp(`✖ broker +${scheme}://127\\.0\\.0\\.1:${port}: .*(ECONNRESET|disconnected)`), `${scheme}: the error as it came`);
    t.match(out, scheme === 'mqtts'
      ? /hint: the broker dropped the connection at once: mqtts:\/\/ needs its TLS listener \(usually port 8883\)/
      : /hint: the broker dropped the connection at once: mqtt:\/\/ needs its plain listener \(usually port 1883\)/, `${scheme}: the hint names the scheme`);
  }
});
