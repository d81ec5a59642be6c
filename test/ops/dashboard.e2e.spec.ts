import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestApp, tempDir, type TestApp } from '../support/testApp.js';
import { opsProbeModule, probeControl, type ProbeControl } from './support/opsProbe.js';

const CHROMIUM = '/usr/bin/chromium';

// The callbacks given to waitForFunction/evaluate run inside the page (functions, not strings: the page's CSP
// forbids eval); the test project has no DOM types, so these declare the little they touch.
declare const document: {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
};
declare const sessionStorage: { getItem(key: string): string | null };
const TOKEN = 'dashboard-token-5521';

describe('dashboard in headless Chromium', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let control: ProbeControl;
  let base: string;
  const shots = tempDir('paybus-dashboard-');

  before(function () {
    // Only a developer machine without Chromium skips; in CI a missing browser must fail the run.
    if (!fs.existsSync(CHROMIUM) && process.env.CI !== 'true') {
      console.log(`    skipped: ${CHROMIUM} is absent (install Debian's chromium package; .ci/run does)`);
      this.skip();
    }
  });

  beforeEach(async () => {
    control = probeControl();
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '2', ADMIN_TOKEN: TOKEN }, { extraModules: [opsProbeModule(control)] });
    server = await t.app.listen();
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => console.log(`    page error: ${error.message}`));
  });

  afterEach(async () => {
    await browser?.close();
    await t?.stop();
  });

  const createUser = (name: string) => t.http.post('/users').send({ email: `${randomUUID()}@dash.test`, name }).expect(201);
  const attr = (selector: string, name: string) => page.locator(selector).getAttribute(name);

  it('loads, draws the charts after some traffic, and empties a dead letter on retry', async () => {
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]');
    // Read-only until the token is given: counts, no error text, no retry button.
    expect(await page.locator('#token-form').isVisible()).to.equal(true);
    expect(await page.locator('#dead-hint').textContent()).to.include('Enter the admin token');
    expect(await page.locator('#tile-broker .value').textContent()).to.equal('in-process');

    // Traffic spread over a few polls, one of which dead-letters.
    for (let i = 0; i < 6; i++) {
      await createUser(i === 2 ? 'poison pill' : `user ${i}`);
      await page.waitForTimeout(400);
    }
    await t.settle();
    await page.waitForFunction(() => Number(document.querySelector('#chart-events .chart')?.getAttribute('data-max')) > 0, undefined, { timeout: 20_000 });
    await page.waitForFunction(() => Number(document.querySelector('#chart-latency .chart')?.getAttribute('data-points')) > 0, undefined, { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector('#chart-dead .chart')?.getAttribute('data-rows') === '1', undefined, { timeout: 20_000 });
    expect(await page.locator('#chart-events polyline[data-series="user.created"]').count()).to.equal(1);
    expect(await page.locator('#chart-events polyline[data-series="user.updated"]').count()).to.equal(1);
    expect(await page.locator('#tile-dead .value').textContent()).to.equal('1');
    expect(await page.locator('#alert-list').textContent()).to.include('opsprobe.flaky: 1 dead letter waiting');
    // Six users, each followed by two chained updates.
    await page.waitForFunction(() => document.querySelectorAll('#recent-rows tr').length === 18, undefined, { timeout: 20_000 });
    expect(await attr('#recent-rows tr:first-child a', 'href')).to.match(/^\/events\?aggregateId=[0-9a-f-]{36}$/);

    // The token is asked once and kept for the tab.
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type="submit"]');
    const row = page.locator('#dead-letter-rows tr[data-dead-letter]');
    await row.first().waitFor();
    expect(await row.count()).to.equal(1);
    expect(await row.first().locator('td.error').textContent()).to.equal('downstream refused the event');
    expect(await page.evaluate(() => sessionStorage.getItem('paybus.adminToken'))).to.equal(TOKEN);
    expect(await page.locator('#token-form').isVisible()).to.equal(false);
    const shot = path.join(shots, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`    screenshot: ${shot}`);

    // The fault is fixed: retry from the page empties the dead letters.
    control.poisonFails = false;
    await row.first().locator('button.retry').click();
    await page.waitForFunction(() => document.querySelectorAll('#dead-letter-rows tr[data-dead-letter]').length === 0, undefined, { timeout: 20_000 });
    expect(await page.locator('#dead-outcome').textContent()).to.match(/handled, removed/);
    expect(await t.app.deadLetters.find()).to.deep.equal([]);
    await page.waitForFunction(() => document.querySelector('#tile-dead .value')?.textContent === '0', undefined, { timeout: 20_000 });
    await page.screenshot({ path: path.join(shots, 'dashboard-after-retry.png'), fullPage: true });
  });

  it('refuses a wrong token and stays read-only', async () => {
    await createUser('poison pill');
    await t.settle();
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#token-state')?.textContent === 'That admin token was refused.');
    expect(await page.locator('#dead-letter-rows tr').count()).to.equal(0);
    expect(await page.evaluate(() => sessionStorage.getItem('paybus.adminToken'))).to.equal(null);
    expect(await page.locator('#tile-dead .value').textContent()).to.equal('1');
  });
});
