// An award's payload written twice in one pass: its canonical JSON (the fingerprint's text, sorted
// keys: protocol/canonical-json.ts) and its JSON.stringify (the text the outbox stores and the
// request sends: agent/upstream/request-json.ts). Written apart, the two were ~40 k of an offline
// award's ~250 k instructions (a generic walk with a sort per object, then V8's JSON.stringify,
// issue 10); here the leaves' texts are made once and both texts put together in the orders the
// payload's shape gives, without sorting or a lookup per key.
//
// Only for the shape an award's validated params have (protocol/fast-path.ts and the zod schemas
// return the same keys in the same order): every object must hold exactly the keys expected, in
// that order, each with a string, finite number or boolean where a leaf is expected. Anything else
// gives undefined and the caller writes both the generic way: the texts are exactly what
// canonicalJson and JSON.stringify write (test/property/award-texts.property.test.ts).
// Params the fast path returned (isFastAward) have that shape by construction: their texts are
// written without checking it again (checkedAwardTexts; the check was a second walk over the basket,
// ~3–5 k of an offline award's instructions, issue 10).

export interface AwardTexts {
  /** canonicalJson(payload). */
  canonical: string;
  /** JSON.stringify(payload). */
  json: string;
  /** JSON.stringify({ ...payload, pos_reduced: false }): the offline payload's. */
  offlineJson: string;
}

type Plain = Record<string, unknown>;

/** Both texts of `{ customer_id, basket }` (keys in that order, no others), or undefined. */
export function awardTexts(payload: Plain): AwardTexts | undefined {
  if (!keysAre(payload, PAYLOAD_KEYS, 2) || !isLeaf(payload.customer_id) || !isPlain(payload.basket) || !basketShape(payload.basket)) return undefined;
  return writeTexts(payload.customer_id, payload.basket);
}

/**
 * Both texts of `{ customer_id, basket }` for award params as protocol/fast-path.ts fastAward returned
 * them (isFastAward): the shape awardTexts checks, by construction.
 */
export function checkedAwardTexts(params: { customer_id: string; basket: Plain }): AwardTexts {
  return writeTexts(params.customer_id, params.basket);
}

const PAYLOAD_KEYS = ['customer_id', 'basket'];

function writeTexts(customerId: unknown, basket: Plain): AwardTexts {
  const customer = leaf(customerId);
  writeBasket(basket);
  // Both JSON texts end with the basket's: put together, not one sliced from the other (a slice of a
  // string built by concatenation copies it whole first).
  const head = `{"customer_id":${customer},"basket":${json}`;
  return {
    canonical: `{"basket":${canon},"customer_id":${customer}}`,
    json: `${head}}`,
    offlineJson: `${head},"pos_reduced":false}`,
  };
}

// ---- the shape (awardTexts) ---------------------------------------------------------------------

/** currency, total, tax_total?, store?, channel?, items, discounts?, payments? (the schemas' order), leaves where expected. */
function basketShape(b: Plain): boolean {
  if (!isLeaf(b.currency) || !isLeaf(b.total) || !optionalLeaf(b.tax_total) || !optionalLeaf(b.store) || !optionalLeaf(b.channel)) return false;
  const expected = 3 + present(b.tax_total) + present(b.store) + present(b.channel) + present(b.discounts) + present(b.payments);
  if (!keysInOrder(b, expected) || !listShape(b.items, itemShape)) return false;
  if (b.discounts !== undefined && !listShape(b.discounts, discountShape)) return false;
  return b.payments === undefined || listShape(b.payments, paymentShape);
}

/** The basket's keys, in order, as basketShape expects them: the schemas' order, absent ones left out. */
const BASKET_KEYS = ['currency', 'total', 'tax_total', 'store', 'channel', 'items', 'discounts', 'payments'];

function keysInOrder(b: Plain, expected: number): boolean {
  let i = 0;
  for (const key in b) {
    while (i < BASKET_KEYS.length && BASKET_KEYS[i] !== key) i++;
    if (i === BASKET_KEYS.length) return false;
    i++;
  }
  // Every key was one of BASKET_KEYS, in their order; as many as the present values: no other key.
  return countKeys(b) === expected;
}

/** sku, name?, qty, unit_price, amount, category?, tax_included? (the schemas' order). */
function itemShape(item: unknown): boolean {
  if (!isPlain(item)) return false;
  if (!isLeaf(item.sku) || !optionalLeaf(item.name) || !isLeaf(item.qty) || !isLeaf(item.unit_price) || !isLeaf(item.amount) ||
    !optionalLeaf(item.category) || !optionalLeaf(item.tax_included)) return false;
  const keys = ITEM_KEYS[(item.name === undefined ? 0 : 4) + (item.category === undefined ? 0 : 2) + (item.tax_included === undefined ? 0 : 1)]!;
  return keysAre(item, keys, keys.length);
}

/** An item's keys in order, by which of name, category, tax_included it has (bit 2, 1, 0 of the index). */
const ITEM_KEYS = [false, true].flatMap((name) => [false, true].flatMap((category) => [false, true].map((tax) => [
  'sku', ...(name ? ['name'] : []), 'qty', 'unit_price', 'amount', ...(category ? ['category'] : []), ...(tax ? ['tax_included'] : []),
])));

/** {code, amount}. */
const discountShape = (value: unknown): boolean => pairShape(value, 'code', DISCOUNT_KEYS);
/** {method, amount}. */
const paymentShape = (value: unknown): boolean => pairShape(value, 'method', PAYMENT_KEYS);

function pairShape(value: unknown, key: 'code' | 'method', keys: readonly string[]): boolean {
  return isPlain(value) && isLeaf(value[key]) && isLeaf(value.amount) && keysAre(value, keys, 2);
}

const DISCOUNT_KEYS = ['code', 'amount'];
const PAYMENT_KEYS = ['method', 'amount'];

function listShape(value: unknown, each: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  // A hole reads undefined: not a plain object, so the generic way.
  for (let i = 0; i < value.length; i++) if (!each(value[i])) return false;
  return true;
}

/** The object's own keys are exactly `keys`, in that order. */
function keysAre(value: Plain, keys: readonly string[], count: number): boolean {
  let i = 0;
  for (const key in value) {
    if (i >= count || key !== keys[i]) return false;
    i++;
  }
  return i === count && countKeys(value) === count;
}

/**
 * Own keys (for-in also walks the prototype chain's enumerable keys: an object as JSON.parse and the
 * validators make them has none there, but Object.keys is what JSON.stringify and canonicalJson
 * write, so it decides).
 */
function countKeys(value: Plain): number {
  return Object.keys(value).length;
}

function present(value: unknown): number {
  return value === undefined ? 0 : 1;
}

/** A string, finite number or boolean: written the same in both texts. */
function isLeaf(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** An optional leaf: absent (undefined), or a leaf. */
function optionalLeaf(value: unknown): boolean {
  return value === undefined || isLeaf(value);
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

// ---- the texts (of that shape) ------------------------------------------------------------------

// The texts of the object written last: each writer sets both (one pass, no pair allocated per object).
let canon = '';
let json = '';

/** canonical: channel, currency, discounts, items, payments, store, tax_total, total. */
function writeBasket(b: Plain): void {
  const currency = leaf(b.currency);
  const total = leaf(b.total);
  const taxTotal = b.tax_total === undefined ? undefined : leaf(b.tax_total);
  const store = b.store === undefined ? undefined : leaf(b.store);
  const channel = b.channel === undefined ? undefined : leaf(b.channel);
  writeList(b.items as unknown[], writeItem);
  const itemsCanon = canon;
  const itemsJson = json;
  let discountsCanon = '';
  let discountsJson = '';
  if (b.discounts !== undefined) {
    writeList(b.discounts as unknown[], writeDiscount);
    discountsCanon = `"discounts":${canon},`;
    discountsJson = `,"discounts":${json}`;
  }
  let paymentsCanon = '';
  let paymentsJson = '';
  if (b.payments !== undefined) {
    writeList(b.payments as unknown[], writePayment);
    paymentsCanon = `"payments":${canon},`;
    paymentsJson = `,"payments":${json}`;
  }
  canon = `{${channel === undefined ? '' : `"channel":${channel},`}"currency":${currency},${discountsCanon}"items":${itemsCanon},${paymentsCanon}` +
    `${store === undefined ? '' : `"store":${store},`}${taxTotal === undefined ? '' : `"tax_total":${taxTotal},`}"total":${total}}`;
  json = `{"currency":${currency},"total":${total}${taxTotal === undefined ? '' : `,"tax_total":${taxTotal}`}` +
    `${store === undefined ? '' : `,"store":${store}`}${channel === undefined ? '' : `,"channel":${channel}`},"items":${itemsJson}${discountsJson}${paymentsJson}}`;
}

/** canonical: amount, category, name, qty, sku, tax_included, unit_price. */
function writeItem(item: Plain): void {
  const sku = leaf(item.sku);
  const name = item.name === undefined ? undefined : leaf(item.name);
  const qty = leaf(item.qty);
  const unitPrice = leaf(item.unit_price);
  const amount = leaf(item.amount);
  const category = item.category === undefined ? undefined : leaf(item.category);
  const tax = item.tax_included === undefined ? undefined : leaf(item.tax_included);
  canon = `{"amount":${amount}${category === undefined ? '' : `,"category":${category}`}${name === undefined ? '' : `,"name":${name}`}` +
    `,"qty":${qty},"sku":${sku}${tax === undefined ? '' : `,"tax_included":${tax}`},"unit_price":${unitPrice}}`;
  json = `{"sku":${sku}${name === undefined ? '' : `,"name":${name}`},"qty":${qty},"unit_price":${unitPrice},"amount":${amount}` +
    `${category === undefined ? '' : `,"category":${category}`}${tax === undefined ? '' : `,"tax_included":${tax}`}}`;
}

/** {code, amount}; canonical: amount first. */
function writeDiscount(d: Plain): void {
  const code = leaf(d.code);
  const amount = leaf(d.amount);
  canon = `{"amount":${amount},"code":${code}}`;
  json = `{"code":${code},"amount":${amount}}`;
}

/** {method, amount}; canonical: amount first. */
function writePayment(p: Plain): void {
  const method = leaf(p.method);
  const amount = leaf(p.amount);
  canon = `{"amount":${amount},"method":${method}}`;
  json = `{"method":${method},"amount":${amount}}`;
}

/** An array's texts from each element's: the same order in both. */
function writeList(list: unknown[], each: (item: Plain) => void): void {
  let c = '[';
  let j = '[';
  for (let i = 0; i < list.length; i++) {
    each(list[i] as Plain);
    if (i > 0) {
      c += ',';
      j += ',';
    }
    c += canon;
    j += json;
  }
  canon = `${c}]`;
  json = `${j}]`;
}

/** The JSON text of a string, finite number or boolean (the same in both texts). */
function leaf(value: unknown): string {
  if (typeof value === 'string') return plainString(value) ? `"${value}"` : JSON.stringify(value);
  return String(value);
}

/** No character JSON.stringify would escape: control characters, `"`, `\`, and surrogates (a lone one is escaped). */
function plainString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}
