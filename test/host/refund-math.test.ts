// Returns, table-driven: proportional reversal rounded up, spends credited per policy (rounded
// down), running totals so a sale returned in parts reverses exactly its award, zero floor.
import t from 'tap';
import { computeRefund, prorateUp, type RefundInput } from '../../host/refund-math.ts';
import type { RefundTotals } from '../../host/credit-store.ts';

const basket = {
  currency: 'EUR', total: 1000,
  items: [{ sku: 'A', qty: 1, unit_price: 333, amount: 333 }, { sku: 'B', qty: 2, unit_price: 334, amount: 667 }],
};
const none = (): RefundTotals => ({
  returned_amount: 0, reversed_award_amount: 0, unrecovered_award_amount: 0, credited_spend_amount: 0, returned: new Map(), points: new Map(),
  spends_at_returns: [],
});
const input = (over: Partial<RefundInput>): RefundInput => ({
  basket, award_amount: 100, spent_amount: 150, before: none(), items: [{ sku: 'A', qty: 1, amount: 333 }],
  balance: 1000, spend_credit: 'proportional', ...over,
});

t.test('prorateUp rounds up exactly', async (t) => {
  t.equal(prorateUp(100, 333, 1000), 34);
  t.equal(prorateUp(100, 300, 1000), 30);
  t.equal(prorateUp(0, 1, 3), 0);
  t.equal(prorateUp(10 ** 12, 1, 3), 333_333_333_334);
});

t.test('policies', async (t) => {
  t.match(computeRefund(input({})), { returned_amount: 333, reversed_award_amount: 34, credited_spend_amount: 49, unrecovered_award_amount: 0 });
  t.match(computeRefund(input({ spend_credit: 'none' })), { reversed_award_amount: 34, credited_spend_amount: 0 });
  t.match(computeRefund(input({ spend_credit: 'full_return' })), { credited_spend_amount: 0 }, 'partial: nothing yet');
  const all = [{ sku: 'A', qty: 1, amount: 333 }, { sku: 'B', qty: 2, amount: 667 }];
  t.match(computeRefund(input({ spend_credit: 'full_return', items: all })), { reversed_award_amount: 100, credited_spend_amount: 150 });
});

t.test('returned in parts: exactly the award and the spends, never more', async (t) => {
  for (const policy of ['proportional', 'full_return'] as const) {
    let before = none();
    let reversed = 0;
    let credited = 0;
    for (const item of [{ sku: 'A', qty: 1, amount: 333 }, { sku: 'B', qty: 1, amount: 334 }, { sku: 'B', qty: 1, amount: 333 }]) {
      const r = computeRefund(input({ before, items: [item], spend_credit: policy }));
      reversed += r.reversed_award_amount;
      credited += r.credited_spend_amount;
      const seen = before.returned.get(item.sku) ?? { amount: 0, qty: 0 };
      before = {
        returned_amount: before.returned_amount + r.returned_amount,
        reversed_award_amount: before.reversed_award_amount + r.reversed_award_amount,
        unrecovered_award_amount: before.unrecovered_award_amount + r.unrecovered_award_amount,
        credited_spend_amount: before.credited_spend_amount + r.credited_spend_amount,
        returned: new Map([...before.returned, [item.sku, { amount: seen.amount + item.amount, qty: seen.qty + item.qty * 1000 }]]),
        points: before.points,
        spends_at_returns: [...before.spends_at_returns!, { returned_before: before.returned_amount, spent: 150 }],
      };
    }
    t.equal(reversed, 100, `${policy}: award reversed once`);
    t.equal(credited, 150, `${policy}: spends credited once`);
    t.throws(() => computeRefund(input({ before, items: [{ sku: 'A', qty: 1, amount: 1 }] })), { code: 'BAD_REQUEST', message: /items\[0\]\.amount/ });
  }
});

t.test('the balance stops at zero; the credit lands first', async (t) => {
  t.match(computeRefund(input({ balance: 10, spend_credit: 'none' })), { reversed_award_amount: 10, unrecovered_award_amount: 24 });
  t.match(computeRefund(input({ balance: 0 })), { credited_spend_amount: 49, reversed_award_amount: 34, unrecovered_award_amount: 0 });
  t.match(computeRefund(input({ balance: -50, spend_credit: 'none' })), { reversed_award_amount: 0, unrecovered_award_amount: 34 });
  // A zero award reverses nothing; a zero-amount basket line divides nothing.
  t.match(computeRefund(input({ award_amount: 0, spent_amount: 0 })), { reversed_award_amount: 0, credited_spend_amount: 0 });
});

t.test('items checked against the sale', async (t) => {
  t.throws(() => computeRefund(input({ items: [{ sku: 'Z', qty: 1, amount: 1 }] })), { code: 'BAD_REQUEST', message: /items\[0\]\.sku: Z was not sold/ });
  t.throws(() => computeRefund(input({ items: [{ sku: 'B', qty: 2.001, amount: 1 }] })), { message: /items\[0\]\.qty/ });
  t.throws(() => computeRefund(input({ items: [{ sku: 'B', qty: 1, amount: 400 }, { sku: 'B', qty: 1, amount: 300 }] })), { message: /items\[0\]\.amount: B sold for 667/ });
  t.match(computeRefund(input({ items: [{ sku: 'B', qty: 0.5, amount: 100 }, { sku: 'B', qty: 1.5, amount: 567 }] })), { returned_amount: 667 });
});

t.test('points the sale earned: proportional, rounded up, each wallet stops at zero, exactly once in parts', async (t) => {
  // 86 PTS and 7 STARS earned; returning 333 of 1000 takes ceil(28.638) = 29 PTS and ceil(2.331) = 3 STARS.
  const points = [{ unit: 'PTS', awarded: 86, balance: 186 }, { unit: 'STARS', awarded: 7, balance: 7 }];
  t.same(computeRefund(input({ points })).points, [{ currency: 'PTS', reversed: 29, unrecovered: 0 }, { currency: 'STARS', reversed: 3, unrecovered: 0 }]);
  t.same(computeRefund(input({})).points, [], 'a sale that earned no points: nothing');
  // A points wallet never goes below zero: what it cannot cover is unrecovered, like money.
  t.same(computeRefund(input({ points: [{ unit: 'PTS', awarded: 86, balance: 10 }] })).points, [{ currency: 'PTS', reversed: 10, unrecovered: 19 }]);
  t.same(computeRefund(input({ points: [{ unit: 'PTS', awarded: 86, balance: -5 }] })).points, [{ currency: 'PTS', reversed: 0, unrecovered: 29 }]);
  // The money credit never covers points: the money wallet at 0 and a credit still leave PTS on its own.
  t.match(computeRefund(input({ balance: 0, points: [{ unit: 'PTS', awarded: 86, balance: 0 }] })), { reversed_award_amount: 34, points: [{ reversed: 0, unrecovered: 29 }] });

  let before = none();
  let reversed = 0;
  for (const item of [{ sku: 'A', qty: 1, amount: 333 }, { sku: 'B', qty: 1, amount: 334 }, { sku: 'B', qty: 1, amount: 333 }]) {
    const r = computeRefund(input({ before, items: [item], points: [{ unit: 'PTS', awarded: 86, balance: 1000 }] }));
    reversed += r.points[0]!.reversed;
    const seen = before.returned.get(item.sku) ?? { amount: 0, qty: 0 };
    const p = before.points.get('PTS') ?? { reversed: 0, unrecovered: 0 };
    before = {
      ...before,
      returned_amount: before.returned_amount + r.returned_amount,
      returned: new Map([...before.returned, [item.sku, { amount: seen.amount + item.amount, qty: seen.qty + item.qty * 1000 }]]),
      points: new Map([['PTS', { reversed: p.reversed + r.points[0]!.reversed, unrecovered: p.unrecovered + r.points[0]!.unrecovered }]]),
    };
  }
  t.equal(reversed, 86, 'a sale returned in three parts gives back its points once, never more');
  // What a zero balance left unrecovered is not taken again by a later return.
  const first = computeRefund(input({ points: [{ unit: 'PTS', awarded: 86, balance: 10 }] })).points[0]!;
  const after = {
    ...none(), returned_amount: 333, returned: new Map([['A', { amount: 333, qty: 1000 }]]),
    points: new Map([['PTS', { reversed: first.reversed, unrecovered: first.unrecovered }]]),
  };
  t.same(computeRefund(input({ before: after, items: [{ sku: 'B', qty: 2, amount: 667 }], points: [{ unit: 'PTS', awarded: 86, balance: 500 }] })).points,
    [{ currency: 'PTS', reversed: 57, unrecovered: 0 }], '86 − 29 taken or written off before');
});

t.test('a spend made after a return is credited against the goods kept when it was made', async (t) => {
  // 200 spent on the whole sale; A (333) returned: 66 credited; then 533 spent on what was left (B, 667).
  const afterA: RefundTotals = {
    ...none(), returned_amount: 333, reversed_award_amount: 34, credited_spend_amount: 66,
    returned: new Map([['A', { amount: 333, qty: 1000 }]]), spends_at_returns: [{ returned_before: 0, spent: 200 }],
  };
  const half = computeRefund(input({ before: afterA, spent_amount: 733, items: [{ sku: 'B', qty: 1, amount: 334 }] }));
  // floor(200 × 667/1000) + floor(533 × 334/667) − 66 = 133 + 266 − 66: at most the 334 returned. The whole-basket
  // share, floor(733 × 667/1000) − 66 = 422, would give back more than the goods are worth.
  t.equal(half.credited_spend_amount, 333);
  const afterB: RefundTotals = {
    ...afterA, returned_amount: 667, reversed_award_amount: 34 + half.reversed_award_amount, credited_spend_amount: 66 + 333,
    returned: new Map([['A', { amount: 333, qty: 1000 }], ['B', { amount: 334, qty: 1000 }]]),
    spends_at_returns: [{ returned_before: 0, spent: 200 }, { returned_before: 333, spent: 733 }],
  };
  const rest = computeRefund(input({ before: afterB, spent_amount: 733, items: [{ sku: 'B', qty: 1, amount: 333 }] }));
  t.equal(66 + 333 + rest.credited_spend_amount, 733, 'everything returned: every spend credited exactly once');
  t.equal(34 + half.reversed_award_amount + rest.reversed_award_amount, 100, 'and the award reversed exactly');
  // A return recorded before the snapshot existed (schema < 6): the earlier rule, whole basket.
  t.equal(computeRefund(input({ before: { ...afterA, spends_at_returns: null }, spent_amount: 733, items: [{ sku: 'B', qty: 1, amount: 334 }] })).credited_spend_amount, 422);
});
