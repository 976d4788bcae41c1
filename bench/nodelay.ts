// Opt-in what-if (`--nodelay`): TCP_NODELAY on every TCP socket this process opens or
// accepts. Neither MQTT.js nor the embedded aedes server sets it, so a small MQTT write that
// follows another unacknowledged one waits for the peer's delayed ACK (~40 ms on Linux).
// This shows what setting it in agent/upstream/uplink.ts, host/consumer.ts and the broker would buy;
// it reaches sockets created inside those modules without editing them.
import net from 'node:net';

let enabled = false;

export function enableNoDelayEverywhere(): void {
  if (enabled) return;
  enabled = true;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]): net.Socket {
    this.setNoDelay(true); // remembered until the handle exists
    return Reflect.apply(connect, this, args) as net.Socket;
  } as typeof connect;
  const emit = net.Server.prototype.emit;
  net.Server.prototype.emit = function (this: net.Server, event: string | symbol, ...args: unknown[]): boolean {
    const socket = args[0];
    if (event === 'connection' && socket instanceof net.Socket) socket.setNoDelay(true);
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  };
}
