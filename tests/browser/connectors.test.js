'use strict';
// Data connectors in a real Chromium (issue 4): sign in, two categories, a connector with
// both made by keyboard only, the duplicate-name error beside its field with the input
// kept, search, category filter, delete through the confirm step (dialog with JavaScript,
// page without), a view-only user without Edit or Delete, and a label on every input.
// On a failure the page is saved as TEST_TMP/screenshots/connectors-<step>.png.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { baseUrl, browserSuite, assertLabelled } = require('./lib.js');
const { env, sql, sqlString, unique } = require('../integration/lib.js');

const tag = unique('B').split(' ')[1];
const catA = `Browser ${tag} Red`;
const catB = `Browser ${tag} Blue`;
const nameOne = `Kbd ${tag} One`;
const nameTwo = `Kbd ${tag} Two`;
let b;
const step = browserSuite(test, 'connectors', { set: (x) => { b = x; } });

async function flash(page) {
  return (await page.textContent('.flash')).trim();
}

/** Presses Tab until the element with this id has focus (at most 60 times). */
async function tabTo(page, id) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((x) => document.activeElement && document.activeElement.id === x, id)) return;
  }
  throw new Error(`Tab never reached #${id}`);
}

function categoryId(name) {
  return sql(`SELECT id FROM categories WHERE name = ${sqlString(name)}`)[0].id;
}

function connectorId(name) {
  return sql(`SELECT id FROM connectors WHERE name = ${sqlString(name)}`)[0].id;
}

test('sign in and create two categories', async () => {
  await step('categories', async () => {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    const { page } = b;
    for (const name of [catA, catB]) {
      await page.goto(b.url('/data-connector-categories/new'));
      await assertLabelled(page, 'the category form');
      await page.fill('#name', name);
      await page.selectOption('#status', 'active');
      await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]:has-text("Save")')]);
      assert.equal(await flash(page), 'The category was created');
      assert.ok((await page.textContent('table.categories')).includes(name));
    }
    await assertLabelled(page, 'the category list');
  });
});

test('create a connector with both categories by keyboard only', async () => {
  await step('create-keyboard', async () => {
    const { page } = b;
    await page.goto(b.url('/data-connectors'));
    await assertLabelled(page, 'the connector list');
    // From the list to the form and through it with Tab, typing, Space and Enter.
    await tabTo(page, 'q');
    await page.goto(b.url('/data-connectors/new'));
    await assertLabelled(page, 'the create form');
    await tabTo(page, 'name');
    await page.keyboard.type(nameOne);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'description');
    await page.keyboard.type('Made without a mouse');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'auth_type');
    await page.keyboard.press('ArrowDown'); // Basic Auth
    // The type-ahead narrows the (long, shared) category list: type, Tab to the match, Space;
    // then type the other and Enter ticks the first match.
    await tabTo(page, 'category-find');
    await page.keyboard.type(catA);
    await tabTo(page, `category-${categoryId(catA)}`);
    await page.keyboard.press('Space');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'category-find');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(catB);
    await page.keyboard.press('Enter');
    assert.ok(await page.isChecked(`#category-${categoryId(catB)}`), 'Enter ticked the match');
    let onSave = false;
    for (let i = 0; i < 60 && !onSave; i++) {
      await page.keyboard.press('Tab');
      onSave = await page.evaluate(() => document.activeElement.tagName === 'BUTTON'
        && document.activeElement.textContent.trim() === 'Save');
    }
    assert.ok(onSave, 'Tab reaches Save');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(page.url(), /\/data-connectors\/\d+$/);
    assert.equal(await flash(page), 'The Data Connector was created');
    assert.equal(await page.inputValue('#name'), nameOne);
    assert.ok(await page.isChecked(`#category-${categoryId(catA)}`));
    assert.ok(await page.isChecked(`#category-${categoryId(catB)}`));
    assert.equal(await page.getAttribute('nav.tabs a[aria-current="page"]', 'href'), `/data-connectors/${connectorId(nameOne)}`);
    assert.equal(sql(`SELECT auth_type FROM connectors WHERE name = ${sqlString(nameOne)}`)[0].auth_type, 'basic');
    await assertLabelled(page, 'the Details tab');
  });
});

test('renaming to an existing name shows the error beside the field, input kept', async () => {
  await step('duplicate-name', async () => {
    const { page } = b;
    await page.goto(b.url('/data-connectors/new'));
    await page.fill('#name', nameTwo);
    await page.check(`#category-${categoryId(catB)}`);
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]:has-text("Save")')]);
    assert.equal(await flash(page), 'The Data Connector was created');

    await page.goto(b.url(`/data-connectors/${connectorId(nameOne)}`));
    await page.fill('#name', nameTwo.toUpperCase());
    await page.fill('#description', 'my unsaved words');
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]:has-text("Save")')]);
    assert.equal((await page.textContent('#name-error')).trim(), 'The name has already been taken.');
    assert.equal(await page.getAttribute('#name', 'aria-describedby'), 'name-error');
    assert.equal(await page.inputValue('#name'), nameTwo.toUpperCase());
    assert.equal(await page.inputValue('#description'), 'my unsaved words');
    assert.ok(await page.isChecked(`#category-${categoryId(catA)}`));
    // The error sits next to the field: right after the input in the same field box.
    const beside = await page.$eval('#name-error', (e) => e.closest('.field').contains(document.getElementById('name')));
    assert.ok(beside);
    await assertLabelled(page, 'the Details tab with errors');
  });
});

test('find it by search and by category filter', async () => {
  await step('search-filter', async () => {
    const { page } = b;
    await page.goto(b.url('/data-connectors'));
    await page.fill('#q', `Kbd ${tag} On`);
    await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
    let names = await page.$$eval('table.connectors tbody tr td:first-child a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(names, [nameOne]);
    assert.ok((await page.textContent('table.connectors tbody')).includes(`${catB}, ${catA}`));

    await page.fill('#q', '');
    await page.selectOption('#category', categoryId(catB));
    await Promise.all([page.waitForNavigation(), page.click('form[role="search"] button[type="submit"]')]);
    names = await page.$$eval('table.connectors tbody tr td:first-child a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(names.sort(), [nameOne, nameTwo].sort());
    await page.selectOption('#category', categoryId(catA));
    await Promise.all([page.waitForNavigation(), page.click('form[role="search"] button[type="submit"]')]);
    names = await page.$$eval('table.connectors tbody tr td:first-child a', (as) => as.map((a) => a.textContent));
    assert.deepEqual(names, [nameOne]);

    await page.fill('#q', `nothing ${tag}`);
    await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
    assert.match(await page.textContent('main'), /No Results/);
  });
});

test('delete through the confirm step: a dialog with JavaScript, a page without', async () => {
  await step('delete', async () => {
    const { page } = b;
    const id = connectorId(nameOne);
    await page.goto(b.url(`/data-connectors?q=${encodeURIComponent(nameOne)}`));
    let asked = null;
    page.once('dialog', async (d) => {
      asked = d.message();
      await d.accept();
    });
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/data-connectors/${id}/delete"]`)]);
    assert.equal(asked, `Are you sure you want to delete ${nameOne}?`);
    assert.equal(await flash(page), 'The Data Connector was deleted.');
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE id = ${id}`)[0].n, '0');

    // Dismissing the dialog deletes nothing.
    const id2 = connectorId(nameTwo);
    await page.goto(b.url(`/data-connectors?q=${encodeURIComponent(nameTwo)}`));
    page.once('dialog', (d) => d.dismiss());
    await page.click(`a[href="/data-connectors/${id2}/delete"]`);
    await page.waitForTimeout(300);
    assert.match(page.url(), /\/data-connectors\?/);
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE id = ${id2}`)[0].n, '1');

    // Without JavaScript the same link opens the "Caution!" page.
    const ctx = await b.browser.newContext({ javaScriptEnabled: false, baseURL: baseUrl() });
    try {
      const p = await ctx.newPage();
      await p.goto(b.url('/login'));
      await p.fill('#username', env('DCGATE_ADMIN_USER'));
      await p.fill('#password', env('DCGATE_ADMIN_PASSWORD'));
      await Promise.all([p.waitForNavigation(), p.click('button[type="submit"]')]);
      await p.goto(b.url(`/data-connectors?q=${encodeURIComponent(nameTwo)}`));
      await Promise.all([p.waitForNavigation(), p.click(`a[href="/data-connectors/${id2}/delete"]`)]);
      assert.equal((await p.textContent('h1')).trim(), 'Caution!');
      assert.equal((await p.textContent('#delete-question')).trim(), `Are you sure you want to delete ${nameTwo}?`);
      await Promise.all([p.waitForNavigation(), p.click('button:has-text("Confirm")')]);
      assert.equal((await p.textContent('.flash')).trim(), 'The Data Connector was deleted.');
    } finally {
      await ctx.close();
    }
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE id = ${id2}`)[0].n, '0');
  });
});

test('a view-only user sees no Edit or Delete', async () => {
  await step('view-only', async () => {
    const { page } = b;
    const keep = `Kbd ${tag} Kept`;
    await page.goto(b.url('/data-connectors/new'));
    await page.fill('#name', keep);
    await page.check(`#category-${categoryId(catA)}`);
    await Promise.all([page.waitForNavigation(), page.click('main button[type="submit"]:has-text("Save")')]);

    const username = `viewer_${tag}`;
    const password = `pw-${tag}-Secret1`;
    execFileSync(env('DCGATE_ADMIN_BIN'), ['create-user', username], {
      env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF'), DCGATE_PASSWORD: password },
      stdio: 'ignore',
    });
    sql(`INSERT INTO user_permissions (user_id, permission)
         SELECT id, 'view-data-connectors' FROM users WHERE username = ${sqlString(username)}`);
    const ctx = await b.browser.newContext({ baseURL: baseUrl() });
    try {
      const p = await ctx.newPage();
      await p.goto(b.url('/login'));
      await p.fill('#username', username);
      await p.fill('#password', password);
      await Promise.all([p.waitForNavigation(), p.click('button[type="submit"]')]);
      await p.goto(b.url(`/data-connectors?q=${encodeURIComponent(keep)}`));
      const row = await p.textContent('table.connectors tbody');
      assert.ok(row.includes(keep));
      assert.equal(await p.locator('table.connectors a:has-text("Edit")').count(), 0);
      assert.equal(await p.locator('table.connectors a:has-text("Delete")').count(), 0);
      assert.equal(await p.locator('a[href="/data-connectors/new"]').count(), 0);
      await p.click(`a:has-text("${keep}")`);
      assert.ok(await p.isDisabled('#name'));
      assert.equal(await p.locator('button:has-text("Save")').count(), 0);
      assert.equal(await p.locator('a:has-text("Delete")').count(), 0);
      await assertLabelled(p, 'the read-only Details tab');
    } finally {
      await ctx.close();
    }
  });
});

test('no JavaScript errors on the pages visited', () => {
  // The refused save answers 422 on purpose; Chromium logs that status as a console error.
  const errors = b.errors.filter((e) => !/Failed to load resource: .* status of 422/.test(e));
  assert.deepEqual(errors, []);
});
