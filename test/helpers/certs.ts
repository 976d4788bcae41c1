// A throwaway CA, server certificate (CN/SAN 127.0.0.1) and client certificate, made
// with openssl for the TLS tests.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export async function makeCerts(dir: string): Promise<TestCerts> {
  const p = (name: string) => join(dir, name);
  const ossl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=till-test-ca',
    '-keyout', p('ca.key'), '-out', p('ca.pem'));
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await writeFile(p('client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  for (const [who, cn] of [['server', '127.0.0.1'], ['client', 'till-T1']] as const) {
    await ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', p(`${who}.key`), '-out', p(`${who}.csr`));
    await ossl('x509', '-req', '-in', p(`${who}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', p(`${who}.ext`), '-out', p(`${who}.pem`));
  }
  return { ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientCert: p('client.pem'), clientKey: p('client.key') };
}
