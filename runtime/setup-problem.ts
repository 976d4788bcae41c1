// A start that fails because of the machine's setup, not the program: a file or directory the
// config names that is missing or that the service's user may not use, an address that is not
// this machine's or is taken. The agent and the host log it as one line that names the config
// key, the path or address, the reason and what to do — no stack trace, which tells a technician
// nothing and buries the key. Anything else stays an error with its stack.
import { X509Certificate } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { dirname } from 'node:path';
import type { TlsFiles, UplinkConfig } from '../protocol/uplink-config.ts';

export class SetupProblem extends Error {
  constructor(
    /** The config key (`uplink.ca`, `data_dir`, `socket.unix`, …). */
    readonly key: string,
    /** The path or address the key names. */
    readonly target: string,
    /** The system's code, e.g. ENOENT, EACCES, EADDRINUSE. */
    readonly code: string,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`${key} ${target}: ${reason}; ${hint}`);
    this.name = 'SetupProblem';
  }
}

/**
 * Exit status of a start that failed on the till's setup and that starting again cannot mend (a
 * file, a directory, a permission, a damaged database): the units' RestartPreventExitStatus= lists
 * it next to 2, so systemd does not restart it five times into its start limit, after which even
 * the technician's `systemctl restart` once it is fixed would be refused until `reset-failed`.
 */
export const EXIT_SETUP = 4;
/** Exit status when a port or socket is taken (another agent runs): restarted, it may be free then. */
export const EXIT_IN_USE = 3;

/**
 * How a SetupProblem ends the process: an address in use 3, an address that is not (yet) this
 * machine's 1 (the network may still be coming up: restarted as before), anything else EXIT_SETUP.
 */
export function setupExitCode(problem: SetupProblem): number {
  if (problem.code === 'EADDRINUSE') return EXIT_IN_USE;
  if (problem.code === 'EADDRNOTAVAIL') return 1;
  return EXIT_SETUP;
}

/**
 * The problem's message with the environment variable its key came from, when one replaced the
 * file's value (`TILL_AGENT_DATA_DIR` in a drop-in): the technician looks in the file otherwise.
 */
export function fromEnvironment(problem: SetupProblem, overrides: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): string {
  const name = Object.keys(overrides).find((n) => overrides[n] === problem.key && env[n]);
  return name ? `${problem.message} (the value comes from the environment: ${name})` : problem.message;
}

/** The codes that mean the setup is wrong (a path, a permission, an address), never the program. */
const SETUP_CODES: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory, not a file',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'not an address of this machine',
};

/** `error` as a SetupProblem about `key` (naming `target`), or undefined when it is not a setup error. */
export function setupProblem(error: unknown, key: string, target: string, hint: (code: string) => string): SetupProblem | undefined {
  if (error instanceof SetupProblem) return error;
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !(code in SETUP_CODES)) return undefined;
  // The file the system names, when it is not the key's own path (the database in data_dir).
  return new SetupProblem(key, typeof path === 'string' ? path : target, code, `${code} (${SETUP_CODES[code]})`, hint(code));
}

/** Runs `fn`; a setup error it throws becomes a SetupProblem about `key`, anything else is thrown as is. */
export function namingKey<T>(key: string, target: string, hint: (code: string) => string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw setupProblem(error, key, target, hint) ?? error;
  }
}

/** What to do about a data directory the service's `user` cannot create or write. */
export function dataDirHint(user: string, unitDir: string): (code: string) => string {
  return () => `data_dir must be a directory the service's user (${user}) can write: use ${unitDir}, `
    + `which the unit's StateDirectory= creates, or create it: install -d -o ${user} -g ${user} -m 0700 DIR`;
}

/**
 * Reads the uplink's TLS files (ca, cert, key). A missing or unreadable one, or, for a TLS `url`
 * (mqtts://), one that is not what its key needs (checkTlsContents), is a SetupProblem naming its
 * key (`uplink.cert`) and what `user`, the service's, needs.
 */
export function readTlsFiles(uplink: Pick<UplinkConfig, 'ca' | 'cert' | 'key'>, user: string, url: string): TlsFiles {
  const files: TlsFiles = {};
  for (const k of ['ca', 'cert', 'key'] as const) {
    const path = uplink[k];
    if (!path) continue;
    files[k] = namingKey(`uplink.${k}`, path, (code) => code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR'
      ? `put the PEM file there or correct uplink.${k}; it must be readable by ${user} (chgrp ${user} FILE; chmod 0640 FILE)`
      : `make it readable by ${user}: chgrp ${user} ${path}; chmod 0640 ${path} (and its directories searchable)`,
    () => readFileSync(path));
  }
  // Only a TLS connection uses them: a bench's mqtt:// with a ca left in the file still starts.
  if (url.startsWith('mqtts:')) checkTlsContents(uplink, files, user);
  return files;
}

/**
 * The TLS files as the MQTT client will use them, checked at once: a file that is there but is not
 * what its key needs (an empty file, the key copied as the certificate, a DER file, a key with a
 * passphrase, a key of another certificate) made MQTT.js throw inside its connect, where it was not
 * caught as a setup problem: the agent logged 'uplink cannot start' with a stack trace and ran with
 * no uplink, `doctor` crashed with OpenSSL's "PEM routines::no start line". Now it is a SetupProblem
 * naming the key and the file, as a missing one is.
 */
function checkTlsContents(uplink: Pick<UplinkConfig, 'ca' | 'cert' | 'key'>, files: TlsFiles, user: string): void {
  const made = `as till-certs.sh writes it (systemd/README.md, "The broker"), readable by ${user}`;
  if (files.ca && uplink.ca && !isPemCertificate(files.ca)) {
    throw new SetupProblem('uplink.ca', uplink.ca, 'EBADPEM', 'not a PEM certificate (no -----BEGIN CERTIFICATE----- block that reads)',
      `put the fleet CA's certificate there (PEM), ${made}, or correct uplink.ca`);
  }
  if (files.cert && uplink.cert && !isPemCertificate(files.cert)) {
    throw new SetupProblem('uplink.cert', uplink.cert, 'EBADPEM', 'not a PEM certificate (no -----BEGIN CERTIFICATE----- block that reads)',
      `put this till's certificate there (PEM, not its key), ${made}, or correct uplink.cert`);
  }
  if (files.key && uplink.key) {
    try {
      createSecureContext({ key: files.key });
    } catch (error) {
      throw new SetupProblem('uplink.key', uplink.key, 'EBADPEM', `not a PEM private key without a passphrase (${(error as Error).message})`,
        `put the key of uplink.cert there (PEM, no passphrase: none can be given), ${made}, or correct uplink.key`);
    }
  }
  if (files.cert && files.key && uplink.cert && uplink.key) {
    try {
      createSecureContext({ cert: files.cert, key: files.key });
    } catch (error) {
      throw new SetupProblem('uplink.key', uplink.key, 'EBADPEM', `is not the key of uplink.cert ${uplink.cert} (${(error as Error).message})`,
        'put the key made with that certificate there (till-certs.sh writes the two together), or correct uplink.cert or uplink.key');
    }
  }
}

/** A PEM text whose first certificate block reads (a CA bundle's other blocks are the TLS library's to read). */
function isPemCertificate(pem: Buffer): boolean {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return false;
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first of a SQLite database's directory, file, -wal and -shm (those that exist) that this
 * process may not read and write, with its owner and mode. A file left by a run as root (`sudo
 * till-agent run`, `sudo till-agent host --doctor`) keeps the service's user out: SQLite then says
 * only "unable to open database file", or opens it read-only without a word and fails every write.
 */
export function accessDenied(file: string): { path: string; uid: number; mode: number } | undefined {
  for (const [path, mode] of [[dirname(file), constants.W_OK | constants.X_OK], [file, constants.R_OK | constants.W_OK],
    [`${file}-wal`, constants.R_OK | constants.W_OK], [`${file}-shm`, constants.R_OK | constants.W_OK]] as const) {
    try {
      accessSync(path, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      const st = statSync(path, { throwIfNoEntry: false });
      return { path, uid: st?.uid ?? -1, mode: (st?.mode ?? 0) & 0o777 };
    }
  }
  return undefined;
}

/** What to do when the service's `user` cannot use data_dir or its database `file` (accessDenied): start and doctor say the same. */
export function databaseAccessHint(file: string, user: string): string {
  return `data_dir and ${file} (with its -wal and -shm) must belong to the service's user: files left by a run as root `
    + `(sudo till-agent …) keep it out: chown ${user}:${user} ${file}* and the directory; never delete them (they hold what was not yet sent or applied)`;
}

/** accessDenied as a SetupProblem about data_dir, with the chown that lets `user` in; undefined when all is usable. */
export function databaseAccessProblem(file: string, user: string): SetupProblem | undefined {
  const denied = accessDenied(file);
  if (!denied) return undefined;
  return new SetupProblem('data_dir', denied.path, 'EACCES',
    `EACCES (not readable and writable by this user: owner uid ${denied.uid}, mode 0${denied.mode.toString(8)})`,
    databaseAccessHint(file, user));
}

/** A failed TCP listen on `address` ("HOST:PORT" of `key`) as a SetupProblem, or undefined. */
export function tcpListenProblem(error: unknown, key: string, address: string): SetupProblem | undefined {
  return setupProblem(error, key, address, (code) => {
    if (code === 'EADDRINUSE') {
      return `another program listens there (another till-agent or host, or a demo?): \`ss -ltnp\` shows which; stop it or change ${key}`;
    }
    if (code === 'EADDRNOTAVAIL') return `the host is not an address of this machine (\`ip -br addr\` lists them): use 127.0.0.1 or one of those in ${key}`;
    if (code === 'EACCES') return `ports below 1024 need a privilege the service does not have: use a port from 1024 up in ${key}`;
    return `check ${key}`;
  });
}
