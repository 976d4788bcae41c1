// op name → handler. Params arrive validated by the socket server (protocol/local.ts).
import type { HandledOp, Params } from '../../protocol/local.ts';
import { award } from './award.ts';
import { devicesList, devicesScan, drawerOpen, printerStatus } from './devices.ts';
import { displayShow, followSale } from './display.ts';
import { receiptPrint } from './receipt.ts';
import { scaleRead } from './scale.ts';
import type { OpsContext } from './context.ts';
import { identify } from './identify.ts';
import { refusedCustomerId } from './customer-id.ts';
import { lock, offers, unlock } from './offers.ts';
import { redeem, reinstate } from './redeem.ts';
import { outboxList, outboxRetry } from './outbox-admin.ts';
import { preview } from './preview.ts';
import { productsStatus, productsSync } from './products.ts';
import { refund } from './refund.ts';
import { spend } from './spend.ts';
import { status } from './status.ts';
import { voidTxn } from './void.ts';
import { voucherRedeem } from './voucher.ts';

type Handlers = { [O in HandledOp]: (ctx: OpsContext, params: Params<O>) => unknown };

export const handlers: Handlers = {
  identify,
  preview,
  award,
  spend,
  void: voidTxn,
  refund,
  'voucher.redeem': voucherRedeem,
  'products.sync': productsSync,
  'products.status': productsStatus,
  status: (ctx) => status(ctx),
  'outbox.list': outboxList,
  'outbox.retry': outboxRetry,
  'receipt.print': receiptPrint,
  'drawer.open': drawerOpen,
  'printer.status': printerStatus,
  'devices.list': (ctx) => devicesList(ctx),
  'devices.scan': devicesScan,
  'scale.read': scaleRead,
  'display.show': displayShow,
  offers,
  lock,
  unlock,
  redeem,
  reinstate,
};

export function dispatch(ctx: OpsContext, op: HandledOp, params: unknown): Promise<unknown> {
  // Every op naming a customer (preview, award, spend, offers, lock, redeem), in either protocol.
  const refused = refusedCustomerId(ctx, params);
  if (refused) return Promise.reject(refused);
  // An award's promise as it is: award() has the display follow the sale itself. Awaited here it was
  // one more async function and promise turn before the POS is answered (issue 10, offline enqueue).
  if (op === 'award') return award(ctx, params as Params<'award'>);
  return dispatchOther(ctx, op, params);
}

async function dispatchOther(ctx: OpsContext, op: HandledOp, params: unknown): Promise<unknown> {
  const handler = handlers[op] as (ctx: OpsContext, params: unknown) => unknown;
  const result = await handler(ctx, params);
  if (op === 'preview' || op === 'spend' || op === 'void') followSale(ctx, op, params, result);
  return result;
}
