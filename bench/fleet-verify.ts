// The fleet bench's verdict, from the host's ledger after the run: every award a till got an
// answer for was applied exactly once, nothing was applied that no till sent, and each till's
// awards were applied in the order the till committed them. Pure, so a test can hand it a
// ledger with a missing, doubled or reordered award and see it fail.

export interface TillRecord {
  /** The host's name for the till: `merchant/store/terminal` (ledger column `entries.terminal`). */
  terminal: string;
  /** txn_ids in the till's outbox order (the order it committed and sends them). */
  sent: readonly string[];
  /** txn_ids the host answered ok (the outbox row reached `done`). */
  acked: ReadonlySet<string>;
}

/** One `award` entry of the ledger, in the order the host applied them (`entries.seq`). */
export interface LedgerAward {
  terminal: string | null;
  txn_id: string | null;
}

export interface FleetVerdict {
  /** Awards the tills got an ok answer for. */
  acked: number;
  /** Award entries in the ledger for the fleet's tills. */
  applied: number;
  /** Acknowledged but not in the ledger: lost. */
  missing: number;
  /** In the ledger more than once: applied twice. */
  duplicated: number;
  /** Sent but never acknowledged by the end (still pending or dead-lettered). */
  unacked: number;
  /** In the ledger but never sent by that till. */
  unexpected: number;
  /** Awards applied before one the till committed earlier. */
  outOfOrder: number;
  /** Up to 10 examples, readable. */
  problems: string[];
}

export function verifyFleet(tills: readonly TillRecord[], ledger: readonly LedgerAward[]): FleetVerdict {
  const verdict: FleetVerdict = { acked: 0, applied: 0, missing: 0, duplicated: 0, unacked: 0, unexpected: 0, outOfOrder: 0, problems: [] };
  const say = (text: string) => { if (verdict.problems.length < 10) verdict.problems.push(text); };
  const byTerminal = new Map<string, Array<string | null>>();
  for (const entry of ledger) {
    if (entry.terminal === null) continue;
    let list = byTerminal.get(entry.terminal);
    if (!list) byTerminal.set(entry.terminal, (list = []));
    list.push(entry.txn_id);
  }
  const known = new Set(tills.map((t) => t.terminal));
  for (const [terminal, list] of byTerminal) {
    if (!known.has(terminal)) {
      verdict.unexpected += list.length;
      say(`${terminal}: ${list.length} award(s) from a till not in the fleet`);
    }
  }
  for (const till of tills) {
    const applied = byTerminal.get(till.terminal) ?? [];
    verdict.applied += applied.length;
    const position = new Map(till.sent.map((txn, i) => [txn, i]));
    const count = new Map<string, number>();
    let previous = -1;
    for (const txn of applied) {
      const at = txn === null ? undefined : position.get(txn);
      if (txn === null || at === undefined) {
        verdict.unexpected += 1;
        say(`${till.terminal}: ${txn ?? '(no txn_id)'} applied but never sent by this till`);
        continue;
      }
      const seen = (count.get(txn) ?? 0) + 1;
      count.set(txn, seen);
      if (seen > 1) continue; // counted below, once per txn
      if (at < previous) {
        verdict.outOfOrder += 1;
        say(`${till.terminal}: ${txn} applied after ${till.sent[previous]}, which the till committed later`);
      }
      previous = Math.max(previous, at);
    }
    for (const txn of till.sent) {
      const n = count.get(txn) ?? 0;
      if (n > 1) {
        verdict.duplicated += 1;
        say(`${till.terminal}: ${txn} applied ${n} times`);
      }
      if (!till.acked.has(txn)) {
        verdict.unacked += 1;
        say(`${till.terminal}: ${txn} never acknowledged`);
        continue;
      }
      verdict.acked += 1;
      if (n === 0) {
        verdict.missing += 1;
        say(`${till.terminal}: ${txn} acknowledged but not in the ledger`);
      }
    }
  }
  return verdict;
}

/** True when the verdict shows nothing lost, nothing twice, nothing out of order. */
export function verdictClean(v: FleetVerdict): boolean {
  return v.missing === 0 && v.duplicated === 0 && v.unacked === 0 && v.unexpected === 0 && v.outOfOrder === 0;
}
