// `till-agent host --check-backend` and `--doctor` as a real child process against the
// simulators: ✔/✖ per operation, exit 0 only when everything is ✔, no secret printed.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseHostArgs } from '../../cli/commands/host.ts';
import { startBroker } from '../helpers/broker.ts';
import { SIM_KEY, startCrmcomSim } from '../helpers/crmcom-sim.ts';
import { spawnHost } from '../helpers/host-process.ts';
import { SM_KEY, SM_SECRET, startSessionmSim } from '../helpers/sessionm-sim.ts';
import { tempDir } from '../helpers/tmp.ts';

async function configFile(t: Parameters<typeof tempDir>[0], extra: object, brokerUrl = 'mqtt://127.0.0.1:1'): Promise<string> {
  const dir = await tempDir(t, 'till-check-');
  const file = join(dir, 'host.yaml');
  await writeFile(file, stringify({ data_dir: join(dir, 'data'), uplink: { url: brokerUrl }, ...extra }));
  return file;
}

t.test('flags', async (t) => {
  t.match(parseHostArgs(['--config', 'h.yaml', '--check-backend']), { checkBackend: true, errors: [] });
  t.match(parseHostArgs(['--config', 'h.yaml', '--doctor']), { doctor: true, errors: [] });
  t.match(parseHostArgs(['--config', 'h.yaml', '--doctor', '--check-backend']), { errors: ['--check-backend and --doctor: give one'] });
});

t.test('crmcom: the mapped ops ✔ against the simulator, ✖ when it is down', async (t) => {
  const sim = await startCrmcomSim(t);
  const broker = await startBroker(t);
  const file = await configFile(t, {
    backend: 'crmcom', crmcom: { url: sim.server.url, api_key: SIM_KEY, performed_by_unit: 'U1', currency: 'EUR', retries: 0, timeout_ms: 2000 },
  }, broker.url);
  const ok = spawnHost(t, ['--config', file, '--check-backend']);
  t.equal((await ok.exited).code, 1, 'CRM.COM has no held offers: those ops are ✖');
  t.match(ok.stdout(), /backend crmcom: operations\n✔ identify +rewards_participants\/show and wallets\/get_balance answer\n/);
  t.equal(ok.stdout().split('\n').filter((l) => l.startsWith('✔')).length, 6, ok.stdout());
  const doctor = spawnHost(t, ['--config', file, '--doctor']);
  t.equal((await doctor.exited).code, 0, doctor.stdout());
  t.match(doctor.stdout(), /\n✔ store .*\n✔ broker +mqtt:\/\/127\.0\.0\.1:\d+: reachable \(TCP\)[^\n]*\n✔ crmcom auth/);
  t.match(doctor.stdout(), /✔ crmcom clock +host clock/);
  t.notOk(ok.stdout().includes(SIM_KEY) || doctor.stdout().includes(SIM_KEY));
  await sim.stop();
  const down = spawnHost(t, ['--config', file, '--check-backend']);
  t.equal((await down.exited).code, 1);
  t.match(down.stdout(), /✖ identify/);
  await broker.stop();
  const noBroker = spawnHost(t, ['--config', file, '--doctor']);
  t.equal((await noBroker.exited).code, 1, 'the broker gone: the doctor fails');
  t.match(noBroker.stdout(), /\n✖ broker +mqtt:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
});

t.test('sessionm: unsupported ops are ✖ with the reason', async (t) => {
  const sim = await startSessionmSim(t);
  const file = await configFile(t, {
    backend: 'sessionm', sessionm: { url: sim.server.url, key: SM_KEY, secret: SM_SECRET, client_id: 'C1', currency: 'EUR', stores: { S1: 'STORE-1' } },
  });
  const proc = spawnHost(t, ['--config', file, '--check-backend']);
  t.equal((await proc.exited).code, 1);
  t.match(proc.stdout(), /✔ award/);
  t.match(proc.stdout(), /✔ lock/);
  t.match(proc.stdout(), /✖ spend +unsupported: the POS API has no wallet spend/);
  t.notOk(proc.stdout().includes(SM_SECRET));
});
