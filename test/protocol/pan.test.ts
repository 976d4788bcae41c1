// Issue 7 item 10 (free-text half): a payment card number typed into any free-text field of a
// POS request is refused with BAD_REQUEST naming the field, and the number is never echoed.
import t from 'tap';
import { parseParams, parseRequest } from '../../protocol/local.ts';
import { containsPan, findPanInText, maskPansIn } from '../../protocol/pan.ts';
import { parseUpstreamRequest } from '../../protocol/upstream.ts';
import { seeded } from '../helpers/random.ts';

const VISA = '4111111111111111';
const cardsAsWritten = [VISA, '4111 1111 1111 1111', '4111-1111-1111-1111', 'T-4111111111111111', 'refund card 5555 5555 5555 4444 please',
  '378282246310005', '6011111111111117', '2221000000000009', '３７８２８２２４６３１０００５', 'Ref 12-4111 1111 1111 1111', '4222222222222'];

t.test('card numbers are found as cards are written', async (t) => {
  for (const text of cardsAsWritten) t.not(findPanInText(text), null, text);
});

t.test('what is not a card number passes', async (t) => {
  const fine = [
    'COFFEE', '', 'Espresso 2x', '4006381333931', '3017620422003',
    '4006381333924', // an EAN-13 that is also Luhn-valid: a product code, not a card
    '4111111111111112', // Luhn fails
    '411111111111', // 12 digits
    '41111111111111111111111', // 23 digits in one run
    '2026030412345678', // a date-stamped id: 2026 is no card network prefix (even if Luhn-valid)
    '1000000000000007', // MII 1 (airlines): not taken as a payment card in free text
    '9999999999999995',
    'T-2024-03-04-000123',
  ];
  for (const text of fine) t.equal(findPanInText(text), null, text);
});

t.test('ASCII text with fewer than 13 digits skips the search; every answer is the one the full search gives', async (t) => {
  // A non-ASCII character in front sends a text the long way (normalised, then searched), whatever its digits.
  const longWay = (text: string) => findPanInText(`\u00e9${text}`);
  const rand = seeded(20261201);
  const alphabet = '0123456789012345678901234567890123456789 --xA';
  let found = 0;
  for (let n = 0; n < 20_000; n++) {
    let text = '';
    const length = Math.floor(rand() * 40);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
    const pan = findPanInText(text);
    if (pan !== longWay(text)) t.fail(`${JSON.stringify(text)}: ${pan} / ${longWay(text)}`);
    if (pan !== null) found += 1;
  }
  t.ok(found > 100, `cards among the random texts: ${found}`);
  for (const text of ['4111 1111 1111 1', '4222222222222', 'x4222222222222x', '4-2-2-2-2-2-2-2-2-2-2-2-2']) {
    t.equal(findPanInText(text), longWay(text), text);
  }
  t.equal(findPanInText('422222222222'), null, '12 digits');
  t.equal(findPanInText('4222222222222'), '4222222222222', '13 digits');
});

t.test('a text of digits alone (an EAN-13 SKU) takes no search; its answer is the one the full search gives', async (t) => {
  const longWay = (text: string) => findPanInText(`\u00e9${text}`);
  const rand = seeded(20261202);
  let cards = 0;
  for (let n = 0; n < 20_000; n++) {
    // 11–22 digits, starting with any digit: cards of every network, GTINs, ids, too long for a card.
    let text = '';
    const length = 11 + Math.floor(rand() * 12);
    for (let i = 0; i < length; i++) text += String(Math.floor(rand() * 10));
    const pan = findPanInText(text);
    if (pan !== longWay(text)) t.fail(`${text}: ${pan} / ${longWay(text)}`);
    if (pan !== null) cards += 1;
  }
  t.ok(cards > 300, `cards among the random digit texts: ${cards}`);
  for (const text of [VISA, '4006381333924', '4006381333931', '3017620422003', '41111111111111111111111', '4111111111111111111']) {
    t.equal(findPanInText(text), longWay(text), text);
  }
});

t.test('masking for echoes keeps the 6/4 form only', async (t) => {
  t.equal(maskPansIn(`key ${VISA}`), 'key 411111******1111');
  t.equal(maskPansIn('colour'), 'colour');
});

const item = (over: Record<string, unknown> = {}) => ({ sku: 'A', qty: 1, unit_price: 500, amount: 500, ...over });
const basket = (over: Record<string, unknown> = {}) => ({ currency: 'EUR', total: 500, items: [item()], ...over });
const doc = (over: Record<string, unknown> = {}) => ({ currency: 'EUR', total: 500, ...over });

const refused: Array<[string, string, unknown, string]> = [
  ['sku', 'award', { txn_id: 't1', customer_id: 'c1', basket: basket({ items: [item({ sku: '4111 1111 1111 1111' })] }) }, 'params.basket.items[0].sku'],
  ['item name', 'award', { txn_id: 't1', customer_id: 'c1', basket: basket({ items: [item({ name: `card ${VISA}` })] }) }, 'params.basket.items[0].name'],
  ['category', 'preview', { customer_id: 'c1', basket: basket({ items: [item({ category: VISA })] }) }, 'params.basket.items[0].category'],
  ['discount code', 'award', { txn_id: 't1', customer_id: 'c1', basket: basket({ total: 400, discounts: [{ code: VISA, amount: 100 }] }) }, 'params.basket.discounts[0].code'],
  ['store', 'award', { txn_id: 't1', customer_id: 'c1', basket: basket({ store: VISA }) }, 'params.basket.store'],
  ['txn_id', 'award', { txn_id: VISA, customer_id: 'c1', basket: basket() }, 'params.txn_id'],
  ['spend txn_id', 'spend', { txn_id: `S-${VISA}`, customer_id: 'c1', amount: 1, currency: 'EUR' }, 'params.txn_id'],
  ['void reason', 'void', { txn_id: 't1', reason: `wrong card 4111-1111-1111-1111` }, 'params.reason'],
  ['product name', 'products.sync', { products: [{ sku: 'A', name: VISA }] }, 'params.products[0].name'],
  ['product category', 'products.sync', { products: [{ sku: 'A', name: 'a', categories: [VISA] }] }, 'params.products[0].categories[0]'],
  ['receipt header', 'receipt.print', { document: doc({ header: [VISA] }) }, 'params.document.header[0]'],
  ['receipt item', 'receipt.print', { document: doc({ items: [{ name: VISA, amount: 500 }] }) }, 'params.document.items[0].name'],
  ['payment method', 'receipt.print', { document: doc({ payments: [{ method: `Visa ${VISA}`, amount: 500 }] }) }, 'params.document.payments[0].method'],
  ['outbox id', 'outbox.retry', { id: VISA }, 'params.id'],
];

for (const [name, op, params, field] of refused) {
  t.test(`refused in ${name}, naming the field, never echoing the number`, async (t) => {
    const r = parseParams(op as 'award', params);
    t.notOk(r.ok);
    if (r.ok) return;
    const message = r.errors.join('; ');
    t.match(message, `${field}: must not contain a payment card number`);
    t.notMatch(message.replace(/\D/g, ''), /4111111111111111|5555555555554444/, 'no card digits in the message');
  });
}

t.test('the op name itself', async (t) => {
  const r = parseRequest({ id: 1, op: VISA });
  t.notOk(r.ok);
  if (!r.ok) t.match(r.errors.join(), /^op: must not contain a payment card number/);
});

t.test('identifiers are not free text: identify by card and loyalty numbers pass', async (t) => {
  t.ok(parseParams('identify', { by: 'card', value: '6006491234567890' }).ok);
  t.ok(parseParams('devices.scan', { data: VISA }).ok, 'a virtual scan: the reader masks it like a real one');
  t.ok(parseParams('award', { txn_id: 't1', customer_id: 'c1', basket: basket({ items: [item({ sku: '4006381333924' })] }) }).ok, 'EAN-13 SKUs');
});

t.test('the host refuses the same upstream (a till that skipped the check)', async (t) => {
  const message = { id: 'm1', op: 'award', txn_id: VISA, created_at: '2026-03-04T10:00:00Z',
    payload: { customer_id: 'c1', basket: basket({ items: [item({ sku: VISA })] }) } };
  const r = parseUpstreamRequest({ v: 1, request_id: 'r1', reply_to: 'x/res', source: { merchant: 'M', store: 'S', terminal: 'T' },
    sent_at: '2026-03-04T10:00:00Z', messages: [message] });
  t.notOk(r.ok);
  if (!r.ok) t.notMatch(r.errors.join(), /4111111111111111/);
});

// The till's own message ids are UUIDs; about one in 600 reads as a card number by chance. An
// operator retrying that dead letter was refused BAD_REQUEST (protocol/schema.ts messageIdOrText).
t.test('outbox.retry takes a message id that happens to read as a card number; a card number itself stays refused', async (t) => {
  const id = '01a23ccd-4767-7159-9441-118874eb3dcb';
  t.ok(containsPan(id), 'this message id reads as a card number');
  t.match(parseParams('outbox.retry', { id }), { ok: true, value: { id } });
  t.match(parseParams('outbox.retry', { id: `x-${VISA}` }), { ok: false });
});
