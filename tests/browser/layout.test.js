'use strict';
// Pages readable on a phone and a desktop (issue 2): at 390x844 and 1280x800 the sign-in
// page, the connector list, a connector's Details tab, the endpoint editor and the users
// list fit the viewport's width (no sideways scrolling), the main navigation is visible,
// and text is not shrunk below 12px. On a failure the page is saved as
// TEST_TMP/screenshots/layout-<width>-<page>.png.
const test = require('node:test');
const assert = require('node:assert/strict');
const { openBrowser } = require('./lib.js');
const { env, sql } = require('../integration/lib.js');

const SIZES = [{ width: 390, height: 844 }, { width: 1280, height: 800 }];

/** How the page fits: widest element overflow, nav visibility, smallest font size. */
async function measure(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const overflow = [...document.querySelectorAll('body *')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        const s = getComputedStyle(e);
        // Scroll containers (a wide table inside an overflow box) are fine: they scroll.
        return r.width > 0 && r.right > vw + 1 && s.position !== 'fixed' && !e.closest('[data-scroll], .table-wrap, pre');
      })
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`.slice(0, 60));
    const nav = document.querySelector('nav.nav');
    const navBox = nav && nav.getBoundingClientRect();
    const sizes = [...document.querySelectorAll('body *')]
      .filter((e) => e.childNodes.length && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
      .map((e) => parseFloat(getComputedStyle(e).fontSize));
    return {
      scrollWidth: document.documentElement.scrollWidth,
      vw,
      overflow: overflow.slice(0, 5),
      navVisible: !!navBox && navBox.width > 0 && navBox.height > 0,
      minFont: Math.min(...sizes),
    };
  });
}

for (const size of SIZES) {
  test(`${size.width}px wide: pages fit the screen and keep their navigation`, async () => {
    const b = await openBrowser({ viewport: size });
    let name = 'login';
    try {
      await b.page.goto(b.url('/login'));
      let m = await measure(b.page);
      assert.ok(m.scrollWidth <= m.vw, `/login scrolls sideways: ${m.scrollWidth} > ${m.vw} (${m.overflow})`);
      await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
      const conn = sql('SELECT id FROM connectors ORDER BY id LIMIT 1')[0];
      const ep = sql('SELECT id, connector_id FROM endpoints ORDER BY id LIMIT 1')[0];
      const pages = ['/data-connectors', '/data-connector-categories', '/admin/users', '/profile'];
      if (conn) pages.push(`/data-connectors/${conn.id}`, `/data-connectors/${conn.id}/endpoints/new`);
      if (ep) pages.push(`/data-connectors/${ep.connector_id}/endpoints/${ep.id}`);
      for (const p of pages) {
        name = p.replace(/\W+/g, '_');
        const r = await b.page.goto(b.url(p));
        assert.equal(r.status(), 200, p);
        m = await measure(b.page);
        assert.ok(m.scrollWidth <= m.vw, `${p} scrolls sideways at ${size.width}px: ${m.scrollWidth} > ${m.vw} (${m.overflow})`);
        assert.ok(m.navVisible, `${p}: the main navigation is visible`);
        assert.ok(m.minFont >= 12, `${p}: smallest text ${m.minFont}px`);
      }
    } catch (e) {
      const file = await b.screenshot(`layout-${size.width}-${name}`).catch(() => null);
      if (file) e.message += `\n(screenshot: ${file})`;
      throw e;
    } finally {
      await b.close();
    }
  });
}
