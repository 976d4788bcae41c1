// The status page's offline card in a real browser (headless chromium): the limits a technician
// set, in the till's currencies as the agent formats money (20.00 EUR, 2000 JPY), not the raw
// minor units of the status answer ({"spend_floor_limit":2000,…}).
import t from 'tap';
import { By, haveBrowser, startBrowser, until } from '../helpers/browser.ts';
import { freePort } from '../helpers/ports.ts';
import { startSystem } from '../helpers/system.ts';

t.test('the offline limits, formatted', { skip: haveBrowser() ? false : 'needs chromium and chromium-driver (apt)' }, async (t) => {
  const pagePort = await freePort();
  await startSystem(t, {
    startHost: false,
    agent: {
      status_page: { listen: `127.0.0.1:${pagePort}` },
      currencies: ['EUR', 'JPY'],
      offline: { spend_floor_limit: 2000, total_spend_limit: 15000, total_spend_count: 5, max_age_s: 7200 },
    },
  });
  const driver = await startBrowser(t);
  await driver.get(`http://127.0.0.1:${pagePort}/`);
  await driver.wait(until.elementTextContains(await driver.findElement(By.id('freshness')), 'updated'), 20_000);
  const limits = async () => driver.executeScript<string>(`
    const dt = [...document.querySelectorAll('#offline dt')].find((e) => e.textContent === 'limits');
    return dt && dt.nextElementSibling ? dt.nextElementSibling.innerText.trim() : '';`);
  await driver.wait(async () => (await limits()) !== '', 20_000, 'the offline card\'s limits');
  t.equal(await limits(),
    'spend_floor_limit 20.00 EUR / 2000 JPY, total_spend_limit 150.00 EUR / 15000 JPY, total_spend_count 5, max_age_s 7200 (2 h)');
  t.notMatch(await limits(), /[{}"]/, 'no raw JSON');
});
