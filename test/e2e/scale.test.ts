// scale.read through the POS socket: a toledo-8217 scale on a socat pty and the demo's virtual
// scale, in a running agent. Stable weights in grams; every other state a stable error code.
import t from 'tap';
import { ecrScale, statusFrame, weightFrame } from '../helpers/scale-peer.ts';
import { startPty } from '../helpers/pty.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

t.test('scale.read: stable grams, error codes, the virtual scale, unknown and missing scales', async (t) => {
  const pty = await startPty(t);
  const peer = await ecrScale(pty, [statusFrame(0x10)]);
  const sys = await startSystem(t, {
    agent: {
      devices: [
        { name: 'deli', kind: 'scale', transport: 'serial', path: pty.device, data_bits: 7, parity: 'even', settle_timeout_ms: 1500 },
        { name: 'demo-scale', kind: 'scale', transport: 'virtual' },
      ],
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ kind: string; state: string }> }).devices.every((d) => d.kind === 'scale' && d.state === 'ready');
  }, { what: 'both scales ready' });

  peer.set([statusFrame(0x01), weightFrame('00.412')]);
  t.match(await pos.request('scale.read', { scale: 'deli' }), { ok: true, result: { scale: 'deli', grams: 412, value: '00.412', unit: 'kg', net: false } });
  t.match(await pos.request('scale.read'), { ok: true, result: { scale: 'deli' } }, 'the first scale by default');
  peer.set([statusFrame(0x01)]);
  t.match(await pos.request('scale.read', { scale: 'deli', timeout_ms: 300 }), { ok: false, error: { code: 'SCALE_UNSTABLE', retryable: true } });
  peer.set([statusFrame(0x02)]);
  t.match(await pos.request('scale.read', { scale: 'deli' }), { ok: false, error: { code: 'SCALE_OVERLOAD', message: /over capacity/ } });
  peer.set([statusFrame(0x04)]);
  t.match(await pos.request('scale.read', { scale: 'deli' }), { ok: false, error: { code: 'SCALE_NEGATIVE' } });

  // The virtual scale: a load is put on it like a scan is fed to a virtual scanner.
  t.match(await pos.request('scale.read', { scale: 'demo-scale' }), { ok: false, error: { code: 'SCALE_ZERO' } });
  t.match(await pos.request('devices.scan', { device: 'demo-scale', data: '0.250' }), { ok: true });
  t.match(await pos.request('scale.read', { scale: 'demo-scale' }), { ok: true, result: { grams: 250 } });
  t.match(await pos.request('devices.scan', { device: 'demo-scale', data: 'unstable' }), { ok: true });
  t.match(await pos.request('scale.read', { scale: 'demo-scale', timeout_ms: 300 }), { ok: false, error: { code: 'SCALE_UNSTABLE' } });

  t.match(await pos.request('scale.read', { scale: 'nope' }), { ok: false, error: { code: 'NOT_FOUND' } });
  t.match(await pos.request('devices.scan', { data: '0.1' }), { ok: false, error: { code: 'NOT_FOUND' } }, 'a scale is fed only by name');
  t.match(await pos.request('scale.read', { timeout_ms: 5 }), { ok: false, error: { code: 'BAD_REQUEST', message: /timeout_ms/ } });

  peer.set([null]); // the scale stops answering
  t.match(await pos.request('scale.read', { scale: 'deli', timeout_ms: 500 }), { ok: false, error: { code: 'SCALE_NO_ANSWER' } });
  t.match(await pos.request('scale.read', { scale: 'deli' }), { ok: false, error: { code: 'DEVICE_UNAVAILABLE', message: /offline/ } });
});
