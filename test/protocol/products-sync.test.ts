// products.sync params. Version 2: the host stores a product as sent (a field left out is cleared),
// so an unknown key and a SKU listed twice in one request are refused; version 1 is unchanged.
import t from 'tap';
import { parseParams } from '../../protocol/local.ts';

const product = (over: Record<string, unknown> = {}) => ({ sku: 'A', name: 'Croissant', ...over });
const sync = (products: unknown[], protocol: 1 | 2, extra: Record<string, unknown> = {}) =>
  parseParams('products.sync', { products, ...extra }, protocol);
const errors = (r: ReturnType<typeof sync>) => (r.ok ? '' : r.errors.join('\n'));

t.test('protocol 2 accepts a catalogue that lists each SKU once, every field kept', async (t) => {
  const full = product({ type: 'food', brand: 'X', family: 'bakery', categories: ['bakery'], description: 'Butter' });
  const r = sync([full, product({ sku: 'B' })], 2, { mode: 'full', more: true });
  t.ok(r.ok);
  if (r.ok) t.same(r.value.products, [full, product({ sku: 'B' })]);
});

const refusedV2: Array<[string, unknown[], RegExp, Record<string, unknown>?]> = [
  // CRM.COM's product object has one `category`: sent by mistake, it would clear the categories.
  ['a CRM.COM category', [product({ category: 'bakery' })], /^params\.products\[0\]: unknown key\(s\): category$/],
  ['a price', [product(), product({ sku: 'B', price: 150 })], /^params\.products\[1\]: unknown key\(s\): price$/],
  ['an unknown params key', [product()], /^params: unknown key\(s\): store$/, { store: 'S1' }],
  ['a SKU twice, other content', [product(), product({ sku: 'B' }), product({ name: 'Pain' })],
    /^params\.products\[2\]\.sku: the same SKU as params\.products\[0\]: list each product once$/],
  ['a SKU twice, same content', [product(), product()], /^params\.products\[1\]\.sku: the same SKU as params\.products\[0\]/],
];

for (const [name, products, message, extra] of refusedV2) {
  t.test(`protocol 2 refuses ${name}`, async (t) => {
    const r = sync(products, 2, extra);
    t.notOk(r.ok);
    t.match(errors(r), message);
  });
}

t.test('a SKU twice across the 1,000-product batches of one request is found too', async (t) => {
  const products = Array.from({ length: 1001 }, (_, i) => product({ sku: `P${i % 1000}` }));
  t.match(errors(sync(products, 2)), /^params\.products\[1000\]\.sku: the same SKU as params\.products\[0\]/);
});

t.test('protocol 1 is unchanged: unknown keys dropped, a repeated SKU accepted', async (t) => {
  const r = sync([product({ category: 'bakery', price: 150 }), product()], 1, { store: 'S1' });
  t.ok(r.ok);
  if (r.ok) t.same(r.value.products, [product(), product()]);
});

t.test('categories is a list: a single string is named as such (every version)', async (t) => {
  for (const protocol of [1, 2] as const) {
    t.match(errors(sync([product({ categories: 'bakery' })], protocol)), /^params\.products\[0\]\.categories: must be an array of strings$/);
  }
});
