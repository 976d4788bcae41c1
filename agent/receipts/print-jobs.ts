// Durable record of receipt.print job ids, so that a POS repeating a print (after a timeout, a
// lost connection or an agent restart) never gets a second receipt unless it asks for a copy.
//
//   queued ──first byte──► printing ──► printed | sent | uncertain
//     └──────── nothing sent ─────────► failed   (may be printed again with the same job id)
//
// States are written before the step they describe (synchronous SQLite, synchronous=FULL):
// after a crash, `queued` means nothing was sent and `printing` means it may have been.
import type { Db } from '../storage/db.ts';

export const PRINT_JOB_STATES = ['queued', 'printing', 'printed', 'sent', 'uncertain', 'failed'] as const;
export type PrintJobState = (typeof PRINT_JOB_STATES)[number];

export interface PrintJobRow {
  job_id: string;
  printer: string;
  fingerprint: string;
  state: PrintJobState;
  reason: string | null;
  /** Reprints ("COPY") made of this job. */
  copies: number;
  created_at: string;
  updated_at: string;
}

/** A terminal state that must not be printed again without `reprint`. */
export function printedOrMaybe(state: PrintJobState): boolean {
  return state === 'printed' || state === 'sent' || state === 'uncertain';
}

export class PrintJobs {
  constructor(private readonly db: Db, private readonly now: () => Date) {}

  get(jobId: string): PrintJobRow | undefined {
    return this.db.prepare('SELECT * FROM print_jobs WHERE job_id = ?').get(jobId) as PrintJobRow | undefined;
  }

  /** A new job, a retry of a failed one, or a copy: (re)starts it as `queued`. */
  begin(jobId: string, printer: string, fingerprint: string, copy: boolean): void {
    const at = this.now().toISOString();
    this.db.prepare(`INSERT INTO print_jobs (job_id, printer, fingerprint, state, copies, created_at, updated_at)
                     VALUES (?, ?, ?, 'queued', ?, ?, ?)
                     ON CONFLICT (job_id) DO UPDATE SET state = 'queued', reason = NULL, printer = excluded.printer,
                       copies = copies + ?, updated_at = excluded.updated_at`)
      .run(jobId, printer, fingerprint, copy ? 1 : 0, at, at, copy ? 1 : 0);
  }

  mark(jobId: string, state: PrintJobState, reason?: string): void {
    this.db.prepare('UPDATE print_jobs SET state = ?, reason = ?, updated_at = ? WHERE job_id = ?')
      .run(state, reason ?? null, this.now().toISOString(), jobId);
  }

  /**
   * At start: jobs the previous run left unfinished. `queued` ones never sent a byte (failed:
   * the POS may print them again); `printing` ones may be on paper (uncertain).
   */
  recover(): { failed: number; uncertain: number } {
    const at = this.now().toISOString();
    const failed = this.db.prepare(`UPDATE print_jobs SET state = 'failed', reason = 'agent_restarted', updated_at = ? WHERE state = 'queued'`).run(at).changes;
    const uncertain = this.db.prepare(`UPDATE print_jobs SET state = 'uncertain', reason = 'agent_restarted', updated_at = ? WHERE state = 'printing'`).run(at).changes;
    return { failed, uncertain };
  }

  prune(before: Date): number {
    return this.db.prepare(`DELETE FROM print_jobs WHERE updated_at < ? AND state NOT IN ('queued', 'printing')`).run(before.toISOString()).changes;
  }
}
