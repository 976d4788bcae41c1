// The largest basket the contract allows (500 items, LOCAL.md "Limits") as a POS sends it, with names
// and categories, through a real agent, mosquitto and the reference host. At a 64 KiB line limit it
// was FRAME_TOO_LARGE (500 items of ~135 bytes) and the connection was closed: a supermarket's long
// basket could not be awarded at all. The line limit is now MAX_LINE_BYTES, and still enforced.
import t from 'tap';
import { MAX_BASKET_ITEMS } from '../../protocol/basket.ts';
import { MAX_LINE_BYTES } from '../../protocol/local.ts';
import { startSystem } from '../helpers/system.ts';

/** An EAN-13 with its check digit, as a scanner reads it (a 13-digit number without one could be a card). */
function ean13(base12: string): string {
  const sum = [...base12].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return base12 + String((10 - (sum % 10)) % 10);
}

t.test('a 500-item basket with names and categories is awarded; a line over the limit is still FRAME_TOO_LARGE', async (t) => {
  const sys = await startSystem(t);
  await sys.waitOnline();
  const pos = await sys.pos();
  const items = Array.from({ length: MAX_BASKET_ITEMS }, (_, i) => ({
    sku: ean13(String(400638100000 + i)), name: `Organic semi-skimmed milk 1L no ${String(i).padStart(3, '0')}`, category: 'dairy-and-eggs',
    qty: 1, unit_price: 100, amount: 100,
  }));
  const basket = { currency: 'EUR', total: 100 * MAX_BASKET_ITEMS, items };
  const line = JSON.stringify({ id: 1, op: 'award', params: { txn_id: 'long-1', customer_id: 'alice', basket } });
  t.ok(line.length > 64 * 1024, `the line is ${line.length} bytes, over the old 64 KiB`);
  t.ok(line.length <= MAX_LINE_BYTES, 'and within the limit');
  pos.send(`${line}\n`);
  t.match(await pos.nextFrame(), { id: 1, ok: true, result: { status: 'awarded' } }, 'awarded by the host');

  const over = JSON.stringify({ id: 2, op: 'status', params: {} }) + ' '.repeat(MAX_LINE_BYTES);
  pos.send(`${over}\n`);
  t.match(await pos.nextFrame(), { id: null, ok: false, error: { code: 'FRAME_TOO_LARGE' } });
});
