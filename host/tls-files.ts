// The uplink's TLS files (ca, cert, key) as the host reads them: for its MQTT connection
// (consumer.ts) and for the doctor's TLS handshake (broker-reach.ts). A read error is thrown as is.
import { readFile } from 'node:fs/promises';
import type { TlsFiles, UplinkConfig } from '../protocol/uplink-config.ts';

export async function readTlsFiles(uplink: Pick<UplinkConfig, 'ca' | 'cert' | 'key'>): Promise<TlsFiles> {
  const read = async (path: string | undefined) => (path ? readFile(path) : undefined);
  const [ca, cert, key] = await Promise.all([read(uplink.ca), read(uplink.cert), read(uplink.key)]);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
