// Wallet units (protocol/units.ts): money or points, never confused.
import t from 'tap';
import { exponentOf, formatMoney } from '../../protocol/money.ts';
import { isCurrency, isPointsUnit, pointsUnit, unitCode } from '../../protocol/units.ts';

t.test('points units are PTS or 4-16 characters; currencies are 3 letters and not PTS', async (t) => {
  for (const u of ['PTS', 'STARS', 'MILES', 'BONUS_PTS', 'P1234567890ABCDE']) t.ok(isPointsUnit(u) && !isCurrency(u), `${u} is points`);
  for (const u of ['EUR', 'JPY', 'KWD', 'XTS']) t.ok(isCurrency(u) && !isPointsUnit(u), `${u} is a currency`);
  for (const u of ['', 'pts', 'EU', 'P', '1PTS', 'STAR-S', 'ABCDEFGHIJKLMNOPQ']) t.notOk(unitCode().safeParse(u).success, `${JSON.stringify(u)} is neither`);
  t.notOk(pointsUnit().safeParse('EUR').success, 'EUR is not a points unit');
});

t.test('points are whole numbers: formatted without decimals', async (t) => {
  t.equal(exponentOf('PTS'), 0);
  t.equal(formatMoney({ amount: 1250, currency: 'PTS' }), '1250 PTS');
  t.equal(formatMoney({ amount: 1250, currency: 'EUR' }), '12.50 EUR');
});
