// Spend wallet balance on a sale. Online: the host decides how much can be spent (host/sale.ts).
// Offline: the till approves up to the floor limit, what is still to pay on the sale, and the last
// known balance minus this sale's award and spends it already queued for that customer; the host
// later applies exactly that. Version 2: the sale must have been awarded on this till and not voided,
// and a sale may have several spends, each named by its spend_id (its own outbox row and message,
// txn_id spendKey(sale, spend_id)); without spend_id it is the sale's one unnamed spend (txn_id).
import { AgentError } from '../../protocol/errors.ts';
import type { Params, SpendResult } from '../../protocol/local.ts';
import { legacySpendKey, spendKey } from '../../protocol/upstream.ts';
import { admitOfflineSpend } from '../offline-policy.ts';
import { answerOf } from '../upstream/host-results.ts';
import type { OutboxRow } from '../upstream/outbox.ts';
import type { OpsContext } from './context.ts';
import { awaitAnswer, commit, deadLetterError, fingerprint, newMessage } from './outcome.ts';
import { lastKnownBalance } from './known-balance.ts';
import { awardCredit, balanceAfterSpends, redemption, remainingToPay, saleOf, saleTxnOf, type Sale } from './sale.ts';

/** A spend as committed: its outbox key (txn_id) and what its payload adds to name its sale. */
interface SpendKey {
  key: string;
  /** The key a till made before 2026-12-03 (named spends only): a repeat of a spend committed then. */
  legacy?: string;
  named: { sale_txn_id: string; spend_id: string } | Record<string, never>;
  what: string;
}

function keyOf(ctx: OpsContext, p: Params<'spend'>): SpendKey {
  // Version 1 has no spend_id (its schema drops the key): exactly one spend per sale, as always.
  const spendId = ctx.protocol >= 2 && 'spend_id' in p ? p.spend_id : undefined;
  if (spendId === undefined) return { key: p.txn_id, named: {}, what: `spend for txn_id ${p.txn_id}` };
  return { key: spendKey(p.txn_id, spendId), legacy: legacySpendKey(p.txn_id, spendId), named: { sale_txn_id: p.txn_id, spend_id: spendId }, what: `spend ${spendId} of txn_id ${p.txn_id}` };
}

function findSpend(ctx: OpsContext, id: SpendKey): OutboxRow | undefined {
  return ctx.outbox.findByTxn('spend', id.key) ?? (id.legacy === undefined ? undefined : ctx.outbox.findByTxn('spend', id.legacy));
}

export async function spend(ctx: OpsContext, p: Params<'spend'>): Promise<SpendResult> {
  ctx.currencies.check(p.currency, 'params.currency'); // points are earned, not spent at the till
  const print = fingerprint({ customer_id: p.customer_id, amount: p.amount, currency: p.currency });
  const id = keyOf(ctx, p);
  const existing = findSpend(ctx, id);
  if (existing) {
    if (existing.fingerprint !== print) {
      throw new AgentError('CONFLICT', `${id.what} was already submitted with different content`);
    }
    return spendResult(ctx, await awaitAnswer(ctx, existing));
  }
  // A host without wallet spend (SessionM) would dead-letter it: offline the POS had deducted it already.
  ctx.hostOps.check('spend');
  const sale = saleOf(ctx, p.txn_id);
  if (ctx.protocol >= 2) requireOpenSale(sale, p);
  if (ctx.uplink.connected) {
    const row = await commit(ctx, newMessage(ctx, 'spend', {
      txn_id: id.key,
      fingerprint: print,
      customer_id: p.customer_id,
      payload: { customer_id: p.customer_id, amount: p.amount, currency: p.currency, offline: false, ...id.named },
      offline: false,
      // Counted as queued at its full amount until the host says how much was spent.
      amount: p.amount,
      currency: p.currency,
    }));
    return spendResult(ctx, await awaitAnswer(ctx, row));
  }
  // Offline approvals for one customer one at a time: two concurrent spends must not both see the same balance.
  return ctx.customerLocks.run(p.customer_id, () => offlineSpend(ctx, p, print, id));
}

/** Version 2: "Spend is the awarded amount that will be deducted from the basket's total amount" — of a sale this till awarded. */
function requireOpenSale(sale: Sale, p: Params<'spend'>): void {
  const award = sale.award;
  if (!award) throw new AgentError('SALE_NOT_FOUND', `no award with txn_id ${p.txn_id} on this till: award the sale before spending on it`);
  if (award.state === 'dead') throw new AgentError('SALE_NOT_FOUND', `the award of txn_id ${p.txn_id} was refused by the loyalty host (dead letter ${award.id}): there is no sale to spend on`);
  if (sale.void) throw new AgentError('SALE_VOIDED', `the sale ${p.txn_id} was voided: nothing is left to pay on it`);
  if (award.customer_id !== p.customer_id) throw new AgentError('BAD_REQUEST', `params.customer_id: sale ${p.txn_id} was awarded to another customer`);
  if (award.currency !== p.currency) throw new AgentError('BAD_REQUEST', `params.currency: sale ${p.txn_id} is in ${award.currency}`);
}

async function offlineSpend(ctx: OpsContext, p: Params<'spend'>, print: string, id: SpendKey): Promise<SpendResult> {
  // Read under the customer's lock: a spend of the same sale approved just before is counted.
  const sale = saleOf(ctx, p.txn_id);
  const repeat = findSpend(ctx, id);
  if (repeat) {
    if (repeat.fingerprint !== print) throw new AgentError('CONFLICT', `${id.what} was already submitted with different content`);
    return spendResult(ctx, repeat);
  }
  const limit = ctx.config.offline.spend_floor_limit;
  const decline = (why: string) => new AgentError('OFFLINE_SPEND_DECLINED', `offline spend declined: ${why}`);
  if (limit === 0) throw decline('offline spend is disabled on this till (offline.spend_floor_limit is 0)');
  if (p.amount > limit) throw decline(`amount ${p.amount} is above the offline floor limit ${limit}`);
  // Version 1 reaches here for a voided sale too (version 2: SALE_VOIDED): nothing is left to pay on
  // it, as the host answers online (spent_amount 0), and the host applies an offline spend as approved.
  if (sale.void !== undefined && sale.void.state !== 'dead') throw decline(`sale ${p.txn_id} was voided: nothing is left to pay on it`);
  const known = lastKnownBalance(ctx, p.customer_id);
  if (!known) throw decline('no recent balance known for this customer on this till');
  if (known.currency !== p.currency) {
    throw decline(`the customer's wallet is in ${known.currency}, not ${p.currency}`);
  }
  // Spendable is what earlier purchases left: the last known balance counts this sale's award once the host answered it.
  const credit = sale.award?.customer_id === p.customer_id ? awardCredit(sale) : 0; // v1 may spend on another's sale
  const available = known.amount - credit - ctx.outbox.pendingSpend(p.customer_id, p.currency);
  const remaining = remainingToPay(sale);
  if (remaining !== undefined && remaining <= 0) throw decline(`nothing is left to pay on sale ${p.txn_id}`);
  const spent = Math.min(p.amount, available, remaining ?? available);
  if (spent <= 0) throw decline('no balance left after spends already queued on this till');
  // Till-wide limits (total amount and count, time offline): offline-policy.ts.
  const release = admitOfflineSpend(ctx, p.currency, spent);
  const row = await commit(ctx, newMessage(ctx, 'spend', {
    txn_id: id.key,
    fingerprint: print,
    customer_id: p.customer_id,
    payload: { customer_id: p.customer_id, amount: spent, currency: p.currency, offline: true, ...id.named },
    offline: true,
    amount: spent,
    currency: p.currency,
  })).finally(release);
  return spendResult(ctx, row);
}

function spendResult(ctx: OpsContext, row: OutboxRow): SpendResult {
  const currency = row.currency ?? '';
  if (row.state === 'dead') throw deadLetterError(row);
  const txnId = saleTxnOf(row);
  const spendId = typeof row.payload.spend_id === 'string' ? { spend_id: row.payload.spend_id } : {};
  // The sale's redemption total so far (CRM.COM Step 5), every spend of the sale included.
  const totals = () => redemption(saleOf(ctx, txnId));
  if (row.state === 'done') {
    const r = answerOf(row, 'spend');
    const sale = saleOf(ctx, txnId);
    const out: SpendResult = {
      status: 'spent', txn_id: txnId, ...spendId, currency, spent_amount: r.spent_amount, offline: row.offline, ...redemption(sale),
    };
    out.balance = r.balance;
    // Version 2, a spend repeated after later spends of its sale: its totals count them, so its
    // balance is after them too, as a repeated award's is (LOCAL.md "Several spends on one sale");
    // and after a later return or void of the sale (saleOf keeps those the host did not refuse): after
    // a void it gave the balance from before it, the spend it gave back still taken.
    const later = (r: OutboxRow | undefined) => r !== undefined && r.seq > row.seq && r.state !== 'dead';
    if (ctx.protocol >= 2 && (sale.spends.some(later) || (sale.refunds ?? []).some(later) || later(sale.void))) {
      out.balance = balanceAfterSpends(ctx, row.customer_id, sale, r.balance?.currency) ?? r.balance;
    }
    if (r.voucher) Object.assign(out, { reduction: 'back_end', voucher: r.voucher });
    return out;
  }
  if (row.offline) {
    const out: SpendResult = { status: 'queued', txn_id: txnId, ...spendId, currency, spent_amount: row.amount ?? 0, offline: true, ...totals() };
    const known = row.customer_id ? lastKnownBalance(ctx, row.customer_id) : undefined;
    if (known && row.customer_id) {
      out.balance = { amount: known.amount - ctx.outbox.pendingSpend(row.customer_id, currency), currency };
    }
    return out;
  }
  // An online spend the host has not answered: its outcome is decided upstream, not here. Committed,
  // so UPSTREAM_TIMEOUT also when the link dropped meanwhile: UPSTREAM_UNAVAILABLE says nothing was.
  const why = ctx.uplink.connected ? 'did not answer the spend in time' : 'became unreachable before it answered the spend';
  throw new AgentError('UPSTREAM_TIMEOUT',
    `the loyalty host ${why}; it is committed and will be applied: repeat the same spend to learn the spent amount, or void txn ${txnId}`);
}
