// The status page in a real browser (headless chromium), as a technician sees it: the till, the
// uplink, the outbox and its dead letters, each device (one goes offline: the page shows it by its
// second redraw after the agent says so), the last receipts as images, and the token-guarded buttons.
import t from 'tap';
import { By, haveBrowser, startBrowser, until, type Driver } from '../helpers/browser.ts';
import { freePort } from '../helpers/ports.ts';
import { printerServer } from '../helpers/printer-server.ts';
import { startSystem } from '../helpers/system.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'status-page-token-0123456789';
const basket = { currency: 'EUR', total: 100, items: [{ sku: 'A', qty: 1, unit_price: 100, amount: 100 }] };

// The page redraws every second, so an element found a moment ago may be gone: read and click
// in one step (text), or again until it holds (click).
const text = async (driver: Driver, css: string): Promise<string> =>
  driver.executeScript<string>('const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : "";', css);
async function click(driver: Driver, css: string): Promise<void> {
  await driver.wait(async () => {
    try {
      await (await driver.findElement(By.css(css))).click();
      return true;
    } catch (error) {
      if ((error as Error).name === 'StaleElementReferenceError') return false;
      throw error;
    }
  }, 10_000, `a click on ${css}`);
}
const until2 = (driver: Driver, what: string, check: () => Promise<boolean>, ms: number) =>
  driver.wait(async () => check().catch(() => false), ms, `the page to show ${what} within ${ms} ms`);

t.test('a technician watches the till', { skip: haveBrowser() ? false : 'needs chromium and chromium-driver (apt)' }, async (t) => {
  const printer = await printerServer(t, await freePort());
  const pagePort = await freePort();
  const sys = await startSystem(t, {
    agent: {
      status_page: { listen: `127.0.0.1:${pagePort}`, token: TOKEN },
      devices: [
        { name: 'scanner0', kind: 'barcode-scanner', transport: 'virtual' },
        { name: 'printer0', kind: 'printer', transport: 'tcp', host: '127.0.0.1', port: printer.port, width: 42, code_page: 'cp858', queue_timeout_ms: 20000 },
        { name: 'printer1', kind: 'printer', transport: 'virtual', width: 42 },
      ],
    },
  });
  await sys.waitOnline();
  const pos = await sys.pos();
  t.match(await pos.request('events.subscribe', { topics: ['device'] }), { ok: true });
  await waitFor(async () => {
    const r = await pos.request('devices.list');
    return r.ok && (r.result as { devices: Array<{ state: string }> }).devices.every((d) => d.state === 'ready');
  }, { what: 'all devices ready' });
  // A dead letter: the host does not know this customer.
  await pos.request('award', { txn_id: 'ghost-1', customer_id: 'ghost', basket });

  const driver = await startBrowser(t);
  await driver.get(`http://127.0.0.1:${pagePort}/#token=${TOKEN}`);
  await driver.wait(until.elementTextContains(await driver.findElement(By.id('freshness')), 'updated'), 20_000);
  t.equal(await text(driver, '#identity'), 'M1 · Store S1 · Till T1', 'the till');
  t.match(await text(driver, '#version'), /^till-agent \d+\.\d+\.\d+/);
  t.equal(await text(driver, '#uplink-state'), 'online');
  t.equal(await driver.getCurrentUrl(), `http://127.0.0.1:${pagePort}/`, 'the token left the address bar');
  await until2(driver, 'the dead letter', async () => (await text(driver, '#outbox-dead')) === '1', 15_000);
  t.match(await text(driver, '#dead-letters tr[data-message]'), /award\s+ghost-1\s+NOT_FOUND: unknown customer ghost/);
  for (const name of ['scanner0', 'printer0', 'printer1']) {
    t.equal(await text(driver, `tr[data-device="${name}"] .state`), 'ready', `${name} ready`);
  }

  // A device goes offline: the page shows it, with the reason, by itself at its second redraw after
  // the agent's event (the first may draw an answer asked for before it): counted in the page, not
  // timed, as a loaded machine stretches the page's second.
  await driver.executeScript(`window.redraws = 0;
    const freshness = document.getElementById('freshness');
    new MutationObserver(() => { if (freshness.textContent.startsWith('updated')) window.redraws += 1; })
      .observe(freshness, { childList: true, characterData: true, subtree: true });`);
  const redraws = () => driver.executeScript<number>('return window.redraws;');
  await printer.close();
  await pos.waitForEvent('device', (d) => (d as { device: string; state: string }).device === 'printer0' && (d as { state: string }).state !== 'ready', 30_000);
  const heard = await redraws();
  await until2(driver, 'two redraws', async () => (await redraws()) >= heard + 2, 30_000);
  t.not(await text(driver, 'tr[data-device="printer0"] .state'), 'ready', 'printer0 shown not ready by the second redraw after the event');
  t.not(await text(driver, 'tr[data-device="printer0"] .reason'), '', 'with its last error');
  t.equal(await text(driver, 'tr[data-device="printer1"] .state'), 'ready', 'the other printer still ready');

  // The print-test button prints on the chosen printer; the receipt shows up as an image.
  await click(driver, '#printer option[value="printer1"]');
  await click(driver, '#print-test');
  await until2(driver, 'the print result', async () => /print test: printed on printer1/.test(await text(driver, '#action-result')), 15_000);
  await until2(driver, 'the receipt image', async () =>
    driver.executeScript<boolean>('const i = document.querySelector("#receipts figure img"); return Boolean(i && i.complete && i.naturalWidth > 100);'), 15_000);
  t.match(await text(driver, '#receipts figcaption'), /^printer1 · print-test-\d+ · printed/);

  // Retry puts the dead letter back in the queue (the host refuses it again later).
  await click(driver, '#dead-letters tr[data-message] button');
  await until2(driver, 'the retry result', async () => /retry ghost-1: 1 message\(s\) back in the queue/.test(await text(driver, '#action-result')), 15_000);

  // Without the right token the actions are refused (the page itself reads fine on loopback).
  const wrong = await fetch(`http://127.0.0.1:${pagePort}/api/outbox/retry`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{"all":true}' });
  t.equal(wrong.status, 401);
  t.equal((await fetch(`http://127.0.0.1:${pagePort}/api/print-test`, { method: 'POST', body: '{}' })).status, 401);
});

t.test('no token: the buttons are off', { skip: haveBrowser() ? false : 'needs chromium' }, async (t) => {
  const pagePort = await freePort();
  const sys = await startSystem(t, {
    startHost: false,
    agent: { status_page: { listen: `127.0.0.1:${pagePort}` }, devices: [{ name: 'printer0', kind: 'printer', transport: 'virtual' }] },
  });
  const driver = await startBrowser(t);
  await driver.get(`http://127.0.0.1:${pagePort}/`);
  await driver.wait(until.elementTextContains(await driver.findElement(By.id('freshness')), 'updated'), 20_000);
  t.equal(await (await driver.findElement(By.id('print-test'))).isEnabled(), false, 'print test disabled');
  t.match(await text(driver, '#actions-off'), /Actions are off: set status_page\.token/);
  const post = await fetch(`http://127.0.0.1:${pagePort}/api/print-test`, { method: 'POST', body: '{}' });
  t.equal(post.status, 403);
  void sys;
});
