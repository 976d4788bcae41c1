// `till-agent outbox list|retry|export`: dead letters and the queue, for a technician.
import { existsSync } from 'node:fs';
import { CONNECTION_FLAGS, call, connectionFrom, targetFrom, warnIfAnotherTill } from '../client.ts';
import { UsageError, intFlag, parseFlags } from './args.ts';
import { locateDatabase } from './locate-config.ts';
import { describeAnswer } from './outbox-answer.ts';
import { field, print, printError, safeJson } from './output.ts';
import { describeLoss, salvageOutbox } from '../../agent/storage/outbox-salvage.ts';

const HELP = `till-agent outbox <list|retry|export> [options]

  list   [--state dead|pending|done] [--limit N] [--json]   messages as the agent sees them:
                                                             the oldest N (default 100) dead
                                                             or pending ones, the newest N
                                                             done ones with the host's answer
                                                             (award, points, spend, balance)
  retry  ID | --all                                          put dead letters back in the queue
  export [--state STATE]                                     every row as JSON lines, read
                                                             straight from the SQLite file;
                                                             from a damaged file, every row
                                                             still readable (exit 1, the
                                                             unreadable seq ranges on stderr)
Connection: --config FILE | --data DIR | --socket PATH | --tcp HOST:PORT
  (default: /etc/till-agent/config.yaml, else the demo's ./data). export reads the
  database file whether the agent runs or not: --config FILE, or --data DIR (a demo's
  data directory, or the agent's data_dir itself).
`;

const STATES = ['dead', 'pending', 'done'] as const;

const FLAGS = {
  list: { ...CONNECTION_FLAGS, state: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
  retry: { ...CONNECTION_FLAGS, all: { type: 'boolean' } },
  export: { ...CONNECTION_FLAGS, state: { type: 'string' } },
} as const;

interface Listed {
  pending: number;
  dead: number;
  messages: Array<{
    id: string; op: string; txn_id: string | null; state: string; attempts: number; created_at: string;
    error: { code: string; message: string } | null; result?: unknown; result_error?: string;
  }>;
}

export async function outboxCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    print(HELP);
    return sub ? 0 : 2;
  }
  if (!Object.hasOwn(FLAGS, sub)) throw new UsageError(`unknown subcommand "${sub}" (list, retry or export)`);
  try {
    switch (sub) {
      case 'list': {
        const { values } = parseFlags(rest, FLAGS.list);
        if (values.help) return help();
        const state = checkState(values.state) ?? 'dead';
        const params = { state, limit: intFlag(values.limit, 'limit', 100, 1, 1000) };
        const target = targetFrom(connectionFrom(values));
        const [listed] = (await call(target, [{ op: 'outbox.list', params }], undefined, (hello) => warnIfAnotherTill('outbox list', target, hello))) as [Listed];
        if (values.json) print(safeJson(listed, 2) + '\n');
        else {
          print(`${listed.pending} pending, ${listed.dead} dead; showing ${state === 'done' ? `the newest ${listed.messages.length} done` : state}:\n`);
          for (const m of listed.messages) {
            const answer = m.state === 'done' ? describeAnswer(m.op, m.result) : '';
            const error = m.error ? `  ${field(m.error.code)}: ${field(m.error.message)}`
              : m.result_error ? `  answer unreadable: ${field(m.result_error)}`
              : answer ? `  ${field(answer)}` : '';
            print(`${field(m.id)}  ${field(m.op).padEnd(13)} ${field(m.txn_id ?? '-').padEnd(20)} ${field(m.created_at)}  tries ${m.attempts}${error}\n`);
          }
        }
        return 0;
      }
      case 'retry': {
        const { values, positionals: [id] } = parseFlags(rest, FLAGS.retry, 1);
        if (values.help) return help();
        if (!id === !values.all) throw new UsageError('give a message id or --all');
        const target = targetFrom(connectionFrom(values));
        const [r] = (await call(target, [{ op: 'outbox.retry', params: values.all ? { all: true } : { id } }], undefined, (hello) => warnIfAnotherTill('outbox retry', target, hello))) as [{ retried: number }];
        print(`${r.retried} message(s) put back in the queue\n`);
        return 0;
      }
      default: {
        const { values } = parseFlags(rest, FLAGS.export);
        if (values.help) return help();
        for (const flag of ['socket', 'tcp'] as const) {
          if (values[flag] !== undefined) throw new UsageError(`export reads the database file, not the agent's socket: give --config FILE or --data DIR, not --${flag}`);
        }
        connectionFrom(values); // only one of --config / --data
        const { file } = locateDatabase(values);
        if (!existsSync(file)) throw new Error(`${file} does not exist`);
        // Salvages what is readable from a damaged file; what is not is said on stderr (exit 1).
        const report = salvageOutbox(file, checkState(values.state) ?? null, (row) => print(safeJson(row) + '\n'));
        if (report.lost.length > 0 || report.garbled > 0 || report.recovered > 0 || report.unreadable) {
          printError(`till-agent outbox export: ${file} is damaged: ${describeLoss(report)}\n`);
          return 1;
        }
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    printError(`till-agent outbox ${sub}: ${(error as Error).message}\n`);
    // The agent stopped (a setup problem, a damaged database): what it holds is still in its file.
    if (sub === 'list' && /^cannot reach the agent/.test((error as Error).message)) {
      printError('  with the agent stopped, its queue is read from the database file: '
        + 'till-agent outbox export --config FILE [--state pending|dead|done] (one JSON line a message)\n');
    }
    return 1;
  }
}

function checkState(state: string | undefined): string | undefined {
  if (state !== undefined && !(STATES as readonly string[]).includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}`);
  return state;
}

function help(): number {
  print(HELP);
  return 0;
}
