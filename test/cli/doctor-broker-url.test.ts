// doctor's broker line shows uplink.url without its userinfo: `mqtt://till:password@host` in the
// config (or TILL_AGENT_BROKER_URL) printed the password to whoever ran doctor (and the ticket it
// was pasted into).
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/tmp.ts';

t.test('doctor never prints the password of a broker URL', async (t) => {
  const dir = await tempDir(t, 'till-doctor-url-');
  const closed = await freePort(); // nothing listens: the broker line fails and names the URL
  const config = join(dir, 'agent.yaml');
  await writeFile(config, stringify({
    terminal: 'T1', store: 'S1', merchant: 'M1', data_dir: join(dir, 'data'),
    socket: { tcp: `127.0.0.1:${await freePort()}`, unix: join(dir, 'agent.sock') },
    uplink: { url: `mqtt://till-user:UrlPassw0rd-xyz@127.0.0.1:${closed}/` },
  }));
  const { out } = await cli('doctor', '--config', config);
  t.match(out, new RegExp(`broker +mqtt://127\\.0\\.0\\.1:${closed}/: `), 'the broker line names the URL without userinfo');
  t.notOk(out.includes('UrlPassw0rd-xyz'), 'no password');
  t.notOk(out.includes('till-user'), 'no user name from the URL');
});
