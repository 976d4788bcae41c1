// The durable ops the loyalty host's backend does not offer (a platform backend: SessionM has no
// wallet spend), so the till refuses them before committing instead of queueing a message the host
// can only dead-letter. It matters most offline: a spend approved by the till is deducted by the POS
// at once and, with such a host, could never be applied ("nothing acknowledged lost"); a void or a
// return answered "queued" was dead-lettered likewise. Every durable op but award checks it (spend,
// void, refund, redeem, reinstate, voucher.redeem, products.sync); a repeat of one already committed
// is answered from its row, as before.
// Learnt from the host's identify and preview answers (`unsupported_ops`) and kept in the meta table
// across restarts; each online answer replaces it (absent: the host offers everything, e.g. the
// ledger backend, or a host that predates the field). Knowing nothing yet, the till lets the host decide.
import { AgentError } from '../../protocol/errors.ts';
import type { Db } from '../storage/db.ts';
import { readStringList, storeStringList } from '../storage/meta-strings.ts';
import type { Logger } from '../../runtime/log.ts';

const KEY = 'host_unsupported_ops';

export class HostOps {
  private unsupported: readonly string[] = [];

  constructor(private readonly db: Db, private readonly log?: Logger) {
    this.unsupported = readStringList(db, KEY) ?? [];
  }

  /** What an online identify or preview answer said (best effort: a full disk keeps it in memory only). */
  learn(ops: readonly string[] | undefined): void {
    const sorted = [...new Set(ops ?? [])].sort();
    if (sorted.join() === this.unsupported.join()) return;
    this.unsupported = sorted;
    try {
      storeStringList(this.db, KEY, sorted);
    } catch (error) {
      this.log?.warn({ err: error }, 'could not store the ops the host does not offer');
    }
  }

  /** What the host said last (sorted; empty: it offers everything, or the till has not heard yet). */
  list(): readonly string[] {
    return this.unsupported;
  }

  /** UNSUPPORTED (nothing committed) when the host said it does not offer `op`. */
  check(op: string): void {
    if (this.unsupported.includes(op)) {
      throw new AgentError('UNSUPPORTED', `${op} is not offered by the loyalty host's backend (it said so in its last identify or preview answer): nothing was committed`, false);
    }
  }
}
