// Hostile frames for `npm run fuzz`: a seeded generator of lines a broken or malicious POS could
// send. Each is one line without "\n" that the agent must answer with exactly one frame (never an
// empty line: the protocol ignores those), except `oversize`, which the agent answers with
// FRAME_TOO_LARGE and then closes the connection.

import type { Rand } from '../../test/helpers/random.ts';
import { MAX_LINE_BYTES } from '../../protocol/local.ts';

export { seeded, type Rand } from '../../test/helpers/random.ts';

export interface Frame {
  kind: string;
  line: Buffer;
}

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const enc = (v: unknown) => JSON.stringify(v);

const OPS = ['hello', 'identify', 'preview', 'award', 'spend', 'void', 'products.sync', 'products.status', 'status', 'outbox.list', 'outbox.retry',
  'receipt.print', 'drawer.open', 'printer.status', 'devices.list', 'devices.scan', 'events.subscribe', 'events.unsubscribe',
  // Loyalty contract v1.1 (issue 8): offers held by a customer, returns, refund vouchers.
  'offers', 'lock', 'unlock', 'redeem', 'reinstate', 'refund', 'voucher.redeem'];
const NASTY_OPS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', ' status', 'STATUS', 'status\u0000',
  'a'.repeat(65), '4111111111111111', 'award\n', '../../etc/passwd', '${jndi:ldap://x}', 'events.*'];
const NUMBERS = ['0', '-0', '1e400', '-1e400', '9007199254740993', '9007199254740992', '1.5', '1e-400', '123456789012345678901234567890',
  '0.1', '-1', '1E2', '9'.repeat(400), '2e308'];
const STRINGS = ['', ' ', '\u0000', '\ud800', '\udfff\ud800', '\u202e', '\ufeff', 'é'.repeat(300), '💩'.repeat(70), '4111 1111 1111 1111',
  '%B4111111111111111^DOE/JOHN^2512101?', ';4111111111111111=2512101?', '<script>', "'; DROP TABLE outbox; --", '\u001b[2J', 'x'.repeat(600)];

function wildValue(r: Rand, depth = 0): string {
  switch (int(r, depth > 3 ? 4 : 7)) {
    case 0: return pick(r, NUMBERS);
    case 1: return enc(pick(r, STRINGS));
    case 2: return pick(r, ['true', 'false', 'null']);
    case 3: return String(int(r, 2_000_000_000) - 1_000_000_000);
    case 4: return `[${Array.from({ length: int(r, 4) }, () => wildValue(r, depth + 1)).join(',')}]`;
    case 5: return `{${Array.from({ length: int(r, 4) }, () => `${enc(pick(r, ['amount', 'sku', 'qty', '__proto__', 'a', 'constructor']))}:${wildValue(r, depth + 1)}`).join(',')}}`;
    default: return enc(pick(r, STRINGS) + String(int(r, 1000)));
  }
}

const amount = (r: Rand) => pick(r, ['100', '0', '-1', '1.5', '9007199254740991', '1000000000001', '"100"', 'null', '1e400', String(int(r, 100_000))]);

// Both basket shapes: protocol 1's (tax_included a flag) and protocol 2's (a tax amount, payments,
// channel, unknown keys refused); a connection speaks 2 after a hello that says so.
function basket(r: Rand): string {
  if (r() < 0.15) return wildValue(r);
  const n = r() < 0.05 ? 501 : 1 + int(r, 5);
  const tax = () => (r() < 0.8 ? '' : `,"tax_included":${pick(r, ['true', 'false', '0', '10', '-1', '1.5', '1000000000001', '"10"', 'null'])}`);
  const extra = () => (r() < 0.9 ? '' : `,${enc(pick(r, ['colour', '__proto__', 'tip', 'constructor', '']))}:${wildValue(r)}`);
  const payments = r() < 0.2 ? `,"payments":[${Array.from({ length: r() < 0.05 ? 21 : 1 + int(r, 3) }, () => `{"method":${r() < 0.8 ? '"card"' : wildValue(r)},"amount":${amount(r)}${extra()}}`).join(',')}]` : '';
  const header = (r() < 0.2 ? `,"tax_total":${amount(r)}` : '') + (r() < 0.2 ? `,"channel":${r() < 0.7 ? '"patio"' : wildValue(r)}` : '');
  if (r() < 0.4) {
    // Adds up: gets past the sums to the per-version rules (tax amount or flag, unknown keys) and the host.
    const prices = Array.from({ length: 1 + int(r, 4) }, () => 1 + int(r, 1000));
    const lines = prices.map((p) => `{"sku":${enc(pick(r, ['COFFEE', 'TEA', `SKU${int(r, 100)}`]))},"qty":1,"unit_price":${p},"amount":${p}${tax()}${extra()}}`);
    return `{"currency":"EUR","total":${prices.reduce((a, b) => a + b, 0)},"items":[${lines.join(',')}]${payments}${header}${extra()}}`;
  }
  const items = Array.from({ length: n }, () =>
    `{"sku":${r() < 0.8 ? enc(`SKU${int(r, 100)}`) : wildValue(r)},"qty":${r() < 0.8 ? '1' : pick(r, ['0', '-1', '0.0001', '1e6', '1000001', '"2"', '5e-324'])},"unit_price":${amount(r)},"amount":${amount(r)}${tax()}${extra()}}`);
  const discounts = r() < 0.2 ? `,"discounts":[{"code":"X","amount":${amount(r)}${extra()}}]` : '';
  return `{"currency":${r() < 0.9 ? '"EUR"' : wildValue(r)},"total":${amount(r)},"items":[${items.join(',')}]${discounts}${payments}${header}${extra()}}`;
}

// Sales a valid award may have made: returns, vouchers and redemptions name them sometimes.
const saleId = (r: Rand) => enc(`fz-sale-${int(r, 200)}`);
const offerIds = (r: Rand) => (r() < 0.8 ? `[${Array.from({ length: int(r, 4) }, () => enc(pick(r, ['UO-COFFEE2', 'UO-TEN', 'UO-NOPE', 'UO-TEN']))).join(',')}]` : wildValue(r));
const maybe = (r: Rand, p: number, field: string) => (r() < p ? `,${field}` : '');

function params(r: Rand, op: string): string {
  const txn = () => (r() < 0.85 ? enc(`fz-${int(r, 1e9)}`) : wildValue(r));
  switch (op) {
    case 'hello': return `{"token":${wildValue(r)},"protocol":${pick(r, ['1', '2', '"1"', '1.0', '1e400'])}}`;
    case 'identify': return `{"by":${enc(pick(r, ['card', 'phone', 'email', 'token', 'iris', '']))},"value":${wildValue(r)}}`;
    case 'preview': return `{"customer_id":${enc('alice')},"basket":${basket(r)}${maybe(r, 0.3, `"txn_id":${txn()}`)}}`;
    case 'award': return `{"txn_id":${txn()},"customer_id":${r() < 0.9 ? '"alice"' : wildValue(r)},"basket":${basket(r)}}`;
    case 'spend': return `{"txn_id":${txn()},"customer_id":"alice","amount":${amount(r)},"currency":"EUR"}`;
    case 'void': return `{"txn_id":${txn()},"reason":${wildValue(r)}}`;
    case 'products.sync': {
      const product = () => (r() < 0.5
        ? `{"sku":${wildValue(r)},"name":${wildValue(r)}}`
        : `{"sku":${enc(`SKU${int(r, 100)}`)},"name":"P"${maybe(r, 0.5, `"description":${r() < 0.7 ? enc('x'.repeat(int(r, 2100))) : wildValue(r)}`)}${maybe(r, 0.3, `"categories":${wildValue(r)}`)}}`);
      const mode = maybe(r, 0.5, `"mode":${r() < 0.8 ? enc(pick(r, ['delta', 'full'])) : wildValue(r)}`);
      const more = maybe(r, 0.3, `"more":${pick(r, ['true', 'false', '1', '"yes"'])}`);
      const sync = maybe(r, 0.3, `"sync_id":${r() < 0.7 ? enc(`fz-sync-${int(r, 20)}`) : wildValue(r)}`);
      return `{"products":[${Array.from({ length: int(r, 4) }, product).join(',')}]${mode}${more}${sync}}`;
    }
    case 'products.status': return `{"sync_id":${r() < 0.7 ? enc(`fz-sync-${int(r, 20)}`) : wildValue(r)}}`;
    case 'offers': return `{"customer_id":${r() < 0.9 ? '"alice"' : wildValue(r)}${maybe(r, 0.5, `"basket":${basket(r)}`)}${maybe(r, 0.3, `"txn_id":${txn()}`)}}`;
    case 'lock': return `{"txn_id":${r() < 0.5 ? saleId(r) : txn()},"customer_id":"alice"${maybe(r, 0.8, `"offer_ids":${offerIds(r)}`)}${
      maybe(r, 0.4, `"amount":${amount(r)},"currency":${r() < 0.9 ? '"EUR"' : wildValue(r)}`)}${maybe(r, 0.3, `"basket":${basket(r)}`)}}`;
    case 'unlock': return `{"txn_id":${r() < 0.5 ? saleId(r) : txn()}${maybe(r, 0.5, `"offer_ids":${offerIds(r)}`)}}`;
    case 'redeem': return `{"redemption_id":${txn()},"txn_id":${saleId(r)},"customer_id":"alice","offer_id":${r() < 0.8 ? enc(pick(r, ['UO-COFFEE2', 'UO-TEN', 'UO-NOPE'])) : wildValue(r)},"basket":${basket(r)}}`;
    case 'reinstate': return `{"redemption_id":${txn()}${maybe(r, 0.5, `"reason":${wildValue(r)}`)}}`;
    case 'refund': {
      const item = () => `{"sku":${r() < 0.8 ? '"COFFEE"' : wildValue(r)},"qty":${r() < 0.8 ? '1' : pick(r, ['0', '-1', '0.0001', '2', '"1"'])},"amount":${r() < 0.7 ? String(1 + int(r, 100)) : amount(r)}}`;
      const items = r() < 0.9 ? `[${Array.from({ length: r() < 0.02 ? 501 : int(r, 3) }, item).join(',')}]` : wildValue(r);
      return `{"refund_id":${txn()},"txn_id":${r() < 0.8 ? saleId(r) : txn()},"currency":${r() < 0.9 ? '"EUR"' : wildValue(r)},"items":${items}${maybe(r, 0.3, `"reason":${wildValue(r)}`)}}`;
    }
    case 'voucher.redeem': {
      const code = r() < 0.6 ? enc(`RV-${Array.from({ length: 12 }, () => pick(r, [...'0123456789ABCDEFGHJKMNPQRSTVWXYZ'])).join('')}`) : r() < 0.5 ? enc(pick(r, ['rv-0000aaaabbbb', 'RV-IIIIIIIIIIII', 'RV-', ''])) : wildValue(r);
      return `{"txn_id":${r() < 0.5 ? saleId(r) : txn()},"code":${code},"currency":${r() < 0.9 ? '"EUR"' : wildValue(r)}}`;
    }
    case 'outbox.list': return `{"state":${enc(pick(r, ['dead', 'done', 'pending', 'all']))},"limit":${amount(r)}}`;
    case 'outbox.retry': return r() < 0.5 ? `{"all":true}` : `{"id":${wildValue(r)}}`;
    case 'receipt.print': return `{"document":{"currency":"EUR","total":${amount(r)},"header":[${wildValue(r)}]},"printer":${wildValue(r)}}`;
    case 'events.subscribe': case 'events.unsubscribe': return `{"topics":[${enc(pick(r, ['uplink', 'outbox', 'nope', 'scan']))}]}`;
    default: return r() < 0.5 ? '{}' : wildValue(r);
  }
}

const id = (r: Rand) => (r() < 0.7 ? String(int(r, 1e9)) : r() < 0.5 ? enc(`id-${int(r, 1e6)}`) : wildValue(r));

/** A valid award: committed to the outbox, queued (no host answers the fuzz agent). */
function validAward(r: Rand): string {
  const txn = `fz-ok-${int(r, 1e12)}`;
  return `{"id":${enc(txn)},"op":"award","params":{"txn_id":${enc(txn)},"customer_id":"alice","basket":{"currency":"EUR","total":100,"items":[{"sku":"COFFEE","qty":1,"unit_price":100,"amount":100}]}}}`;
}

/** A valid award of one of the sales returns, vouchers and redemptions name (saleId): their checks get past "no such sale". */
function validSale(r: Rand): string {
  const txn = `fz-sale-${int(r, 200)}`;
  return `{"id":${enc(`${txn}-${int(r, 1e6)}`)},"op":"award","params":{"txn_id":${enc(txn)},"customer_id":"alice","basket":{"currency":"EUR","total":100,"items":[{"sku":"COFFEE","qty":1,"unit_price":100,"amount":100}]}}}`;
}

const TEMPLATES: Array<[weight: number, kind: string, make: (r: Rand) => string | Buffer]> = [
  [10, 'random-bytes', (r) => Buffer.from(Array.from({ length: 1 + int(r, 200) }, () => { const b = int(r, 256); return b === 0x0a ? 0x20 : b; }))],
  [6, 'junk-text', (r) => Array.from({ length: 1 + int(r, 80) }, () => String.fromCharCode(0x20 + int(r, 95))).join('')],
  [6, 'truncated', (r) => { const s = `{"id":${id(r)},"op":"award","params":${params(r, 'award')}}`; return s.slice(0, 1 + int(r, s.length - 1)); }],
  [5, 'not-an-object', (r) => (r() < 0.3 ? '['.repeat(1 + int(r, 5000)) + ']'.repeat(0) : wildValue(r))],
  [3, 'deep-nesting', (r) => { const d = 1 + int(r, 10_000); return `{"id":1,"op":"status","params":{"x":${'['.repeat(d)}${']'.repeat(d)}}}`; }],
  [12, 'bad-envelope', (r) => `{"id":${id(r)},"op":${r() < 0.5 ? enc(pick(r, NASTY_OPS)) : wildValue(r)}${r() < 0.5 ? `,"params":${wildValue(r)}` : ''}}`],
  [8, 'bad-id', (r) => `{"id":${pick(r, NUMBERS)},"op":"status"}`],
  [8, 'duplicate-keys', (r) => pick(r, [
    `{"id":${id(r)},"op":"award","op":"status"}`,
    `{"id":1,"id":2,"op":"status"}`,
    `{"id":${id(r)},"op":"identify","params":{"by":"card","by":"phone","value":"1"}}`,
    `{"id":${id(r)},"op":"award","params":{"txn_id":"d","customer_id":"alice","basket":{"currency":"EUR","total":1,"total":2,"items":[]}}}`,
    `{"id":${id(r)},"op":"status","params":{"a":{"b":{"c":1,"c":2}}}}`,
  ])],
  [25, 'hostile-params', (r) => { const op = pick(r, OPS); return `{"id":${id(r)},"op":${enc(op)},"params":${params(r, op)}}`; }],
  [4, 'prototype', (r) => pick(r, [
    `{"__proto__":{"admin":true},"id":${id(r)},"op":"status"}`,
    `{"id":${id(r)},"op":"status","constructor":{"prototype":{"polluted":1}}}`,
    `{"id":${id(r)},"op":"outbox.list","params":{"__proto__":{"limit":100000}}}`,
  ])],
  [3, 'unicode', (r) => Buffer.concat([Buffer.from(pick(r, ['\ufeff', '', '\u2028'])), Buffer.from(`{"id":${id(r)},"op":"identify","params":{"by":"email","value":"`),
    Buffer.from(pick(r, [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]])), Buffer.from('"}}')])],
  [3, 'numbers', (r) => `{"id":${id(r)},"op":"spend","params":{"txn_id":"n","customer_id":"alice","amount":${pick(r, NUMBERS)},"currency":"EUR"}}`],
  [2, 'cheap-valid', (r) => `{"id":${id(r)},"op":${enc(pick(r, ['status', 'devices.list', 'hello']))}}`],
  // Protocol 2 on this connection from now on (strict baskets, preview txn_id, v2 spend rules), or back to 1.
  [1, 'hello-version', (r) => `{"id":${id(r)},"op":"hello","params":{"protocol":${r() < 0.8 ? 2 : 1}}}`],
  [8, 'loyalty-v1.1', (r) => { const op = pick(r, ['offers', 'lock', 'unlock', 'redeem', 'reinstate', 'refund', 'voucher.redeem', 'products.status']); return `{"id":${id(r)},"op":${enc(op)},"params":${params(r, op)}}`; }],
  [0.05, 'valid-award', validAward],
  [0.05, 'valid-sale', validSale],
];
const TOTAL_WEIGHT = TEMPLATES.reduce((s, [w]) => s + w, 0);

/** One hostile line, never empty and never containing "\n". */
export function hostileFrame(r: Rand): Frame {
  let x = r() * TOTAL_WEIGHT;
  for (const [weight, kind, make] of TEMPLATES) {
    x -= weight;
    if (x > 0) continue;
    const made = make(r);
    let line = Buffer.isBuffer(made) ? made : Buffer.from(made, 'utf8');
    line = Buffer.from(line.map((b) => (b === 0x0a ? 0x20 : b)));
    // "" and a lone "\r" are empty lines: the protocol ignores them, so they expect no answer.
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) line = Buffer.from('{');
    if (line[line.length - 1] === 0x0d && line.length > 1) line = Buffer.concat([line, Buffer.from(' ')]);
    return { kind, line };
  }
  return { kind: 'junk-text', line: Buffer.from('}') };
}

/** A line over the MAX_LINE_BYTES limit: answered with FRAME_TOO_LARGE, then the agent closes. */
export function oversizeFrame(r: Rand): Frame {
  return { kind: 'oversize', line: Buffer.alloc(MAX_LINE_BYTES + 1 + int(r, 64 * 1024), 0x61) };
}
