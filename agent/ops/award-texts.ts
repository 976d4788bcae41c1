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
  if (!keysAre(payload, PAYLOAD_KEYS, 2)) return undefined;
  const customer = leaf(payload.customer_id);
  const basket = payload.basket;
  if (customer === undefined || !isPlain(basket) || !basketTexts(basket)) return undefined;
  // Both JSON texts end with the basket's: put together, not one sliced from the other (a slice of a
  // string built by concatenation copies it whole first).
  const head = `{"customer_id":${customer},"basket":${json}`;
  return {
    canonical: `{"basket":${canon},"customer_id":${customer}}`,
    json: `${head}}`,
    offlineJson: `${head},"pos_reduced":false}`,
  };
}

const PAYLOAD_KEYS = ['customer_id', 'basket'];

// The texts of the object written last: each writer sets both (one pass, no pair allocated per object).
let canon = '';
let json = '';

/**
 * currency, total, tax_total?, store?, channel?, items, discounts?, payments? (the schemas' order);
 * canonical: channel, currency, discounts, items, payments, store, tax_total, total.
 */
function basketTexts(b: Plain): boolean {
  const currency = leaf(b.currency);
  const total = leaf(b.total);
  const taxTotal = optionalLeaf(b.tax_total);
  const store = optionalLeaf(b.store);
  const channel = optionalLeaf(b.channel);
  if (currency === undefined || total === undefined || taxTotal === null || store === null || channel === null) return false;
  const expected = 3 + present(taxTotal) + present(store) + present(channel) + present(b.discounts) + present(b.payments);
  if (!keysInOrder(b, expected)) return false;
  if (!listTexts(b.items, itemTexts)) return false;
  const itemsCanon = canon;
  const itemsJson = json;
  let discountsCanon = '';
  let discountsJson = '';
  if (b.discounts !== undefined) {
    if (!listTexts(b.discounts, discountTexts)) return false;
    discountsCanon = `"discounts":${canon},`;
    discountsJson = `,"discounts":${json}`;
  }
  let paymentsCanon = '';
  let paymentsJson = '';
  if (b.payments !== undefined) {
    if (!listTexts(b.payments, paymentTexts)) return false;
    paymentsCanon = `"payments":${canon},`;
    paymentsJson = `,"payments":${json}`;
  }
  canon = `{${channel === undefined ? '' : `"channel":${channel},`}"currency":${currency},${discountsCanon}"items":${itemsCanon},${paymentsCanon}` +
    `${store === undefined ? '' : `"store":${store},`}${taxTotal === undefined ? '' : `"tax_total":${taxTotal},`}"total":${total}}`;
  json = `{"currency":${currency},"total":${total}${taxTotal === undefined ? '' : `,"tax_total":${taxTotal}`}` +
    `${store === undefined ? '' : `,"store":${store}`}${channel === undefined ? '' : `,"channel":${channel}`},"items":${itemsJson}${discountsJson}${paymentsJson}}`;
  return true;
}

/** The basket's keys, in order, as basketTexts expects them: the schemas' order, absent ones left out. */
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

/**
 * sku, name?, qty, unit_price, amount, category?, tax_included? (the schemas' order);
 * canonical: amount, category, name, qty, sku, tax_included, unit_price.
 */
function itemTexts(item: unknown): boolean {
  if (!isPlain(item)) return false;
  const sku = leaf(item.sku);
  const name = optionalLeaf(item.name);
  const qty = leaf(item.qty);
  const unitPrice = leaf(item.unit_price);
  const amount = leaf(item.amount);
  const category = optionalLeaf(item.category);
  const tax = optionalLeaf(item.tax_included);
  if (sku === undefined || name === null || qty === undefined || unitPrice === undefined || amount === undefined || category === null || tax === null) return false;
  const keys = name === undefined
    ? (category === undefined ? (tax === undefined ? ITEM_KEYS[0] : ITEM_KEYS[1]) : (tax === undefined ? ITEM_KEYS[2] : ITEM_KEYS[3]))
    : (category === undefined ? (tax === undefined ? ITEM_KEYS[4] : ITEM_KEYS[5]) : (tax === undefined ? ITEM_KEYS[6] : ITEM_KEYS[7]));
  if (!keysAre(item, keys!, keys!.length)) return false;
  canon = `{"amount":${amount}${category === undefined ? '' : `,"category":${category}`}${name === undefined ? '' : `,"name":${name}`}` +
    `,"qty":${qty},"sku":${sku}${tax === undefined ? '' : `,"tax_included":${tax}`},"unit_price":${unitPrice}}`;
  json = `{"sku":${sku}${name === undefined ? '' : `,"name":${name}`},"qty":${qty},"unit_price":${unitPrice},"amount":${amount}` +
    `${category === undefined ? '' : `,"category":${category}`}${tax === undefined ? '' : `,"tax_included":${tax}`}}`;
  return true;
}

/** An item's keys in order, by which of name, category, tax_included it has (bit 2, 1, 0 of the index). */
const ITEM_KEYS = [false, true].flatMap((name) => [false, true].flatMap((category) => [false, true].map((tax) => [
  'sku', ...(name ? ['name'] : []), 'qty', 'unit_price', 'amount', ...(category ? ['category'] : []), ...(tax ? ['tax_included'] : []),
])));

/** {code, amount}; canonical: amount first. */
const discountTexts = (value: unknown): boolean => pairTexts(value, 'code', DISCOUNT_KEYS);
/** {method, amount}; canonical: amount first. */
const paymentTexts = (value: unknown): boolean => pairTexts(value, 'method', PAYMENT_KEYS);

function pairTexts(value: unknown, key: 'code' | 'method', keys: readonly string[]): boolean {
  if (!isPlain(value)) return false;
  const first = leaf(value[key]);
  const amount = leaf(value.amount);
  if (first === undefined || amount === undefined || !keysAre(value, keys, 2)) return false;
  canon = `{"amount":${amount},"${key}":${first}}`;
  json = `{"${key}":${first},"amount":${amount}}`;
  return true;
}

const DISCOUNT_KEYS = ['code', 'amount'];
const PAYMENT_KEYS = ['method', 'amount'];

/** An array's texts from each element's: the same order in both. */
function listTexts(value: unknown, each: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  let c = '[';
  let j = '[';
  for (let i = 0; i < value.length; i++) {
    // A hole reads undefined: not a plain object, so the generic way.
    if (!each(value[i])) return false;
    if (i > 0) {
      c += ',';
      j += ',';
    }
    c += canon;
    j += json;
  }
  canon = `${c}]`;
  json = `${j}]`;
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

/** The JSON text of a string, finite number or boolean (the same in both texts), else undefined. */
function leaf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return plainString(value) ? `"${value}"` : JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}

/** An optional leaf: undefined when absent, null when present but not a leaf. */
function optionalLeaf(value: unknown): string | undefined | null {
  return value === undefined ? undefined : (leaf(value) ?? null);
}

/** No character JSON.stringify would escape: control characters, `"`, `\`, and surrogates (a lone one is escaped). */
function plainString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
