'use strict';
// List parity (issue 20, item 11): every column of the connector list sorts (Name,
// Description, Category, Authorization, # Endpoints, Modified, Created), a second click
// reverses, aria-sort marks the current one; a category in use offers no Delete.
const test = require('node:test');
const assert = require('node:assert/strict');
const { adminClient, sql, sqlString, unique } = require('./lib.js');

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

/** The connector names of the list page, in order. */
function names(html) {
  return [...html.matchAll(/<td[^>]*><a href="\/data-connectors\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
}

test('every column of the connector list sorts, both ways', async () => {
  const admin = await adminClient();
  const tag = alnum(unique('Sort')).replace(/ /g, '');
  const mk = async (cat) => {
    const r = await admin.submit('/data-connector-categories/new', '/data-connector-categories', { name: cat, status: 'active' });
    assert.equal(r.status, 303);
    return sql(`SELECT id FROM categories WHERE name = ${sqlString(cat)}`)[0].id;
  };
  const shared = await mk(`${tag} Shared`);
  const catA = await mk(`A ${tag}`);
  const catZ = await mk(`Z ${tag}`);
  const conn = async (name, description, cats, auth, endpoints) => {
    const r = await admin.submit('/data-connectors/new', '/data-connectors',
      { name, description, auth_type: auth, category_ids: [shared, ...cats] });
    assert.equal(r.status, 303, `connector ${name}`);
    const id = /(\d+)$/.exec(r.location)[1];
    for (let i = 0; i < endpoints; i++) {
      const e = await admin.submit(`/data-connectors/${id}/endpoints/new`, `/data-connectors/${id}/endpoints`,
        { purpose: `P${i}`, method: 'GET', timeout: '5', url: 'http://127.0.0.1:9/x' });
      assert.equal(e.status, 303);
    }
    return id;
  };
  // Names sort one way, every other column the other way.
  await conn(`${tag} Alpha`, 'zz last', [catZ], 'none', 2);
  await conn(`${tag} Beta`, 'aa first', [catA], 'basic', 0);
  const list = (sort) => admin.get(`/data-connectors?category=${shared}&per_page=100&sort=${sort}`);
  const alpha = `${tag} Alpha`, beta = `${tag} Beta`;
  assert.deepEqual(names((await list('name')).text), [alpha, beta]);
  assert.deepEqual(names((await list('-name')).text), [beta, alpha]);
  assert.deepEqual(names((await list('description')).text), [beta, alpha]);
  assert.deepEqual(names((await list('-description')).text), [alpha, beta]);
  assert.deepEqual(names((await list('endpoints')).text), [beta, alpha]);
  assert.deepEqual(names((await list('-endpoints')).text), [alpha, beta]);
  assert.deepEqual(names((await list('authorization')).text), [alpha, beta], 'No Auth before Basic Auth');
  assert.deepEqual(names((await list('-authorization')).text), [beta, alpha]);
  // By the first of each connector's category names (collation order); reversed by -category.
  const byCat = names((await list('category')).text);
  assert.equal(byCat.length, 2);
  const page = await list('-category');
  assert.deepEqual(names(page.text), [...byCat].reverse(), 'a second click reverses');
  for (const col of ['Name', 'Description', 'Category', 'Authorization', '# Endpoints', 'Modified', 'Created']) {
    assert.match(page.text, new RegExp(`<th scope="col"[^>]*><a href="/data-connectors\\?[^"]*sort=[^"]*">${col}</a></th>`), `${col} sorts`);
  }
  assert.match(page.text, /aria-sort="descending"><a [^>]*>Category</);
  // The shared category is in use: no Delete on the category list.
  const cats = await admin.get(`/data-connector-categories?q=${encodeURIComponent(tag)}&per_page=100`);
  assert.doesNotMatch(cats.text, new RegExp(`aria-label="Delete ${tag} Shared"`));
});

test('the category list sorts by every column', async () => {
  const admin = await adminClient();
  const tag = alnum(unique('CatSort')).replace(/ /g, '');
  for (const [n, st] of [[`${tag} Apple`, 'inactive'], [`${tag} Mango`, 'active']]) {
    const r = await admin.submit('/data-connector-categories/new', '/data-connector-categories', { name: n, status: st });
    assert.equal(r.status, 303);
  }
  const order = async (sort) => {
    const r = await admin.get(`/data-connector-categories?q=${encodeURIComponent(tag)}&per_page=100&sort=${sort}`);
    assert.equal(r.status, 200);
    return [...r.text.matchAll(/<td[^>]*>(?:<a [^>]*>)?([^<]*CatSort[^<]*)</g)].map((m) => m[1].trim());
  };
  assert.deepEqual(await order('name'), [`${tag} Apple`, `${tag} Mango`]);
  assert.deepEqual(await order('-name'), [`${tag} Mango`, `${tag} Apple`]);
  assert.deepEqual(await order('status'), [`${tag} Mango`, `${tag} Apple`], 'active before inactive');
  assert.deepEqual(await order('-status'), [`${tag} Apple`, `${tag} Mango`]);
  const page = await admin.get(`/data-connector-categories?q=${encodeURIComponent(tag)}&sort=-created`);
  for (const col of ['Name', 'Status', '# Connectors', 'Modified', 'Created']) {
    assert.match(page.text, new RegExp(`<th scope="col"[^>]*><a href="/data-connector-categories\\?[^"]*sort=[^"]*">${col}</a></th>`), `${col} sorts`);
  }
  assert.match(page.text, /aria-sort="descending"><a [^>]*>Created</);
  assert.match(page.text, /name="sort" value="-created"/, 'search keeps the order');
});
