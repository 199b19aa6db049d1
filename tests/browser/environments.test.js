'use strict';
// Environments in a real Chromium (issue 19, item 1), by keyboard where a person would type:
// the Environments tab, +Environment with a base URL and a plain and a sealed variable,
// Save; an endpoint with a relative URL reading {{env.NAME}}; Test with the environment
// selector; the log page names the environment and the echo upstream got the joined URL.
// On a failure the page is saved as TEST_TMP/screenshots/environments-<step>.png.
const test = require('node:test');
const assert = require('node:assert/strict');
const { browserSuite, assertLabelled } = require('./lib.js');
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

test('the Endpoints list: pick a non-default environment, a row\'s Test runs there, by keyboard', async () => {
  await step('second-environment', async () => {
    const page = b.page;
    await page.goto(b.url(`/data-connectors/${connectorId}/environments/new`));
    await page.fill('#name', 'Production');
    assert.equal(await page.isChecked('#is_default'), false, 'not the default');
    await page.fill('#base_url', `${env('ECHO_URL')}/echo/prod-base`);
    await page.fill('#var-0-name', 'who');
    await page.fill('#var-0-value', 'production');
    await Promise.all([page.waitForNavigation(), page.click('#save-environment')]);
    assert.match(await page.textContent('.flash'), /The environment Production was added\./);
    assert.match(await page.textContent('#environments'), /Staging\s+default/, 'Staging stays the default');
  });
  await step('list-test', async () => {
    const page = b.page;
    await page.goto(b.url(`/data-connectors/${connectorId}/endpoints`));
    await assertLabelled(page, 'the Endpoints list');
    assert.equal((await page.textContent('label[for="list-environment"]')).trim(), 'Test in environment');
    assert.equal(await page.inputValue('#list-environment'), 'Staging', 'the default is selected first');
    assert.deepEqual(await page.$$eval('#list-environment option', (os) => os.map((o) => o.value)).then((v) => v.slice().sort()),
      ['Production', 'Staging']);
    // By keyboard: focus the selector, arrow to Production, then Tab on to the row's Test button.
    await page.focus('#list-environment');
    for (let i = 0; i < 3 && (await page.inputValue('#list-environment')) !== 'Production'; i++) {
      await page.keyboard.press((await page.$$eval('#list-environment option', (os) => os[0].value)) === 'Production' ? 'ArrowUp' : 'ArrowDown');
    }
    assert.equal(await page.inputValue('#list-environment'), 'Production', 'chosen with the arrow keys');
    const target = 'Test Who';
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate((t) => document.activeElement && document.activeElement.getAttribute('aria-label') === t, target);
    }
    assert.ok(reached, 'the row\'s Test button is reached with Tab from the selector');
    assert.equal(await page.inputValue('#list-environment'), 'Production', 'Tab keeps the choice');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(page.url(), /\/data-connector-logs\/\d+/, `on the log entry: ${page.url()}`);
    await page.waitForSelector('#response-body', { timeout: 20000 });
    assert.equal((await page.textContent('#log-environment')).trim(), 'Production', 'the log names the environment picked');
    const line = (await page.textContent('#request-line code.url')).trim();
    assert.ok(line.startsWith(`${env('ECHO_URL')}/echo/prod-base/`), `the request went to Production's base URL: ${line}`);
    const echo = JSON.parse(await page.textContent('#response-body'));
    assert.equal(echo.path, '/echo/prod-base/echo/production', 'Production\'s base URL and its variable, not Staging\'s');
    const id = /\/data-connector-logs\/(\d+)/.exec(page.url())[1];
    assert.equal(sql(`SELECT environment FROM execution_logs WHERE id = ${id}`)[0].environment, 'Production', 'recorded in the log row');
    assert.deepEqual(b.errors, [], 'no JavaScript errors');
  });
});
