// Run as `unshare -rn node --import=…/compiled-ts.mjs netns-printer.ts MODE` (see
// test/drivers/tcp-liveness.test.ts): in a network namespace of its own, a TCP listener playing a
// printer and our tcp transport's printer; then loopback goes down, so nothing sent either way
// arrives or is acknowledged any more, as with a cut cable. Nothing outside the namespace changes.
// Prints JSON lines: {event: 'ready'} then {event: 'cut'}, each device state with ms since the
// cut, a job's result, and {event: 'end', state} after ENDMS.
//   MODE idle:       a status printer, idle when the cable is cut
//   MODE printing:   a printer with status: false, a job sent right after the cut
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { DriverEvents } from '../../drivers/emitter.ts';
import { EscPosPrinter } from '../../drivers/escpos-printer.ts';
import { tcpTransport } from '../../drivers/transports/tcp.ts';
import { silentDriverLogger } from '../../drivers/types.ts';
import { PrinterPeer } from './printer-peer.ts';

const mode = process.argv[2];
const endMs = Number(process.argv[3] ?? 30_000);
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const server = net.createServer((socket) => {
  const peer = new PrinterPeer((reply) => { if (!socket.destroyed) socket.write(reply); });
  socket.on('data', (chunk: Buffer) => peer.feed(chunk));
  socket.on('error', () => undefined);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as net.AddressInfo).port;

const events = new DriverEvents();
let cutAt: number | undefined;
events.on('device', (e) => {
  if (cutAt !== undefined) say({ event: 'state', state: e.state, reason: e.reason, ms: Date.now() - cutAt });
});
const printer = new EscPosPrinter({
  name: 'net', transport: tcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 1000 }), emit: events.emit,
  log: silentDriverLogger, statusTimeoutMs: 1000, backoff: { initialMs: 200, maxMs: 1000 },
  ...(mode === 'printing' ? { checkStatus: false, confirm: false } : {}),
});
printer.start();
const deadline = Date.now() + 10_000;
while (printer.state() !== 'ready' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
say({ event: 'ready', state: printer.state() });
execFileSync('ip', ['link', 'set', 'lo', 'down']);
cutAt = Date.now();
say({ event: 'cut' });
if (mode === 'printing') {
  const result = await printer.print(printer.job().line('Bäckerei Müller').line('Total 3,00 €').cut().build());
  say({ event: 'job', outcome: result.outcome, ms: Date.now() - cutAt });
}
setTimeout(() => {
  say({ event: 'end', state: printer.state() });
  void printer.stop().then(() => process.exit(0));
}, endMs - (Date.now() - cutAt));
