'use strict';
// Environments in a real Chromium (issue 19, item 1), by keyboard where a person would type:
// the Environments tab, +Environment with a base URL and a plain and a sealed variable,
// Save; an endpoint with a relative URL reading {{env.NAME}}; Test with the environment
// selector; the log page names the environment and the echo upstream got the joined URL.
// On a failure the page is saved as TEST_TMP/screenshots/environments-<step>.png.
const test = require('node:test');
const assert = require('node:assert/strict');
const { browserSuite } = require('./lib.js');
const { env, sql, unique } = require('../integration/lib.js');

const tag = unique('E').split(' ')[1].replace(/[^a-z0-9]/gi, '');
const SEALED = `sealed-${tag}-value`;
let b;
const step = browserSuite(test, 'environments', { signIn: true, set: (x) => { b = x; } });
let connectorId;

test('add an environment, run an endpoint with a relative URL in it', async () => {
  await step('setup', async () => {
    const page = b.page;
    await page.goto(b.url('/data-connector-categories/new'));
    await page.fill('#name', `Browser Envs ${tag}`);
    await Promise.all([page.waitForNavigation(), page.click('button.primary')]);
    await page.goto(b.url('/data-connectors/new'));
    await page.fill('#name', `Envs ${tag}`);
    const cat = sql(`SELECT id FROM categories WHERE name = 'Browser Envs ${tag}'`)[0].id;
    await page.check(`#category-${cat}`);
    await Promise.all([page.waitForNavigation(), page.click('button.primary')]);
    connectorId = /\/data-connectors\/(\d+)$/.exec(page.url())[1];
  });
  await step('environment', async () => {
    const page = b.page;
    await Promise.all([page.waitForNavigation(), page.click('nav.tabs >> text=Environments')]);
    assert.match(await page.textContent('.empty'), /No environments yet/);
    await Promise.all([page.waitForNavigation(), page.click('#add-environment')]);
    const unlabelled = await page.$$eval('input, select, textarea', (els) => els
      .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
      .map((e) => e.outerHTML.slice(0, 120)));
    assert.deepEqual(unlabelled, [], 'every input has a label');
    await page.focus('#name');
    await page.keyboard.type('Staging');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // Default environment
    await page.keyboard.press('Tab');
    await page.keyboard.type(env('ECHO_URL'));
    await page.fill('#var-0-name', 'who');
    await page.fill('#var-0-value', 'staging');
    await page.fill('#var-1-name', 'sig');
    await page.check('#var-1-sealed');
    await page.fill('#var-1-value', SEALED);
    await page.focus('#save-environment');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(await page.textContent('.flash'), /The environment Staging was added\./);
    assert.match(await page.textContent('#environments'), /Staging\s+default/);
    assert.ok(!(await page.content()).includes(SEALED), 'the sealed value is not on the page');
  });
  await step('test', async () => {
    const page = b.page;
    await page.goto(b.url(`/data-connectors/${connectorId}/endpoints/new`));
    await page.fill('#purpose', 'Who');
    await page.fill('#url', '/echo/{{env.who}}');
    await page.click('#headers-panel > summary');
    await page.fill('#header-0-key', 'X-Sig');
    await page.fill('#header-0-value', '{{env.sig}}');
    await Promise.all([page.waitForNavigation(), page.click('#save-endpoint')]);
    assert.equal((await page.textContent('.flash')).trim(), 'The Data Connector was saved');
    assert.equal(await page.inputValue('#environment'), 'Staging');
    await Promise.all([page.waitForNavigation(), page.click('#test-endpoint')]);
    await page.waitForSelector('#response-body', { timeout: 20000 });
    assert.equal((await page.textContent('#log-environment')).trim(), 'Staging');
    const echo = JSON.parse(await page.textContent('#response-body'));
    assert.equal(echo.path, '/echo/staging', 'the relative URL joined to the base URL');
    assert.ok(!(await page.content()).includes(SEALED), 'the sealed value is masked on the Test screen');
    assert.deepEqual(b.errors, [], 'no JavaScript errors');
  });
});
