// What to do when the service's user cannot use data_dir or its database files (db.ts accessDenied):
// the agent's start (run.ts) and doctor say the same.
export function databaseAccessHint(file: string): string {
  return `data_dir and ${file} (with its -wal and -shm) must belong to the service's user: files left by a run as root `
    + `(sudo till-agent run) keep it out: chown till-agent:till-agent ${file}* and the directory; never delete them (they may hold unsent sales)`;
}
