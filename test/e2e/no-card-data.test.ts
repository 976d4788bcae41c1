// Identifier values (card numbers, phones, emails) never reach the logs or the till's disk in clear.
import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSystem } from '../helpers/system.ts';

t.test('card numbers and phones are not in logs or in the SQLite files', async (t) => {
  const sys = await startSystem(t); // agent and host log at debug level
  await sys.waitOnline();
  const pos = await sys.pos();
  const card = '6006490000000001';
  const phone = '+35799000001';
  t.match(await pos.request('identify', { by: 'card', value: card }), { ok: true });
  t.match(await pos.request('identify', { by: 'phone', value: phone }), { ok: true });
  t.match(await pos.request('identify', { by: 'card', value: '6006490000000999' }), { ok: false });
  sys.agent.child.kill('SIGTERM');
  await sys.agent.exited;

  for (const [who, output] of [['agent', sys.agent.output()], ['host', sys.host!.output()]] as const) {
    t.notOk(output.includes(card), `${who} log has no card number`);
    t.notOk(output.includes('6006490000000999'), `${who} log has no unknown card number`);
    t.notOk(output.includes(phone), `${who} log has no phone number`);
  }
  const dataDir = join(sys.dir, 'agent-data');
  for (const file of await readdir(dataDir)) {
    const bytes = await readFile(join(dataDir, file));
    t.notOk(bytes.includes(card), `${file} has no card number in clear`);
    t.notOk(bytes.includes(phone), `${file} has no phone number in clear`);
  }
});
