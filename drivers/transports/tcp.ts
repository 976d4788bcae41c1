// Raw TCP ("JetDirect", port 9100). Short keepalive and TCP_USER_TIMEOUT (tcp-liveness.ts) find
// a cut cable in seconds, idle or printing; a reset or the peer closing the connection is
// reported as a disconnect, so the runner reconnects.
import net from 'node:net';
import type { Transport } from '../types.ts';
import { LinkBase } from './link-base.ts';
import { applyTcpLiveness, DEFAULT_TCP_LIVENESS, tcpCloseReason, type TcpLiveness } from './tcp-liveness.ts';

export interface TcpOptions {
  host: string;
  port?: number;
  connectTimeoutMs?: number;
  liveness?: Partial<TcpLiveness>;
}

class TcpLink extends LinkBase {
  readonly canRead = true;

  constructor(readonly label: string, private readonly socket: net.Socket) {
    super();
    socket.on('data', (chunk: Buffer) => this.emitData(chunk));
    socket.on('error', (error) => this.disconnected(tcpCloseReason(error)));
    // The printer closing its side means it will not read what we send.
    socket.on('end', () => this.disconnected('connection closed by peer'));
    socket.on('close', () => this.disconnected('connection closed'));
  }

  async write(data: Uint8Array): Promise<void> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.socket.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  protected release(): Promise<void> {
    this.socket.destroy();
    return Promise.resolve();
  }
}

export function tcpTransport(options: TcpOptions): Transport {
  const port = options.port ?? 9100;
  const label = `tcp ${options.host}:${port}`;
  return () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${options.host}:${port} timed out`));
      }, options.connectTimeoutMs ?? 5000);
      socket.once('error', (error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        applyTcpLiveness(socket, { ...DEFAULT_TCP_LIVENESS, ...options.liveness });
        resolve(new TcpLink(label, socket));
      });
    });
}
