// The dashboard with auth on, in headless Chromium: the page is open, its data is the admin's; the page asks for a
// token, forgets one that is refused, and shows the data once given ADMIN_TOKEN.
import fs from 'node:fs';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startWithProvider, TestIdentityProvider } from '../support/auth.js';
import type { TestApp } from '../support/testApp.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'dashboard-admin-token-for-auth-8c2b';
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

describe('auth: the dashboard with auth on, in headless Chromium', function () {
  this.timeout(60_000);
  let idp: TestIdentityProvider;
  let t: TestApp;
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(function () {
    if (!fs.existsSync(CHROMIUM) && process.env.CI !== 'true') {
      console.log(`    skipped: ${CHROMIUM} is absent (install Debian's chromium package; .ci/run does)`);
      this.skip();
    }
  });

  beforeEach(async () => {
    idp = await TestIdentityProvider.start();
    t = await startWithProvider(idp, { MODULES: 'users', ADMIN_TOKEN: TOKEN });
    server = await t.app.listen();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage();
  });

  afterEach(async () => {
    await browser?.close();
    await t?.stop();
    await idp?.close();
  });

  it('when opened, then it asks for a token, refuses a token without admin, and shows the data with ADMIN_TOKEN', async () => {
    const address = server.address();
    await page.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/dashboard`);
    await page.waitForFunction(() => document.querySelector('#token-state')?.textContent === 'auth is on: enter a token with the admin scope');
    expect(await page.locator('#token-form').isVisible()).to.equal(true);
    expect(await page.locator('body[data-loaded="true"]').count()).to.equal(0);

    await page.fill('#token-input', await idp.token({ sub: 'reader', scope: 'events:read' }));
    await page.click('#token-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#token-state')?.textContent === 'That token was refused: the dashboard needs the admin scope.');

    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('body[data-loaded="true"]');
    expect(await page.locator('#tile-broker .value').textContent()).to.equal('in-process');
    expect(await page.locator('#token-state').textContent()).to.equal('admin: unlocked');
  });
});
