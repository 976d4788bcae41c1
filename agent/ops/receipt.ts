// receipt.print: the POS's document, plus the loyalty section of its sale when txn_id is given,
// laid out for this printer and queued on it. Each print has a job id, recorded durably: the
// same job id prints once (a repeat answers with the first outcome) unless `reprint` asks for a
// copy, which is marked COPY. An interrupted job is `uncertain`: the POS decides about a reprint.
import { opaqueId } from '../../protocol/digest-key.ts';
import { isDriverError } from '../../drivers/errors.ts';
import type { PrintResult } from '../../drivers/types.ts';
import { AgentError } from '../../protocol/errors.ts';
import type { Params } from '../../protocol/local.ts';
import { isDiskFull } from '../storage/db.ts';
import { printedOrMaybe, type PrintJobState } from '../receipts/print-jobs.ts';
import { layoutReceipt } from '../receipts/layout.ts';
import { loyaltySection } from '../receipts/loyalty-section.ts';
import { redemptionRows } from '../receipts/offer-redemptions.ts';
import { encodeEscPos, printableIn } from '../receipts/encode.ts';
import type { OpsContext } from './context.ts';
import { asAgentError, printerOf } from './devices.ts';
import { fingerprint } from './outcome.ts';
import { lastKnownBalance } from './known-balance.ts';
import type { OutboxRow } from '../upstream/outbox.ts';

export async function receiptPrint(ctx: OpsContext, p: Params<'receipt.print'>) {
  const printer = printerOf(ctx, p.printer);
  const jobId = p.job_id ?? opaqueId();
  const print = fingerprint({ document: p.document, txn_id: p.txn_id, open_drawer: p.open_drawer });
  const known = p.job_id ? ctx.printJobs.get(jobId) : undefined;
  if (known && known.fingerprint !== print) {
    throw new AgentError('CONFLICT', `print job ${jobId} was already submitted with other content`);
  }
  if (known && !p.reprint && (printedOrMaybe(known.state) || known.state === 'queued' || known.state === 'printing')) {
    // Already printed (or possibly printed, or on its way): never a second receipt by accident.
    return {
      status: known.state === 'printing' ? 'queued' : known.state, printer: known.printer, job_id: jobId, duplicate: true,
      ...(known.reason ? { reason: known.reason } : {}), copies: known.copies,
    };
  }

  // The sale's rows, its named spends (spend_id: keyed apart, payload.sale_txn_id) and its offer redemptions.
  const rows = p.txn_id ? [...ctx.outbox.forTxn(p.txn_id), ...ctx.outbox.forSale('spend', p.txn_id), ...redemptionRows(ctx.outbox, p.txn_id)] : [];
  const customerId = rows.find((r) => r.customer_id)?.customer_id;
  const cached = customerId ? ctx.cache.get(customerId) : undefined;
  // A spend approved offline: its balance counts the customer's other offline spends too (loyalty-section.ts),
  // from the last known balance, as the spend's answer did (known-balance.ts: also a customer never identified here).
  const balance = customerId && rows.some(pendingOffline) ? lastKnownBalance(ctx, customerId) : undefined;
  const offline = balance && customerId
    ? { balance, spends: ctx.outbox.offlineSpendsOf(customerId, balance.currency) }
    : undefined;
  const loyalty = loyaltySection(rows, cached?.customer.name, offline) ?? undefined;
  const { identity } = ctx;
  const ops = layoutReceipt(p.document, {
    width: printer.width,
    printable: printableIn(printer.codePage),
    meta: {
      at: p.document.date ? new Date(p.document.date) : ctx.now(),
      saleNumber: p.document.sale_number ?? p.txn_id ?? jobId,
      storeHeader: [identity.merchant, `Store ${identity.store}`],
      till: `Till ${identity.terminal}`,
      copy: p.reprint,
    },
  }, loyalty, p.txn_id);
  if (p.open_drawer && !p.reprint) ops.push({ kind: 'drawer' });

  const copy = p.reprint;
  try {
    ctx.printJobs.begin(jobId, printer.name, print, copy);
  } catch (error) {
    // Without its record a repeat could print twice: print nothing rather than that.
    if (isDiskFull(error)) throw new AgentError('STORAGE_FULL', `the till's disk is full: print job ${jobId} was not recorded, nothing printed`);
    throw error;
  }
  // Later records are best effort: a full disk must not stop a receipt that is already printing.
  const mark = (state: PrintJobState, reason?: string) => {
    try {
      ctx.printJobs.mark(jobId, state, reason);
    } catch (error) {
      ctx.log.error({ err: error, job_id: jobId, state }, 'print job state not recorded');
    }
  };
  const bytes = encodeEscPos(ops, { codePage: printer.codePage });
  ctx.onReceipt({ job_id: jobId, printer: printer.name, txn_id: p.txn_id ?? null, columns: printer.width, at: ctx.now().toISOString(), bytes });
  // A printer ready now may be found not answering before the first byte: the job then waits for
  // it as one sent while it was offline does, and the POS hears `queued` then, not at the timeout.
  let waiting!: () => void;
  const wentBack = new Promise<undefined>((resolve) => { waiting = () => resolve(undefined); });
  const job = printer.submit(bytes, { kind: 'receipt', onSending: () => mark('printing'), onWaiting: () => waiting() });
  const base = { printer: printer.name, job_id: jobId, loyalty: Boolean(loyalty), ...(copy ? { copy: true } : {}) };
  const settle = job.done.then(
    (result: PrintResult) => {
      mark(result.outcome, result.reason);
      ctx.onPrintJob(printer.name, result.outcome);
      const outcome = { status: result.outcome, warnings: result.warnings, ...(result.reason ? { reason: result.reason } : {}) };
      ctx.events.emit('print', { ...base, ...outcome });
      return outcome;
    },
    (error: unknown) => {
      const e = asAgentError(error) as { code?: string; message?: string };
      mark('failed', isDriverError(error) ? error.reason : e.code);
      ctx.onPrintJob(printer.name, e.code ?? 'failed');
      ctx.log.warn({ printer: printer.name, job_id: jobId, txn_id: p.txn_id, code: e.code }, 'print job failed');
      ctx.events.emit('print', { ...base, status: 'failed', error: { code: e.code, message: e.message } });
      throw error;
    },
  );
  // The printer is not ready: the job waits (bounded) and the outcome arrives as a `print` event.
  const queued = () => {
    settle.catch(() => undefined);
    return { status: 'queued', ...base };
  };
  if (job.queued) return queued();
  try {
    const outcome = await Promise.race([settle, wentBack]);
    return outcome ? { ...outcome, ...base } : queued();
  } catch (error) {
    throw asAgentError(error);
  }
}

function pendingOffline(row: OutboxRow): boolean {
  return row.op === 'spend' && row.state === 'pending' && row.offline;
}
