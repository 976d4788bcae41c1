// Files shipped next to the program (package.json, host/seed.sample.yaml), found from this
// module whether it runs from the sources (agent/) or compiled (build/agent/, as installed).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOTS = [new URL('../', import.meta.url), new URL('../../', import.meta.url)];

/** The absolute path of `path`, relative to the directory that holds package.json. */
export function packageFile(path: string): string {
  const root = ROOTS.find((dir) => existsSync(new URL('package.json', dir))) ?? ROOTS[0]!;
  return fileURLToPath(new URL(path, root));
}
