// The uplink's TLS files (ca, cert, key) as the host reads them: for its MQTT connection
// (consumer.ts) and for the doctor's TLS handshake (broker-reach.ts). A missing or unreadable one
// is a SetupProblem naming its key and what the service's user (till-agent-host) needs.
import type { TlsFiles, UplinkConfig } from '../protocol/uplink-config.ts';
import { readTlsFiles as readNamed } from '../runtime/setup-problem.ts';

export const HOST_USER = 'till-agent-host';
/** How a host gets a new certificate (systemd/README.md, "The broker"). */
export const HOST_RENEWAL = 'till-certs.sh host NAME';

export async function readTlsFiles(uplink: Pick<UplinkConfig, 'ca' | 'cert' | 'key' | 'url'>): Promise<TlsFiles> {
  return readNamed(uplink, HOST_USER, uplink.url);
}
