// `till-agent host --doctor`'s broker line: can this machine reach the broker, and does the broker
// take the TLS files? A TCP connection, and with mqtts:// the TLS handshake with uplink.ca, cert and
// key; never an MQTT CONNECT. On the fleet broker the client certificate's CN is the client id
// (systemd/mosquitto: use_username_as_clientid), so a login with the host's certificate would take
// over the running host's session and kick it off. Username and password are therefore not checked.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { PlatformCheck } from './backend.ts';
import type { TlsFiles, UplinkConfig } from '../protocol/uplink-config.ts';
import { readTlsFiles } from './tls-files.ts';
import { SetupProblem } from '../runtime/setup-problem.ts';
import { certificateDates } from '../runtime/certificate-dates.ts';
import { HOST_RENEWAL } from './tls-files.ts';

/**
 * With TLS 1.3 the server checks the client certificate after the client's side of the handshake
 * is done: a refusal arrives as an alert right after. This long without one counts as accepted.
 */
const REFUSAL_GRACE_MS = 300;

const NOT_TRIED = 'MQTT login not tried (it would take over a running host\'s session); the host logs "consumer subscribed" once in';

function hint(message: string): string {
  if (/certificate required/i.test(message)) return 'the broker wants a client certificate: set uplink.cert and uplink.key';
  if (/certificate|self.signed|unknown ca|verify|handshake|alert|tls|ssl/i.test(message)) {
    return 'check uplink.ca against the broker\'s certificate, uplink.cert/key against the broker\'s CA, their dates and this machine\'s clock';
  }
  return 'check uplink.url (or TILL_HOST_BROKER_URL), that the broker runs, the network and any firewall';
}

export async function checkBrokerReach(uplink: UplinkConfig, timeoutMs = 5000): Promise<PlatformCheck> {
  const url = new URL(uplink.url);
  const tls = url.protocol === 'mqtts:';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (tls ? 8883 : 1883));
  const where = `${url.protocol}//${url.host}`;
  let files: TlsFiles = {};
  if (tls) {
    try {
      files = await readTlsFiles(uplink);
    } catch (error) {
      if (!(error instanceof SetupProblem)) throw error;
      const verb = error.code === 'EBADPEM' ? 'cannot use' : 'cannot read'; // there, but not a certificate or key that works
      return { name: 'broker', ok: false, detail: `${verb} TLS file ${error.key} ${error.target}: ${error.reason}; ${error.hint}` };
    }
    // The broker's refusal of an expired certificate names no file (runtime/certificate-dates.ts).
    const dates = files.cert && uplink.cert ? certificateDates(files.cert, uplink.cert, new Date(), HOST_RENEWAL) : undefined;
    if (dates) return { name: 'broker', ok: false, detail: `${dates.problem}; ${dates.hint}` };
  }
  return new Promise((resolve) => {
    let socket: Socket | TLSSocket;
    let grace: NodeJS.Timeout | undefined;
    const finish = (check: PlatformCheck) => {
      clearTimeout(timer);
      clearTimeout(grace);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(check);
    };
    const failed = (message: string) => finish({ name: 'broker', ok: false, detail: `${where}: ${message}; ${hint(message)}` });
    const timer = setTimeout(() => failed(`no answer within ${timeoutMs} ms`), timeoutMs);
    if (tls) {
      socket = tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: uplink.reject_unauthorized, ...files });
      let handshaken = false;
      socket.once('secureConnect', () => {
        handshaken = true;
        const s = socket as TLSSocket;
        const what = [
          uplink.reject_unauthorized ? 'server certificate verified' : 'server certificate NOT verified (reject_unauthorized: false)',
          files.cert ? 'client certificate sent' : 'no client certificate',
        ].join(', ');
        grace = setTimeout(() => finish({ name: 'broker', ok: true, detail: `${where}: TLS handshake accepted (${s.getProtocol() ?? 'TLS'}; ${what}); ${NOT_TRIED}` }), REFUSAL_GRACE_MS);
      });
      // A refusal after the handshake (TLS 1.3: the client certificate) closes the connection.
      socket.once('close', () => failed(handshaken
        ? 'the broker closed the connection after the TLS handshake (client certificate refused?)'
        : 'the broker closed the connection during the TLS handshake'));
    } else {
      socket = tcpConnect({ host, port });
      socket.once('connect', () => finish({ name: 'broker', ok: true, detail: `${where}: reachable (TCP); ${NOT_TRIED}` }));
    }
    // OpenSSL's message is a multi-line dump; its reason ("tlsv13 alert certificate required") says it.
    socket.once('error', (error) => failed((error as { reason?: string }).reason ?? error.message));
  });
}
