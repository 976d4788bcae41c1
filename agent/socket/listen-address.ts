// "HOST:PORT" listen addresses of the config (socket.tcp, metrics.listen) and whether one
// stays on this machine.

export function parseListen(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}

/** Whether a listen host only accepts connections from this machine ("" means loopback: see SocketServer). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === '' || h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
