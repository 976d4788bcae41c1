// Hostile frames for `npm run fuzz`: a seeded generator of lines a broken or malicious POS could
// send. Each is one line without "\n" that the agent must answer with exactly one frame (never an
// empty line: the protocol ignores those), except `oversize`, which the agent answers with
// FRAME_TOO_LARGE and then closes the connection.

import type { Rand } from '../../test/helpers/random.ts';

export { seeded, type Rand } from '../../test/helpers/random.ts';

export interface Frame {
  kind: string;
  line: Buffer;
}

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const enc = (v: unknown) => JSON.stringify(v);

const OPS = ['hello', 'identify', 'preview', 'award', 'spend', 'void', 'products.sync', 'status', 'outbox.list', 'outbox.retry',
  'receipt.print', 'drawer.open', 'printer.status', 'devices.list', 'devices.scan', 'events.subscribe', 'events.unsubscribe'];
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

function basket(r: Rand): string {
  if (r() < 0.15) return wildValue(r);
  const n = r() < 0.05 ? 501 : 1 + int(r, 5);
  const items = Array.from({ length: n }, () =>
    `{"sku":${r() < 0.8 ? enc(`SKU${int(r, 100)}`) : wildValue(r)},"qty":${r() < 0.8 ? '1' : pick(r, ['0', '-1', '0.0001', '1e6', '1000001', '"2"', '5e-324'])},"unit_price":${amount(r)},"amount":${amount(r)}}`);
  const discounts = r() < 0.2 ? `,"discounts":[{"code":"X","amount":${amount(r)}}]` : '';
  return `{"currency":${r() < 0.9 ? '"EUR"' : wildValue(r)},"total":${amount(r)},"items":[${items.join(',')}]${discounts}}`;
}

function params(r: Rand, op: string): string {
  const txn = () => (r() < 0.85 ? enc(`fz-${int(r, 1e9)}`) : wildValue(r));
  switch (op) {
    case 'hello': return `{"token":${wildValue(r)},"protocol":${pick(r, ['1', '2', '"1"', '1.0', '1e400'])}}`;
    case 'identify': return `{"by":${enc(pick(r, ['card', 'phone', 'email', 'token', 'iris', '']))},"value":${wildValue(r)}}`;
    case 'preview': return `{"customer_id":${enc('alice')},"basket":${basket(r)}}`;
    case 'award': return `{"txn_id":${txn()},"customer_id":${r() < 0.9 ? '"alice"' : wildValue(r)},"basket":${basket(r)}}`;
    case 'spend': return `{"txn_id":${txn()},"customer_id":"alice","amount":${amount(r)},"currency":"EUR"}`;
    case 'void': return `{"txn_id":${txn()},"reason":${wildValue(r)}}`;
    case 'products.sync': return `{"products":[${Array.from({ length: int(r, 4) }, () => `{"sku":${wildValue(r)},"name":${wildValue(r)}}`).join(',')}]}`;
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
  [0.05, 'valid-award', validAward],
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

/** A line over the 64 KiB limit: answered with FRAME_TOO_LARGE, then the agent closes. */
export function oversizeFrame(r: Rand): Frame {
  return { kind: 'oversize', line: Buffer.alloc(64 * 1024 + 1 + int(r, 64 * 1024), 0x61) };
}
