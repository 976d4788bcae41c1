// A client certificate outside its validity dates, said in the till's words. The broker refuses
// an expired one with a TLS alert ("sslv3 alert certificate expired", ERR_SSL_SSLV3_ALERT_…) that
// names neither the file nor whose certificate it was: read as is, it sends the technician to
// uplink.ca and the broker's certificate. The dates are in the file; the clock is this machine's.
import { X509Certificate } from 'node:crypto';

export interface CertificateDates {
  /** What is wrong, naming the key and the file. */
  problem: string;
  hint: string;
}

/** How a till gets a new certificate (systemd/README.md); the host passes its own (`till-certs.sh host NAME`). */
export const TILL_RENEWAL = 'till-certs.sh till MERCHANT STORE TERMINAL';

export function certificateDates(pem: Buffer, path: string, now: Date, renewal = TILL_RENEWAL): CertificateDates | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined; // not a certificate this check can read: the TLS handshake says what is wrong
  }
  const clock = `this machine's clock says ${now.toISOString()}`;
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  const renew = `issue a new certificate (systemd/README.md, "The broker": ${renewal}) and `
    + 'copy it and its key to uplink.cert and uplink.key, then restart; if the clock is wrong instead, set it (timedatectl)';
  if (now.getTime() > to.getTime()) {
    return { problem: `uplink.cert ${path} expired on ${to.toISOString()} (${clock}): the broker refuses it`, hint: renew };
  }
  if (now.getTime() < from.getTime()) {
    return { problem: `uplink.cert ${path} is not valid before ${from.toISOString()} (${clock}): the broker refuses it`,
      hint: 'the clock is probably behind: set it (timedatectl set-ntp true), then restart' };
  }
  return undefined;
}

/** Whether a TLS error is the broker refusing our certificate for its dates. */
export function isCertificateDateAlert(error: { code?: unknown; message?: string }): boolean {
  return error.code === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED' || /alert certificate expired/i.test(error.message ?? '');
}
