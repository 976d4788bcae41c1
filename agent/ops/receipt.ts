// receipt.print: the POS's document, plus the loyalty section of its sale when txn_id is given,
// laid out for this printer and queued on it. A job that cannot print fails visibly.
import type { Params } from '../../protocol/local.ts';
import { layoutReceipt } from '../receipts/layout.ts';
import { loyaltySection } from '../receipts/loyalty-section.ts';
import { printableIn, renderEscPos } from '../receipts/render.ts';
import type { OpsContext } from './context.ts';
import { asAgentError, printerOf } from './devices.ts';

export async function receiptPrint(ctx: OpsContext, p: Params<'receipt.print'>) {
  const printer = printerOf(ctx, p.printer);
  const rows = p.txn_id ? ctx.outbox.forTxn(p.txn_id) : [];
  const customerId = rows.find((r) => r.customer_id)?.customer_id;
  const name = customerId ? ctx.cache.get(customerId)?.customer.name : undefined;
  const loyalty = loyaltySection(rows, name) ?? undefined;
  const ops = layoutReceipt(p.document, { width: printer.width, printable: printableIn(printer.codePage) }, loyalty, p.txn_id);
  if (p.open_drawer) ops.push({ kind: 'drawer' });
  const job = printer.submit(renderEscPos(ops, { codePage: printer.codePage }), { kind: 'receipt' });
  const settle = job.done.then(
    (result) => {
      ctx.onPrintJob(printer.name, 'printed');
      ctx.events.emit('print', { printer: printer.name, job_id: job.job_id, status: 'printed', warnings: result.warnings });
      return result;
    },
    (error: unknown) => {
      const e = asAgentError(error) as { code?: string; message?: string };
      ctx.onPrintJob(printer.name, e.code ?? 'failed');
      ctx.log.warn({ printer: printer.name, job_id: job.job_id, code: e.code }, 'print job failed');
      ctx.events.emit('print', { printer: printer.name, job_id: job.job_id, status: 'failed', error: { code: e.code, message: e.message } });
      throw error;
    },
  );
  if (job.queued) {
    // The printer is not ready: the job waits (bounded) and the outcome arrives as a `print` event.
    settle.catch(() => undefined);
    return { status: 'queued', printer: printer.name, job_id: job.job_id, loyalty: Boolean(loyalty) };
  }
  try {
    const result = await settle;
    return { status: 'printed', printer: printer.name, job_id: job.job_id, warnings: result.warnings, loyalty: Boolean(loyalty) };
  } catch (error) {
    throw asAgentError(error);
  }
}
