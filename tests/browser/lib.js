'use strict';
// Browser tests drive Debian's Chromium (CHROMIUM, default /usr/bin/chromium) through
// playwright-core; no browser is downloaded. scripts/test sets DCGATE_URL and TMPDIR.
//
//   const { openBrowser } = require('./lib.js');
//   const b = await openBrowser();                 // {browser, context, page, close()}
//   await b.page.goto(b.url('/login'));
//   await b.login('admin', process.env.DCGATE_ADMIN_PASSWORD);
//   await b.screenshot('login');                   // TEST_TMP/screenshots/login.png
//   await b.close();
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

function baseUrl() {
  return (process.env.DCGATE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
}

/**
 * Launch Chromium with one context and one page. opts: {viewport ({width, height};
 * default 1280x800; a phone: {width: 390, height: 844}), timeout (ms, default 15000),
 * bypassCSP (let a test inject a script such as axe-core), timezoneId ("Asia/Tokyo")}.
 */
async function openBrowser(opts = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
  });
  const context = await browser.newContext({
    viewport: opts.viewport || { width: 1280, height: 800 },
    baseURL: baseUrl(),
    bypassCSP: !!opts.bypassCSP, // axe-core is injected as a script (tests/browser/daily.test.js)
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
  context.setDefaultTimeout(opts.timeout || 15000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return {
    browser,
    context,
    page,
    /** JavaScript errors and console errors seen so far on the page. */
    errors,
    url: (p) => baseUrl() + p,
    /** Sign in through the form; resolves after the redirect. */
    async login(username, password) {
      await page.goto(baseUrl() + '/login');
      await page.fill('input[name="username"]', username);
      await page.fill('input[name="password"]', password);
      await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    },
    /** A PNG of the page under TEST_TMP/screenshots (or TMPDIR); returns its path. */
    async screenshot(name) {
      const dir = path.join(process.env.TEST_TMP || process.env.TMPDIR || '/tmp', 'screenshots');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
    },
  };
}

/**
 * One browser for a whole test file: opened (signed in as the admin with signIn) before its
 * tests and closed after them; set(b) hands it to the file. Returns step(name, fn): runs fn
 * and, when it fails, saves TEST_TMP/screenshots/<prefix>-<name>.png and names it.
 */
function browserSuite(test, prefix, { signIn = false, set }) {
  let b = null;
  test.before(async () => {
    b = await openBrowser();
    set(b);
    if (signIn) await b.login(process.env.DCGATE_ADMIN_USER, process.env.DCGATE_ADMIN_PASSWORD);
  });
  test.after(async () => {
    if (b) await b.close();
  });
  return async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      const file = b ? await b.screenshot(`${prefix}-${name}`).catch(() => null) : null;
      if (file) e.message += `\n(screenshot: ${file})`;
      throw e;
    }
  };
}

/** Every input, select and textarea a user sees has a label (or an aria-label). */
async function assertLabelled(page, where) {
  const assert = require('node:assert/strict');
  const unlabelled = await page.$$eval('input, select, textarea', (els) => els
    .filter((e) => e.type !== 'hidden')
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
      && !e.getAttribute('aria-labelledby'))
    .map((e) => e.outerHTML.slice(0, 120)));
  assert.deepEqual(unlabelled, [], `unlabelled inputs on ${where}`);
}

module.exports = { openBrowser, baseUrl, FLAGS, browserSuite, assertLabelled };
