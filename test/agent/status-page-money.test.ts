// The status page's money text: each currency with its own decimals, never minor units / 100.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { limitsText, moneyText } from '../../agent/status-page/money-text.ts';

t.test('offline totals as the till formats money', async (t) => {
  t.equal(moneyText([]), 'none');
  t.equal(moneyText([{ amount: 1234, currency: 'EUR' }]), '12.34 EUR');
  t.equal(moneyText([{ amount: 1500, currency: 'JPY' }, { amount: 1234, currency: 'KWD' }]), '1500 JPY, 1.234 KWD');
  t.equal(moneyText([{ amount: 5, currency: 'CLF' }]), '0.0005 CLF');
});

t.test('the page shows the agent\'s text and does no money arithmetic of its own', async (t) => {
  const app = readFileSync(new URL('../../agent/status-page/assets/app.js', import.meta.url), 'utf8');
  t.match(app, /s\.offline_amounts_text/, 'the offline card takes the agent\'s text');
  t.notMatch(app, /amount\s*\/\s*100|toFixed\(2\)/, 'no division of minor units in the page');
});

t.test('the offline limits as the config names them, in the till\'s currencies', async (t) => {
  const limits = { spend_floor_limit: 2000, total_spend_limit: 15000, total_spend_count: 5, max_age_s: 7200 };
  t.equal(limitsText(limits, ['EUR']),
    'spend_floor_limit 20.00 EUR, total_spend_limit 150.00 EUR, total_spend_count 5, max_age_s 7200 (2 h)');
  t.equal(limitsText(limits, ['EUR', 'JPY']),
    'spend_floor_limit 20.00 EUR / 2000 JPY, total_spend_limit 150.00 EUR / 15000 JPY, total_spend_count 5, max_age_s 7200 (2 h)');
  t.equal(limitsText({ ...limits, spend_floor_limit: 0, max_age_s: 86_400 + 90 }, []),
    'spend_floor_limit 0 (offline spend disabled), total_spend_limit 15000 (minor units), total_spend_count 5, max_age_s 86490 (24 h 1 min)');
});
