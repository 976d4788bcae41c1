import t from 'tap';
import { add, exponentOf, formatMoney, money, percentOf, prorate, subtract } from '../../protocol/money.ts';

t.test('formatting by ISO 4217 exponent', async (t) => {
  const table: Array<[number, string, string]> = [
    [1234, 'EUR', '12.34 EUR'], [5, 'EUR', '0.05 EUR'], [-250, 'EUR', '-2.50 EUR'],
    [1234, 'JPY', '1234 JPY'], [1234, 'KWD', '1.234 KWD'], [0, 'USD', '0.00 USD'],
  ];
  for (const [amount, currency, text] of table) t.equal(formatMoney({ amount, currency }), text);
});

// ISO 4217's list as of 2025: every code whose minor unit is not 2. "N.A." (no minor unit) is 0.
t.test('every ISO 4217 minor unit other than 2', async (t) => {
  const table: Record<number, string[]> = {
    0: ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
      'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX'],
    3: ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'],
    4: ['CLF', 'UYW'],
  };
  for (const [exponent, codes] of Object.entries(table)) for (const code of codes) t.equal(exponentOf(code), Number(exponent), code);
  for (const code of ['EUR', 'USD', 'GBP', 'CHF', 'IDR', 'HUF', 'MGA', 'MRU', 'SLE', 'VES', 'ZWG', 'XCD', 'XCG']) t.equal(exponentOf(code), 2, code);
  t.equal(formatMoney({ amount: 12345, currency: 'CLF' }), '1.2345 CLF');
  t.equal(formatMoney({ amount: -5, currency: 'UYW' }), '-0.0005 UYW');
  t.equal(formatMoney({ amount: 12345, currency: 'XXX' }), '12345 XXX');
});

t.test('integer arithmetic only', async (t) => {
  t.same(add(money(10, 'EUR'), money(5, 'EUR')), { amount: 15, currency: 'EUR' });
  t.same(subtract(money(10, 'EUR'), money(15, 'EUR')), { amount: -5, currency: 'EUR' });
  t.throws(() => add(money(1, 'EUR'), money(1, 'USD')), /currency mismatch/);
  t.throws(() => money(1.5, 'EUR'), /integer/);
  t.equal(percentOf(999, 250), 24, '2.5% of 9.99 floors to 0.24');
  t.equal(percentOf(9_007_199_254_740_991, 10_000), 9_007_199_254_740_991, 'no float overflow');
  t.equal(prorate(1000, 900, 1000), 900);
  t.equal(prorate(5, 1, 0), 0);
});

t.test('sums are exact integers or refused, never rounded', async (t) => {
  const { sumAmounts, addAmounts, MAX_AMOUNT, MAX_BALANCE } = await import('../../protocol/money.ts');
  t.equal(sumAmounts([1, 2, 3]), 6);
  t.equal(sumAmounts([]), 0);
  t.equal(sumAmounts([Number.MAX_SAFE_INTEGER, 1, 1]), null, 'MAX_SAFE_INTEGER + 1 + 1 is not rounded to 2^53');
  t.equal(sumAmounts([Number.MAX_SAFE_INTEGER, -1]), Number.MAX_SAFE_INTEGER - 1);
  t.equal(sumAmounts([0.5, 0.5]), null, 'fractions are not amounts');
  t.equal(sumAmounts([-Number.MAX_SAFE_INTEGER, -1]), null);
  t.throws(() => addAmounts(Number.MAX_SAFE_INTEGER, 1), { code: 'BAD_REQUEST', retryable: false });
  t.ok(600 * MAX_AMOUNT < MAX_BALANCE && 2 * MAX_BALANCE < Number.MAX_SAFE_INTEGER, 'the limits leave headroom');
});
