// The hot requests checked by hand before zod: the request envelope and award's params (v1 and v2),
// and the basket of an upstream award (the host's side of a drain: protocol/fast-upstream.ts).
// zod stays the definition and the only source of errors. A check here either returns exactly the
// value its zod schema would (same keys in the same order, unknown keys of a v1 object dropped) or
// gives up with undefined, and then the schema runs: anything unusual, wrong or merely unexpected
// gives up, so errors and their messages are zod's by construction.
// test/property/fast-path.property.test.ts holds both to their schemas (protocol/local.ts, basket.ts).
import { MAX_BASKET_DISCOUNTS, MAX_BASKET_ITEMS, MAX_BASKET_PAYMENTS } from './basket.ts';
import { CURRENCY_PATTERN, MAX_AMOUNT, isPointsUnit, subtractAmounts, sumAmountFields } from './money.ts';
import { containsPan } from './pan.ts';
import { MAX_QTY, TXN_ID_PATTERN, hasAtMostQtyDecimals } from './schema.ts';

type Plain = Record<string, unknown>;
type Shape = 'v1' | 'v2' | 'upstream';

/** The envelope {id, op, params?} of requestSchema, or undefined. */
export function fastRequest(value: unknown): { id: string | number; op: string; params?: Record<string, unknown> } | undefined {
  if (!isPlain(value)) return undefined;
  const { id, op, params } = value;
  if (!(typeof id === 'string' ? id.length <= 128 : Number.isSafeInteger(id))) return undefined;
  if (!noPanText(op, 1, 64)) return undefined;
  if (params === undefined) return 'params' in value ? undefined : { id: id as string | number, op };
  // z.record copies the object; its keys are all strings here (JSON), "__proto__" is left to zod.
  if (!isPlain(params) || Object.prototype.hasOwnProperty.call(params, '__proto__')) return undefined;
  return { id: id as string | number, op, params: { ...params } };
}

/**
 * An award request {id, op: "award", params} as fastRequest and then fastAward take it, in one walk, or
 * undefined: its id, its params as fastAward returns them (no copy of the params first: fastAward
 * reads their keys and makes its own objects) and `keys`, how many keys the value has at least: the
 * envelope's own and those of the params fastAward kept (protocol/award-frame.ts compares it with the
 * line's colons, the duplicate-key check without a walk of its own).
 */
export function fastAwardRequest(value: unknown, v2: boolean): { id: string | number; params: Plain; keys: number } | undefined {
  if (!isPlain(value)) return undefined;
  const { id, op, params } = value;
  if (op !== 'award' || !(typeof id === 'string' ? id.length <= 128 : Number.isSafeInteger(id))) return undefined;
  // As fastRequest: a params object with a "__proto__" key of its own is left to zod.
  if (!isPlain(params) || Object.prototype.hasOwnProperty.call(params, '__proto__')) return undefined;
  const checked = fastAward(params, v2);
  if (!checked) return undefined;
  // JSON.parse makes plain objects whose keys are all own and enumerable.
  let keys = 3 + madeKeys; // txn_id, customer_id, basket, and the basket's
  for (const _ in value) keys++;
  return { id: id as string | number, params: checked, keys };
}

/** award's params as paramSchemas.award (v1) or paramSchemasV2.award (v2) return them, or undefined. */
export function fastAward(params: unknown, v2: boolean): Plain | undefined {
  if (!isPlain(params) || (v2 && !onlyKeys(params, AWARD_KEYS))) return undefined;
  const { txn_id, customer_id } = params;
  if (!txnId(txn_id) || !nonEmpty(customer_id, 128)) return undefined;
  const checked = basket(params.basket, v2 ? 'v2' : 'v1');
  if (!checked) return undefined;
  const out = { txn_id, customer_id, basket: checked };
  lastFastAward = out;
  return out;
}

/**
 * The value fastAward returned last. Only the last one, not a set of all: a request's params reach
 * its award handler before another request is parsed (a WeakSet's add was ~1.1 k instructions an
 * award, issue 10); if something ever came between, the handler would only check them again.
 */
let lastFastAward: object | undefined;

/**
 * Whether `value` is the award params fastAward returned last: plain objects, exactly the schema's keys
 * in its order, strings, finite numbers and booleans as leaves (agent/ops/award-texts.ts writes their
 * texts without checking that again). Validated params are not changed afterwards.
 */
export function isFastAward(value: object): boolean {
  return value === lastFastAward;
}

/** A basket as upstreamBasketSchema (protocol/basket.ts) returns it, or undefined. */
export function fastUpstreamBasket(b: unknown): Plain | undefined {
  return basket(b, 'upstream');
}

const AWARD_KEYS = new Set(['txn_id', 'customer_id', 'basket']);
const BASKET_V2_KEYS = new Set(['currency', 'total', 'tax_total', 'store', 'channel', 'items', 'discounts', 'payments']);
const ITEM_KEYS = new Set(['sku', 'name', 'qty', 'unit_price', 'amount', 'category', 'tax_included']);
const DISCOUNT_KEYS = new Set(['code', 'amount']);
const PAYMENT_KEYS = new Set(['method', 'amount']);

/**
 * The basket of each shape: v1 (no channel or payments, unknown keys dropped), v2 (unknown keys
 * refused) and upstream (a v2 basket as the host takes it, unknown keys dropped).
 */
function basket(b: unknown, shape: Shape): Plain | undefined {
  const strict = shape === 'v2';
  if (!isPlain(b) || (strict && !onlyKeys(b, BASKET_V2_KEYS))) return undefined;
  madeKeys = 0;
  const out = header(b);
  if (!out) return undefined;
  if (shape !== 'v1' && !optional(b, 'channel', out, (c) => (noPanText(c, 1, 64) ? c : undefined))) return undefined;
  const items = list(b.items, 1, MAX_BASKET_ITEMS, (item) => basketItem(item, shape));
  if (!items) return undefined;
  out.items = items;
  if (!optional(b, 'discounts', out, (d) => list(d, 0, MAX_BASKET_DISCOUNTS, (x) => discount(x, strict)))) return undefined;
  if (shape !== 'v1' && !optional(b, 'payments', out, (p) => list(p, 0, MAX_BASKET_PAYMENTS, (x) => payment(x, strict)))) return undefined;
  if (!addsUp(out)) return undefined;
  // The items' keys were counted as they were made; the basket's own, and its discounts' and payments'.
  const discounts = out.discounts as Plain[] | undefined;
  const payments = out.payments as Plain[] | undefined;
  madeKeys += 3 + present(out.tax_total) + present(out.store) + present(out.channel) +
    (discounts === undefined ? 0 : 1 + 2 * discounts.length) + (payments === undefined ? 0 : 1 + 2 * payments.length);
  return out;
}

/** Keys of the objects the last basket() made: its own and its items', discounts' and payments' (fastAwardRequest). */
let madeKeys = 0;

function present(value: unknown): number {
  return value === undefined ? 0 : 1;
}

/** currency, total, tax_total?, store? (headerFields of protocol/basket.ts), in that order. */
function header(b: Plain): Plain | undefined {
  const { currency, total, tax_total, store } = b;
  if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency) || isPointsUnit(currency)) return undefined;
  if (!minorUnits(total)) return undefined;
  const out: Plain = { currency, total };
  // The optional keys written out, as optional() checks them (see basketItem).
  if (tax_total !== undefined) {
    if (!minorUnits(tax_total)) return undefined;
    out.tax_total = tax_total;
  } else if ('tax_total' in b) return undefined;
  if (store !== undefined) {
    if (!noPanText(store, 0, 64)) return undefined;
    out.store = store;
  } else if ('store' in b) return undefined;
  return out;
}

/** v1: tax_included a flag; v2: the tax amount, unknown keys refused; upstream: either, unknown keys dropped. */
function basketItem(item: unknown, shape: Shape): Plain | undefined {
  if (!isPlain(item) || (shape === 'v2' && !onlyKeys(item, ITEM_KEYS))) return undefined;
  const { sku, name, qty, unit_price, amount, category, tax_included } = item;
  if (!noPanText(sku, 1, 64)) return undefined;
  const out: Plain = { sku };
  // The optional keys written out, each as optional() checks it (absent, or present with a value that
  // passes): through optional() each key was a keyed read and a keyed write, megamorphic across the
  // keys, and a closure per call (~4 k of an offline award's instructions for two items, issue 10).
  if (name !== undefined) {
    if (!noPanText(name, 0, 256)) return undefined;
    out.name = name;
  } else if ('name' in item) return undefined;
  if (!quantity(qty) || !minorUnits(unit_price) || !minorUnits(amount)) return undefined;
  out.qty = qty;
  out.unit_price = unit_price;
  out.amount = amount;
  if (category !== undefined) {
    if (!noPanText(category, 0, 128)) return undefined;
    out.category = category;
  } else if ('category' in item) return undefined;
  if (tax_included !== undefined) {
    // v1: a flag; v2: the tax amount, at most the item's; upstream: either.
    const flag = shape !== 'v2' && typeof tax_included === 'boolean';
    if (!flag && !(shape !== 'v1' && minorUnits(tax_included) && tax_included <= amount)) return undefined;
    out.tax_included = tax_included;
  } else if ('tax_included' in item) return undefined;
  madeKeys += 4 + present(name) + present(category) + present(tax_included);
  return out;
}

function discount(d: unknown, v2: boolean): Plain | undefined {
  if (!isPlain(d) || (v2 && !onlyKeys(d, DISCOUNT_KEYS))) return undefined;
  const { code, amount } = d;
  return noPanText(code, 1, 64) && minorUnits(amount) ? { code, amount } : undefined;
}

function payment(p: unknown, strict: boolean): Plain | undefined {
  if (!isPlain(p) || (strict && !onlyKeys(p, PAYMENT_KEYS))) return undefined;
  const { method, amount } = p;
  return noPanText(method, 1, 64) && minorUnits(amount) && amount > 0 ? { method, amount } : undefined;
}

/** totalAddsUp of protocol/basket.ts: items minus discounts is exactly the total. */
function addsUp(basket: Plain): boolean {
  const items = sumAmountFields(basket.items as Plain[]);
  const discounts = basket.discounts === undefined ? 0 : sumAmountFields(basket.discounts as Plain[]);
  if (items === null || discounts === null) return false;
  const net = subtractAmounts(items, discounts);
  return net !== null && net === basket.total;
}

/** An optional key: absent, or present with a value `check` maps to a defined output (copied to out). */
export function optional(input: Plain, key: string, out: Plain, check: (value: unknown) => unknown): boolean {
  const value = input[key];
  if (value === undefined) return !(key in input);
  const checked = check(value);
  if (checked === undefined) return false;
  out[key] = checked;
  return true;
}

export function list<T>(value: unknown, min: number, max: number, each: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value) || value.length < min || value.length > max) return undefined;
  const out: T[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item = each(value[i]);
    if (!item) return undefined;
    out[i] = item;
  }
  return out;
}

/** An object as JSON.parse makes them. Anything else is left to zod. */
export function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function onlyKeys(value: Plain, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(value)) if (!allowed.has(key)) return false;
  return true;
}

export function text(value: unknown, min: number, max: number): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max;
}

/** nonEmpty(max) of protocol/schema.ts. */
export const nonEmpty = (value: unknown, max: number): value is string => text(value, 1, max);

/** freeText / nonEmptyText of protocol/schema.ts: a string of min..max characters without a card number. */
export const noPanText = (value: unknown, min: number, max: number): value is string => text(value, min, max) && !containsPan(value);

const txnId = (value: unknown): value is string => text(value, 1, 128) && TXN_ID_PATTERN.test(value) && !containsPan(value);

const minorUnits = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_AMOUNT;

const quantity = (value: unknown): value is number =>
  typeof value === 'number' && value > 0 && value <= MAX_QTY && hasAtMostQtyDecimals(value);
