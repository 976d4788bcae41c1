// `till-agent outbox list|retry|export`: dead letters and the queue, for a technician.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { call, targetFrom } from '../cli-client.ts';
import { loadConfig } from '../config.ts';
import { parseArgs } from './args.ts';

const HELP = `till-agent outbox <list|retry|export> [options]

  list   [--state dead|pending|done] [--limit N] [--json]   messages as the agent sees them
  retry  ID | --all                                          put dead letters back in the queue
  export [--state STATE]                                     every row as JSON lines, read
                                                             straight from the SQLite file
Connection: --config FILE (default /etc/till-agent/config.yaml) | --socket PATH | --tcp HOST:PORT
`;

interface Listed {
  pending: number;
  dead: number;
  messages: Array<{ id: string; op: string; txn_id: string | null; state: string; attempts: number; created_at: string; error: { code: string; message: string } | null }>;
}

export async function outboxCommand(args: string[]): Promise<number> {
  const { options, positional } = parseArgs(args, ['help', 'json', 'all']);
  const [sub, id] = positional;
  if (options.help || !sub) {
    process.stdout.write(HELP);
    return options.help ? 0 : 2;
  }
  try {
    switch (sub) {
      case 'list': {
        const params = { state: typeof options.state === 'string' ? options.state : 'dead', limit: Number(options.limit ?? 100) };
        const [listed] = (await call(targetFrom(options), [{ op: 'outbox.list', params }])) as [Listed];
        if (options.json) process.stdout.write(JSON.stringify(listed, null, 2) + '\n');
        else {
          process.stdout.write(`${listed.pending} pending, ${listed.dead} dead; showing ${params.state}:\n`);
          for (const m of listed.messages) {
            process.stdout.write(`${m.id}  ${m.op.padEnd(13)} ${(m.txn_id ?? '-').padEnd(20)} ${m.created_at}  tries ${m.attempts}${m.error ? `  ${m.error.code}: ${m.error.message}` : ''}\n`);
          }
        }
        return 0;
      }
      case 'retry': {
        if (!id && !options.all) throw new Error('give a message id or --all');
        const [r] = (await call(targetFrom(options), [{ op: 'outbox.retry', params: options.all ? { all: true } : { id } }])) as [{ retried: number }];
        process.stdout.write(`${r.retried} message(s) put back in the queue\n`);
        return 0;
      }
      case 'export': {
        const config = loadConfig(typeof options.config === 'string' ? options.config : '/etc/till-agent/config.yaml');
        const db = new Database(join(config.data_dir, 'till-agent.db'), { readonly: true, fileMustExist: true });
        try {
          const state = typeof options.state === 'string' ? options.state : null;
          const rows = db.prepare(`SELECT * FROM outbox WHERE ? IS NULL OR state = ? ORDER BY seq`).iterate(state, state);
          for (const row of rows as Iterable<Record<string, unknown>>) {
            for (const k of ['payload', 'result', 'error']) if (typeof row[k] === 'string') row[k] = JSON.parse(row[k] as string);
            process.stdout.write(JSON.stringify(row) + '\n');
          }
        } finally {
          db.close();
        }
        return 0;
      }
      default:
        process.stderr.write(`till-agent outbox: unknown subcommand "${sub}"\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    process.stderr.write(`till-agent outbox ${sub}: ${(error as Error).message}\n`);
    return 1;
  }
}
