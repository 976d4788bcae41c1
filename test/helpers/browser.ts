// A real browser for page tests: Debian's chromium, headless, driven through chromium-driver with
// selenium-webdriver. Each test gets a fresh profile (removed at teardown) and its own driver.
import { existsSync } from 'node:fs';
import webdriver from 'selenium-webdriver';
import chrome from 'selenium-webdriver/chrome.js';
import { tempDir } from './tmp.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMEDRIVER = '/usr/bin/chromedriver';
export const { By, until } = webdriver;
export type Driver = webdriver.WebDriver;

export function haveBrowser(): boolean {
  return existsSync(CHROMIUM) && existsSync(CHROMEDRIVER);
}

export async function startBrowser(t: { teardown(fn: () => unknown): void }): Promise<Driver> {
  const profile = await tempDir(t, 'till-chromium-');
  const options = new chrome.Options();
  options.setChromeBinaryPath(CHROMIUM);
  // As root (CI) chromium needs --no-sandbox; the rest keeps it quiet and offline.
  options.addArguments('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--window-size=1280,1600');
  const driver = await new webdriver.Builder()
    .forBrowser('chrome')
    .setChromeOptions(options)
    .setChromeService(new chrome.ServiceBuilder(CHROMEDRIVER))
    .build();
  t.teardown(() => driver.quit());
  return driver;
}
