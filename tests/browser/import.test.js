'use strict';
// Import in a real Chromium (issue 19), all by keyboard: on a connector's Endpoints tab,
// Import, paste a cURL command, Preview (nothing saved yet), Save, then Test the new
// endpoint and see the echo server's answer with the command's header.
// On a failure the page is saved as TEST_TMP/screenshots/import-<step>.png.
const test = require('node:test');
const assert = require('node:assert/strict');
const { browserSuite, assertLabelled } = require('./lib.js');
const { env, sql, unique } = require('../integration/lib.js');

const tag = unique('I').split(' ')[1].replace(/[^a-z0-9]/gi, '');
let b;
const step = browserSuite(test, 'import', { signIn: true, set: (x) => { b = x; } });
let connectorId;

/** Focus an element and press Enter on it, waiting for the page it opens. */
async function enterOn(page, selector) {
  await page.focus(selector);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}

test('a connector to import into', async () => {
  await step('connector', async () => {
    const page = b.page;
    await page.goto(b.url('/data-connector-categories/new'));
    await page.fill('#name', `Browser Import ${tag}`);
    await Promise.all([page.waitForNavigation(), page.click('button.primary')]);
    await page.goto(b.url('/data-connectors/new'));
    await page.fill('#name', `Import ${tag}`);
    const cat = sql(`SELECT id FROM categories WHERE name = 'Browser Import ${tag}'`)[0].id;
    await page.check(`#category-${cat}`);
    await Promise.all([page.waitForNavigation(), page.click('button.primary')]);
    connectorId = /\/data-connectors\/(\d+)$/.exec(page.url())[1];
  });
});

test('paste a cURL command, preview, save and Test it, by keyboard', async () => {
  await step('import', async () => {
    const page = b.page;
    await page.goto(b.url(`/data-connectors/${connectorId}/endpoints`));
    await enterOn(page, '#import-endpoints');
    assert.match(await page.textContent('h2'), /Import endpoints/);
    assert.equal(await page.isVisible('#import-file'), true, 'a file can be chosen with JavaScript');
    await page.focus('#format');
    assert.equal(await page.inputValue('#format'), 'curl');
    await page.focus('#source');
    await page.keyboard.type(`curl '${env('ECHO_URL')}/echo/imported' -H 'X-Imported: by keyboard'`);
    await enterOn(page, '#import-preview-button');
    assert.match(await page.textContent('#import-preview'), /What Save will create/);
    assert.match(await page.textContent('table.endpoints'), /GET \/echo\/imported/);
    assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${connectorId}`)[0].n, '0', 'a preview saves nothing');
    assert.match(await page.inputValue('#source'), /X-Imported: by keyboard/, 'the text is kept');
    await enterOn(page, '#import-save');
    assert.match((await page.textContent('.flash')).trim(), /1 endpoint was imported/);
    assert.ok(page.url().endsWith(`/data-connectors/${connectorId}/endpoints`));
    await enterOn(page, 'button[aria-label="Test GET /echo/imported"]');
    assert.match(await page.textContent('#response-status'), /200\s+OK/);
    const echo = JSON.parse(await page.textContent('#response-body'));
    assert.equal(echo.path, '/echo/imported');
    assert.equal(echo.headers['x-imported'], 'by keyboard');
    assert.deepEqual(b.errors, [], 'no JavaScript errors');
  });
});

test('the proposed authorization: a labelled box, unticked; ticked, Save sets the method on the Authorization tab', async () => {
  await step('apply-auth', async () => {
    const page = b.page;
    await page.goto(b.url(`/data-connectors/${connectorId}/authorization`));
    const before = await page.inputValue('#auth_type');
    assert.notEqual(before, 'basic', `not Basic before the import (${before})`);
    await page.goto(b.url(`/data-connectors/${connectorId}/endpoints/import`));
    await page.focus('#source');
    await page.keyboard.type(`curl '${env('ECHO_URL')}/echo/with-user' -u ann:not-kept-pw`);
    await enterOn(page, '#import-preview-button');
    assert.match(await page.textContent('#import-auth'), /Proposed authorization: basic \(user ann\)/);
    await assertLabelled(page, 'the import preview');
    assert.equal((await page.textContent('label[for="apply_auth"]')).trim(), 'Also set this authorization method on the Data Connector');
    assert.equal(await page.isChecked('#apply_auth'), false, 'unticked by default');
    assert.match(await page.textContent('#apply_auth-hint'), new RegExp(`It replaces the current method \\(${before}\\)`));
    await page.focus('#apply_auth');
    await page.keyboard.press('Space');
    assert.equal(await page.isChecked('#apply_auth'), true, 'ticked with the keyboard');
    await enterOn(page, '#import-save');
    assert.match((await page.textContent('.flash')).trim(), /1 endpoint was imported\. The authorization method is now basic/);
    await Promise.all([page.waitForNavigation(), page.click('nav.tabs >> text=Authorization')]);
    assert.equal(await page.inputValue('#auth_type'), 'basic', 'the Authorization tab shows the method');
    assert.equal(await page.inputValue('#username'), 'ann', 'with the user from the command');
    assert.ok(!(await page.content()).includes('not-kept-pw'), 'the password is not kept');
    assert.deepEqual(b.errors, [], 'no JavaScript errors');
  });
});
