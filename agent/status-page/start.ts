// Wires the status page to the agent: its snapshot is `status` plus the till's identity, the
// dead letters and the last receipts; its two actions go through the same ops as the POS's.
import { parseParams } from '../../protocol/local.ts';
import type { Money } from '../../protocol/money.ts';
import { AgentError } from '../../protocol/errors.ts';
import { isLoopback, parseListen } from '../socket/listen-address.ts';
import type { OpsContext } from '../ops/context.ts';
import { outboxRetry } from '../ops/outbox-admin.ts';
import { receiptPrint } from '../ops/receipt.ts';
import { status } from '../ops/status.ts';
import { testDocument } from '../receipts/test-document.ts';
import { limitsText, moneyText } from './money-text.ts';
import type { RecentReceipts } from './recent-receipts.ts';
import { StatusPage } from './server.ts';

const DEAD_LETTERS_SHOWN = 20;

function limitCurrencies(ctx: OpsContext, spent: readonly Money[]): string[] {
  return [...new Set([...(ctx.currencies.accepted() ?? []), ...spent.map((m) => m.currency)])];
}

export function createStatusPage(ctx: OpsContext, receipts: RecentReceipts, listen: string, token: string | null): StatusPage {
  const { host, port } = parseListen(listen);
  return new StatusPage({
    host, port, token,
    tokenToRead: !isLoopback(host),
    receipts,
    log: ctx.log,
    snapshot: () => {
      const snapshot = status(ctx);
      return {
        ...ctx.identity,
        ...snapshot,
        // The offline spends' total as the till formats money (the page shows it as it is).
        offline_amounts_text: snapshot.offline ? moneyText(snapshot.offline.amounts) : null,
        // Its limits too, in the till's currencies (configured or learnt, else those spent in).
        offline_limits_text: snapshot.offline ? limitsText(snapshot.offline.limits, limitCurrencies(ctx, snapshot.offline.amounts)) : null,
        dead_letters: ctx.outbox.list('dead', DEAD_LETTERS_SHOWN).map((m) => ({
          id: m.id, op: m.op, txn_id: m.txn_id, created_at: m.created_at, attempts: m.attempts, error: m.error,
        })),
        receipts: receipts.list(),
      };
    },
    actions: {
      printTest: async (printer) => {
        const now = ctx.now();
        const params = parseParams('receipt.print', {
          ...(printer ? { printer } : {}),
          document: testDocument(printer ?? ctx.devices.printer()?.name ?? 'default', now),
          txn_id: `print-test-${now.getTime()}`,
        });
        if (!params.ok) throw new AgentError('BAD_REQUEST', params.errors.join('; '));
        return receiptPrint(ctx, params.value);
      },
      retry: async (target) => {
        const params = parseParams('outbox.retry', target);
        if (!params.ok) throw new AgentError('BAD_REQUEST', params.errors.join('; '));
        return outboxRetry(ctx, params.value);
      },
    },
  });
}
