// Table-driven tests of the pure rewards engine.
import t from 'tap';
import type { Basket } from '../../protocol/basket.ts';
import { awardResultSchema, previewResultSchema } from '../../protocol/upstream.ts';
import { awardResult, computeRewards, formattedLocalTime, localTime, previewResult, type Offer, type RewardsInput } from '../../host/engine.ts';

const item = (sku: string, amount: number, category?: string) => ({
  sku, qty: 1, unit_price: amount, amount, ...(category ? { category } : {}),
});

function basket(items: Basket['items'], discounts: Basket['discounts'] = []): Basket {
  const gross = items.reduce((s, i) => s + i.amount, 0);
  const off = discounts.reduce((s, d) => s + d.amount, 0);
  return { currency: 'EUR', total: gross - off, items, ...(discounts.length ? { discounts } : {}) };
}

const percent = (id: string, p: number, conditions: Offer['conditions'] = {}, instant = false): Offer => ({
  id, name: id, reward: { kind: 'percent', basis_points: Math.round(p * 100) }, instant, conditions,
});
const fixed = (id: string, amount: number, conditions: Offer['conditions'] = {}, instant = false, currency?: string): Offer => ({
  id, name: id, reward: { kind: 'amount', amount, ...(currency ? { currency } : {}) }, instant, conditions,
});

const PRODUCTS = new Map([
  ['COFFEE-1', { categories: ['coffee', 'hot-drinks'] }],
  ['TEA-1', { categories: ['hot-drinks'] }],
  ['BREAD-1', { categories: ['bakery'] }],
]);

// 2026-03-04 is a Wednesday.
function input(over: Partial<RewardsInput>): RewardsInput {
  return {
    participant: { balance: 0, automatic_spend: false },
    offers: [],
    products: PRODUCTS,
    basket: basket([item('COFFEE-1', 1000)]),
    store: 'S1',
    purchased_at: '2026-03-04T10:00:00Z',
    timezone: 'UTC',
    reduction: 'front_end',
    default_product: { sku: 'UNKNOWN', name: 'Unknown product' },
    ...over,
  };
}

interface Case {
  name: string;
  in: Partial<RewardsInput>;
  award: number;
  instant?: number;
  automatic?: number;
  spendable?: number;
  after?: number;
  offers?: string[];
  unknown?: string[];
}

const cases: Case[] = [
  { name: 'no offers', in: {}, award: 0, offers: [] },
  { name: '5% of everything', in: { offers: [percent('all5', 5)] }, award: 50, offers: ['all5'] },
  { name: 'percent with decimals floors (2.55% of 999)', in: { offers: [percent('p', 2.55)], basket: basket([item('COFFEE-1', 999)]) }, award: 25 },
  { name: 'percent with decimals (12.5% of 1000)', in: { offers: [percent('p', 12.5)] }, award: 125 },
  { name: 'fixed amount once when eligible', in: { offers: [fixed('f', 200, { skus: ['COFFEE-1'] })], basket: basket([item('COFFEE-1', 300), item('COFFEE-1', 300)]) }, award: 200 },
  { name: 'fixed amount not eligible', in: { offers: [fixed('f', 200, { skus: ['TEA-1'] })] }, award: 0, offers: [] },
  { name: 'fixed amount in another currency does not apply', in: { offers: [fixed('f', 200, {}, false, 'USD')] }, award: 0 },
  { name: 'fixed amount in the basket currency applies', in: { offers: [fixed('f', 200, {}, false, 'EUR')] }, award: 200 },
  { name: 'sku condition sums matching items', in: { offers: [percent('p', 10, { skus: ['TEA-1'] })], basket: basket([item('COFFEE-1', 1000), item('TEA-1', 500)]) }, award: 50 },
  { name: 'category via product', in: { offers: [percent('p', 10, { categories: ['hot-drinks'] })], basket: basket([item('COFFEE-1', 1000), item('TEA-1', 500), item('BREAD-1', 700)]) }, award: 150 },
  { name: 'category via the item itself', in: { offers: [percent('p', 10, { categories: ['fruit'] })], basket: basket([item('APPLE', 400, 'fruit'), item('BREAD-1', 700)]) }, award: 40, unknown: ['APPLE'] },
  { name: 'skus and categories both required', in: { offers: [percent('p', 10, { skus: ['COFFEE-1', 'BREAD-1'], categories: ['hot-drinks'] })], basket: basket([item('COFFEE-1', 1000), item('TEA-1', 500), item('BREAD-1', 700)]) }, award: 100 },
  { name: 'store matches', in: { offers: [percent('p', 10, { stores: ['S1', 'S2'] })] }, award: 100 },
  { name: 'store does not match', in: { offers: [percent('p', 10, { stores: ['S2'] })] }, award: 0 },
  { name: 'weekday matches (wed)', in: { offers: [percent('p', 10, { weekdays: ['wed'] })] }, award: 100 },
  { name: 'weekday does not match', in: { offers: [percent('p', 10, { weekdays: ['sat', 'sun'] })] }, award: 0 },
  { name: 'hours: inside', in: { offers: [percent('p', 10, { hours: { from: '09:00', to: '10:30' } })] }, award: 100 },
  { name: 'hours: to is exclusive', in: { offers: [percent('p', 10, { hours: { from: '08:00', to: '10:00' } })] }, award: 0 },
  { name: 'hours: from is inclusive', in: { offers: [percent('p', 10, { hours: { from: '10:00', to: '11:00' } })] }, award: 100 },
  { name: 'hours wrap midnight', in: { offers: [percent('p', 10, { hours: { from: '22:00', to: '02:00' } })], purchased_at: '2026-03-04T01:15:00Z' }, award: 100 },
  { name: 'valid_from date is inclusive', in: { offers: [percent('p', 10, { valid_from: '2026-03-04' })] }, award: 100 },
  { name: 'valid_from in the future', in: { offers: [percent('p', 10, { valid_from: '2026-03-05' })] }, award: 0 },
  { name: 'valid_to date covers the whole day', in: { offers: [percent('p', 10, { valid_to: '2026-03-04' })], purchased_at: '2026-03-04T23:59:00Z' }, award: 100 },
  { name: 'valid_to date-time is exclusive', in: { offers: [percent('p', 10, { valid_to: '2026-03-04T10:00:00Z' })] }, award: 0 },
  { name: 'valid_from date-time with offset', in: { offers: [percent('p', 10, { valid_from: '2026-03-04T11:00:00+02:00' })] }, award: 100 },
  {
    name: 'timezone: Wednesday 23:30 UTC is Thursday in Paris',
    in: { offers: [percent('p', 10, { weekdays: ['thu'], hours: { from: '00:00', to: '01:00' } })], purchased_at: '2026-03-04T23:30:00Z', timezone: 'Europe/Paris' },
    award: 100,
  },
  {
    name: 'timezone: the same instant is Wednesday in UTC',
    in: { offers: [percent('p', 10, { weekdays: ['thu'] })], purchased_at: '2026-03-04T23:30:00Z', timezone: 'UTC' },
    award: 0,
  },
  {
    name: 'timezone: the till offset does not matter, the host zone does',
    in: { offers: [percent('p', 10, { hours: { from: '18:00', to: '19:00' } })], purchased_at: '2026-07-01T12:30:00-04:00', timezone: 'Europe/Paris' },
    award: 100,
  },
  {
    name: 'discounts prorate eligible amount (floor)',
    in: { offers: [percent('p', 10, { skus: ['TEA-1'] })], basket: basket([item('COFFEE-1', 1000), item('TEA-1', 333)], [{ code: 'D', amount: 100 }]) },
    // 333 * 1233 / 1333 = 308.02 → 308; 10% → 30
    award: 30,
  },
  {
    name: 'discounts with a fixed offer still award the full amount',
    in: { offers: [fixed('f', 150, { skus: ['TEA-1'] })], basket: basket([item('TEA-1', 500)], [{ code: 'D', amount: 100 }]) },
    award: 150,
  },
  {
    name: 'several offers add up',
    in: { offers: [percent('all5', 5), percent('hot', 10, { categories: ['hot-drinks'] }), fixed('bread', 50, { skus: ['BREAD-1'] })], basket: basket([item('COFFEE-1', 1000), item('BREAD-1', 400)]) },
    award: 70 + 100 + 50, offers: ['all5', 'hot', 'bread'],
  },
  {
    name: 'instant offer is spent on the same purchase',
    in: { offers: [fixed('now', 200, {}, true), percent('all5', 5)], participant: { balance: 1000, automatic_spend: false } },
    award: 250, instant: 200, automatic: 0, spendable: 800, after: 1050,
  },
  {
    name: 'instant spend is capped at the basket total',
    in: { offers: [fixed('now', 5000, {}, true)], participant: { balance: 0, automatic_spend: false } },
    award: 5000, instant: 1000, spendable: 0, after: 4000,
  },
  {
    name: 'automatic spend uses the pre-existing balance',
    in: { offers: [percent('all5', 5)], participant: { balance: 300, automatic_spend: true } },
    award: 50, instant: 0, automatic: 300, spendable: 0, after: 50,
  },
  {
    name: 'automatic spend is capped at what is left to pay',
    in: { offers: [fixed('now', 400, {}, true)], participant: { balance: 5000, automatic_spend: true } },
    award: 400, instant: 400, automatic: 600, spendable: 0, after: 4400,
  },
  {
    name: 'automatic spend never uses a negative balance',
    in: { participant: { balance: -200, automatic_spend: true } },
    award: 0, automatic: 0, spendable: 0, after: -200,
  },
  {
    name: 'spendable is bounded by the balance',
    in: { participant: { balance: 300, automatic_spend: false } },
    award: 0, spendable: 300, after: 300,
  },
  {
    name: 'spendable is bounded by the payable amount',
    in: { participant: { balance: 3000, automatic_spend: false } },
    award: 0, spendable: 1000, after: 3000,
  },
  {
    name: 'unknown sku is accepted under the default product',
    in: { offers: [percent('all5', 5), percent('hot', 10, { categories: ['hot-drinks'] })], basket: basket([item('MYSTERY', 1000), item('MYSTERY', 200), item('TEA-1', 100)]) },
    award: 65 + 10, unknown: ['MYSTERY'],
  },
  {
    name: 'an offer on the default product sku matches unknown items',
    in: { offers: [percent('unk', 10, { skus: ['UNKNOWN'] })], basket: basket([item('MYSTERY', 1000), item('TEA-1', 100)]) },
    award: 100, unknown: ['MYSTERY'],
  },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const r = computeRewards(input(c.in));
    t.equal(r.award_amount, c.award, 'award');
    if (c.instant !== undefined) t.equal(r.instant_spend_amount, c.instant, 'instant');
    if (c.automatic !== undefined) t.equal(r.automatic_spend_amount, c.automatic, 'automatic');
    if (c.spendable !== undefined) t.equal(r.spendable_amount, c.spendable, 'spendable');
    if (c.after !== undefined) t.equal(r.balance_after, c.after, 'balance after');
    if (c.offers) t.same(r.offers.map((o) => o.id), c.offers, 'offers');
    t.same(r.unknown_skus, c.unknown ?? [], 'unknown skus');
    t.equal(r.total_spend_amount, r.instant_spend_amount + r.automatic_spend_amount);
    t.equal(r.balance_after, r.balance_before + r.award_amount - r.total_spend_amount);
    t.ok(previewResultSchema.safeParse(previewResult(r)).success, 'preview result matches the schema');
    t.ok(awardResultSchema.safeParse(awardResult(r)).success, 'award result matches the schema');
  });
}

t.test('results carry the right balances', async (t) => {
  const r = computeRewards(input({ offers: [percent('all5', 5)], participant: { balance: 700, automatic_spend: false }, basket: basket([item('X', 1000)]) }));
  t.same(previewResult(r).balance, { amount: 700, currency: 'EUR' }, 'preview: current balance');
  t.same(awardResult(r).balance, { amount: 750, currency: 'EUR' }, 'award: balance after');
  t.same(awardResult(r).unknown_skus, ['X']);
  t.equal(awardResult(computeRewards(input({}))).unknown_skus, undefined, 'no unknown_skus key when all known');
});

t.test('localTime', async (t) => {
  t.same(localTime(new Date('2026-03-29T00:30:00Z'), 'Europe/Paris'), { weekday: 'sun', minutes: 90, date: '2026-03-29' });
  t.same(localTime(new Date('2026-03-29T01:30:00Z'), 'Europe/Paris'), { weekday: 'sun', minutes: 210, date: '2026-03-29' }, 'after the DST switch');
  t.same(localTime(new Date('2026-01-01T00:00:00Z'), 'America/New_York'), { weekday: 'wed', minutes: 19 * 60, date: '2025-12-31' });
});

t.test('localTime (offset kept per UTC hour) gives Intl\'s answer, around offset changes too', async (t) => {
  // Zones with half- and quarter-hour offsets, a 30-minute DST (Lord Howe), a skipped day (Apia, 2011),
  // an offset with seconds (Amsterdam before 1937), and instants on both sides of changes.
  const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns',
    'Pacific/Apia', 'Europe/Amsterdam', 'UTC', 'Pacific/Chatham', 'America/Santiago'];
  const around = ['2026-03-29T01:00:00Z', '2026-10-25T01:00:00Z', '2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z',
    '2026-04-04T15:00:00Z', '2026-10-03T15:30:00Z', '2011-12-30T10:00:00Z', '1930-06-01T12:00:00Z', '1937-06-30T22:40:00Z',
    '2026-11-30T23:59:59.999Z', '0999-12-31T23:00:00Z', '1000-01-03T00:00:00Z', '9999-12-31T20:00:00Z'].map((s) => Date.parse(s));
  let checked = 0;
  for (const zone of zones) {
    for (const base of around) {
      for (let step = -150; step <= 150; step += 7) {
        const instant = new Date(base + step * 60_000 + (step % 3) * 17_321);
        const got = localTime(instant, zone);
        const want = formattedLocalTime(instant, zone);
        checked++;
        if (got.weekday !== want.weekday || got.minutes !== want.minutes || got.date !== want.date) {
          t.fail(`${zone} ${instant.toISOString()}: ${JSON.stringify(got)} vs Intl ${JSON.stringify(want)}`);
        }
      }
    }
  }
  t.pass(`${checked} instants`);
});

// Points and tiers (issue 8 item 11; seed 004: "Rules governing purchase behaviors that must be
// met to achieve loyalty outcomes available within a specific tier level").
const pointsOffer = (id: string, points: number, conditions: Offer['conditions'] = {}, perUnit = false, unit = 'PTS'): Offer => ({
  id, name: id, reward: perUnit ? { kind: 'points_per_unit', points, unit } : { kind: 'points', points, unit }, instant: false, conditions,
});

t.test('points offers earn whole points into the points wallet; tiers gate offers', async (t) => {
  const gold = { balance: 500, automatic_spend: false, tier: 'gold', points_units: ['PTS'] };
  const offers = [
    percent('cash5', 5),
    fixed('gold-eur', 100, { tiers: ['gold'] }),
    pointsOffer('per-euro', 3, {}, true),
    pointsOffer('coffee-bonus', 40, { skus: ['COFFEE-1'] }),
    pointsOffer('stars', 7, {}, false, 'STARS'),
  ];
  // 10.99 EUR: per whole euro floors to 10 × 3 = 30 points.
  const b = basket([item('COFFEE-1', 1099)]);
  const r = computeRewards(input({ participant: gold, offers, basket: b }));
  t.equal(r.award_amount, 54 + 100, 'money offers unchanged: 5% + the gold bonus');
  t.same(r.points, [{ amount: 70, currency: 'PTS' }], 'points summed per unit; no STARS wallet, no STARS');
  t.same(r.offers.filter((o) => o.points).map((o) => [o.id, o.award_amount, o.points!.amount]), [['per-euro', 0, 30], ['coffee-bonus', 0, 40]]);
  t.equal(r.balance_after, 500 + 154, 'points never move the money balance');

  const silver = computeRewards(input({ participant: { ...gold, tier: 'silver' }, offers, basket: b }));
  t.equal(silver.award_amount, 54, 'silver: no gold offer');
  const none = computeRewards(input({ participant: { balance: 0, automatic_spend: false }, offers: [fixed('g', 100, { tiers: ['gold'] })] }));
  t.equal(none.award_amount, 0, 'no tier: no tier-conditioned offer');

  const pointsOnly = computeRewards(input({
    participant: { balance: 0, automatic_spend: true, money_wallet: false, points_units: ['PTS'] }, offers, basket: b,
  }));
  t.same([pointsOnly.award_amount, pointsOnly.automatic_spend_amount, pointsOnly.spendable_amount], [0, 0, 0], 'points-only: no cashback, nothing spent');
  t.same(pointsOnly.points, [{ amount: 70, currency: 'PTS' }]);

  const tiny = computeRewards(input({ participant: gold, offers: [pointsOffer('per-euro', 3, {}, true)], basket: basket([item('TEA-1', 99)]) }));
  t.same(tiny.points, [], '0.99 EUR earns no per-euro points');
  const yen = computeRewards(input({ participant: gold, offers: [pointsOffer('per-yen', 1, {}, true)], basket: { currency: 'JPY', total: 1200, items: [item('TEA-1', 1200)] } }));
  t.same(yen.points, [{ amount: 1200, currency: 'PTS' }], 'per whole unit follows the currency exponent');

  t.ok(previewResultSchema.safeParse(previewResult(r)).success && awardResultSchema.safeParse(awardResult(r)).success, 'results carry points within the upstream schemas');
  t.same(awardResult(r).points, [{ amount: 70, currency: 'PTS' }]);
});
