// What the systemd/ tests share: running system tools (systemd-analyze, dpkg-deb, the install
// scripts), a clear failure when a tool is missing, a tiny unit-file parser and tree snapshots.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SYSTEMD_DIR = join(REPO, 'systemd');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; a non-zero exit is a result, not an exception. */
export function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
  });
}

/** The full path of an executable on PATH (plus the sbin directories), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Fails the test, naming the apt package to install, when a tool is missing. */
export function requireTool(t: { fail(message: string): void }, cmd: string, aptPackage: string): boolean {
  if (which(cmd)) return true;
  t.fail(`${cmd} is not installed: apt-get install ${aptPackage} (the systemd/ tests need it)`);
  return false;
}

/** A unit file as section → key → every value given (repeated keys accumulate, "" resets). */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit file line: ${raw}`);
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    section.set(key, value === '' ? [] : [...(section.get(key) ?? []), value]);
  }
  return unit;
}

/** All values of a key, or undefined when the key is absent. */
export function unitValues(unit: UnitFile, section: string, key: string): string[] | undefined {
  return unit.get(section)?.get(key);
}

export interface TreeEntry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  /** sha256 of a file, the target of a link */
  content?: string;
}

/**
 * Every path under root (relative, "/"-prefixed) with its type, permission bits and content hash.
 * `include` prunes the walk: a path it rejects is neither listed nor entered.
 */
export async function snapshot(root: string, include: (path: string) => boolean = () => true): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = `/${relative(root, path)}`;
      if (!include(rel)) continue;
      const st = await lstat(path);
      const mode = st.mode & 0o7777;
      if (st.isSymbolicLink()) out.set(rel, { type: 'link', mode, content: await readlink(path) });
      else if (st.isDirectory()) {
        out.set(rel, { type: 'dir', mode });
        await walk(path);
      } else out.set(rel, { type: 'file', mode, content: createHash('sha256').update(await readFile(path)).digest('hex') });
    }
  };
  await walk(root);
  return out;
}
