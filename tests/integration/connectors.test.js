'use strict';
// Data connectors and their categories through the real stack (issue 4): CRUD, validation
// with the input kept, case-insensitive unique names, stale saves refused, categories in
// use kept, inactive categories not offered, search/filter/sort/pages, escaping, audit and
// one transaction per save.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, flashOf, fieldError, inputTag, inputValue } = require('./lib.js');
const ops = require('../ops/lib.js');

// ------------------------------------------------------------------- page helpers

function textareaValue(html, id) {
  const m = new RegExp(`<textarea\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  return m ? decode(m[1]) : null;
}

/** Ids of the checked category boxes of a connector form. */
function checkedCategories(html) {
  const ids = [];
  for (const m of html.matchAll(/<input type="checkbox" id="category-(\d+)"[^>]*>/g)) {
    if (/\bchecked\b/.test(m[0])) ids.push(m[1]);
  }
  return ids;
}

/** Category ids offered on a connector form. */
function offeredCategories(html) {
  return [...html.matchAll(/<input type="checkbox" id="category-(\d+)"/g)].map((m) => m[1]);
}

/** Connector names of the list page's rows, in order. */
function listNames(html) {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html);
  if (!body) return [];
  return [...body[1].matchAll(/<tr>\s*<td><a href="\/data-connectors\/\d+">([^<]*)<\/a>/g)]
    .map((m) => decode(m[1]));
}

function idFrom(location) {
  const m = /\/data-connectors\/(\d+)$/.exec(location || '');
  assert.ok(m, `a connector location, got ${location}`);
  return m[1];
}

// --------------------------------------------------------------------- fixtures

async function createCategory(c, name, status = 'active') {
  const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status });
  assert.equal(r.status, 303, `category ${name} created`);
  const rows = sql(`SELECT id FROM categories WHERE name = ${sqlString(name)}`);
  assert.equal(rows.length, 1);
  return rows[0].id;
}

async function createConnector(c, fields) {
  return c.submit('/data-connectors/new', '/data-connectors', {
    description: '', auth_type: 'none', ...fields,
  });
}

async function newConnector(c, fields) {
  const r = await createConnector(c, fields);
  assert.equal(r.status, 303, `connector ${fields.name} created (status ${r.status})`);
  return idFrom(r.location);
}

/** A signed-in user with exactly these permissions (created by dcgate-admin and SQL). */
async function userWith(perms) {
  const name = unique('viewer').replace(/ /g, '_');
  const password = 'pw-' + Math.random().toString(36).slice(2) + 'X9';
  execFileSync(env('DCGATE_ADMIN_BIN'), ['create-user', name], {
    env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF'), DCGATE_PASSWORD: password },
    stdio: 'ignore',
  });
  for (const p of perms) {
    sql(`INSERT INTO user_permissions (user_id, permission)
         SELECT id, ${sqlString(p)} FROM users WHERE username = ${sqlString(name)}`);
  }
  const c = new Client();
  const r = await c.login(name, password);
  assert.equal(r.status, 303, `${name} signed in`);
  return c;
}

let admin;
let catA;
let catB;
const tag = unique('T').split(' ')[1]; // letters and digits, unique to this run

test.before(async () => {
  admin = await adminClient();
});

// ------------------------------------------------------------------- categories

test('an empty list says "No Data Available"', async () => {
  // Suites run one after another and set up their own data: start from no connectors.
  sql('DELETE FROM connectors');
  const r = await admin.get('/data-connectors');
  assert.equal(r.status, 200);
  assert.match(r.text, /No Data Available/);
  assert.doesNotMatch(r.text, /No Results/);
});

test('categories: create, list with its columns, edit, errors beside the field', async () => {
  const name = `Cat ${tag} Alpha`;
  catA = await createCategory(admin, name);
  catB = await createCategory(admin, `Cat ${tag} Beta`);
  const list = await admin.get('/data-connector-categories');
  assert.equal(list.status, 200);
  assert.equal(flashOf(list.text), 'The category was created');
  for (const col of ['Name', 'Status', '# Connectors', 'Modified', 'Created']) {
    assert.match(list.text, new RegExp(`<th scope="col"[^>]*>(<a [^>]*>)?${col}(</a>)?</th>`), `column ${col}`);
  }
  assert.ok(list.text.includes(name));

  // Unique case-insensitively; the typed value stays.
  const dup = await admin.submit('/data-connector-categories/new', '/data-connector-categories',
    { name: name.toUpperCase(), status: 'active' });
  assert.equal(dup.status, 422);
  assert.equal(fieldError(dup.text, 'name'), 'The name has already been taken.');
  assert.equal(inputValue(dup.text, 'name'), name.toUpperCase());
  assert.match(inputTag(dup.text, 'name'), /aria-describedby="name-error"/);

  for (const [bad, msg] of [['', 'The name field is required.'],
    ['Bad <name>', 'The name may only contain letters, numbers, spaces and apostrophes.'],
    ['x'.repeat(256), 'The name may not be greater than 255 characters.']]) {
    const r = await admin.submit('/data-connector-categories/new', '/data-connector-categories',
      { name: bad, status: 'active' });
    assert.equal(r.status, 422, `refused: ${bad.slice(0, 20)}`);
    assert.equal(fieldError(r.text, 'name'), msg);
  }
  const st = await admin.submit('/data-connector-categories/new', '/data-connector-categories',
    { name: `Cat ${tag} Gamma`, status: 'paused' });
  assert.equal(st.status, 422);
  assert.equal(fieldError(st.text, 'status'), 'The selected status is invalid.');

  // Edit: rename with an apostrophe; the list finds it by a part of its name.
  const renamed = `Cat ${tag} Alpha's`;
  const up = await admin.submit(`/data-connector-categories/${catA}`, `/data-connector-categories/${catA}`,
    { name: renamed, status: 'active' });
  assert.equal(up.status, 303);
  const found = await admin.get(`/data-connector-categories?q=${encodeURIComponent("Alpha's")}`);
  assert.equal(flashOf(found.text), 'The category was saved');
  assert.ok(decode(found.text).includes(renamed));
  assert.ok(!found.text.includes(`Cat ${tag} Beta`));
  const none = await admin.get('/data-connector-categories?q=' + encodeURIComponent(`nothing ${tag}`));
  assert.match(none.text, /No Results/);
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'category.update' AND object_id = ${catA}`);
  assert.deepEqual(audit.map((a) => a.details), ['name']);
});

test('categories: pagination with a page-size choice', async () => {
  for (const n of ['One', 'Two', 'Three']) await createCategory(admin, `Pg ${tag} ${n}`);
  const q = encodeURIComponent(`Pg ${tag}`);
  const p1 = await admin.get(`/data-connector-categories?q=${q}&per_page=10&page=1`);
  assert.match(p1.text, /<option value="10" selected>/);
  const p2 = await admin.get(`/data-connector-categories?q=${q}&per_page=2&page=2`);
  assert.equal(p2.status, 200);
  assert.match(p2.text, /3–3 of 3/);
  assert.match(p2.text, /Pg [^ ]+ Two/);
  assert.match(p2.text, /rel="prev"/);
  assert.doesNotMatch(p2.text, /rel="next"/);
});

// ------------------------------------------------------------------- connectors

test('create: 303 to the Details tab with the flash, categories linked, who and audit', async () => {
  const name = `Conn ${tag} Orders`;
  const r = await createConnector(admin, {
    name: `  ${name}  `, description: 'Reads orders', auth_type: 'bearer', category_ids: [catA, catB],
  });
  assert.equal(r.status, 303);
  const id = idFrom(r.location);
  const page = await admin.get(r.location);
  assert.equal(page.status, 200);
  assert.equal(flashOf(page.text), 'The Data Connector was created');
  assert.equal(inputValue(page.text, 'name'), name, 'the name was trimmed');
  assert.deepEqual(checkedCategories(page.text).sort(), [catA, catB].sort());
  assert.match(page.text, /<input type="hidden" name="version" value="1">/);
  assert.match(page.text, /aria-current="page">Details</);
  assert.match(page.text, new RegExp(`href="/data-connectors/${id}/authorization"`));
  assert.match(page.text, new RegExp(`href="/data-connectors/${id}/endpoints"`));
  assert.match(page.text, /by admin/, 'who created it');
  const row = sql(`SELECT c.auth_type, u.username FROM connectors c JOIN users u ON u.id = c.created_by WHERE c.id = ${id}`)[0];
  assert.deepEqual(row, { auth_type: 'bearer', username: 'admin' });
  const audit = sql(`SELECT username, details FROM audit_log WHERE action = 'connector.create' AND object_id = ${id}`);
  assert.equal(audit.length, 1);
  assert.equal(audit[0].username, 'admin');
  assert.match(audit[0].details, /name/);
});

test('create: errors beside each field with the input kept', async () => {
  const r = await createConnector(admin, { name: 'Bad/Name!', description: 'kept text', auth_type: 'basic' });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'name'), 'The name may only contain letters, numbers, spaces and apostrophes.');
  assert.equal(fieldError(r.text, 'category_ids'), 'The category field is required.');
  assert.equal(inputValue(r.text, 'name'), 'Bad/Name!');
  assert.equal(textareaValue(r.text, 'description'), 'kept text');
  assert.match(r.text, /<option value="basic" selected>Basic Auth<\/option>/);
  assert.match(inputTag(r.text, 'name'), /aria-describedby="name-error"/);

  const empty = await createConnector(admin, { name: '   ', category_ids: [catA, '999999999'] });
  assert.equal(empty.status, 422);
  assert.equal(fieldError(empty.text, 'name'), 'The name field is required.');
  assert.equal(fieldError(empty.text, 'category_ids'), 'The selected category is invalid.');
  assert.deepEqual(checkedCategories(empty.text), [catA], 'the valid choice stays checked');

  const long = await createConnector(admin, { name: 'n'.repeat(256), category_ids: [catA] });
  assert.equal(long.status, 422);
  assert.equal(fieldError(long.text, 'name'), 'The name may not be greater than 255 characters.');
  const auth = await createConnector(admin, { name: `Auth ${tag}`, auth_type: 'kerberos', category_ids: [catA] });
  assert.equal(auth.status, 422);
  assert.equal(fieldError(auth.text, 'auth_type'), 'The selected authentication type is invalid.');
});

test('create: a name taken in another case is refused with the input kept', async () => {
  const name = `Dup ${tag} Name`;
  await newConnector(admin, { name, category_ids: [catA] });
  const r = await createConnector(admin, { name: name.toLowerCase(), description: 'second', category_ids: [catB] });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'name'), 'The name has already been taken.');
  assert.equal(inputValue(r.text, 'name'), name.toLowerCase());
  assert.deepEqual(checkedCategories(r.text), [catB]);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = ${sqlString(name)}`)[0].n, '1');
});

test('an inactive category is not offered for new assignments but stays where it is', async () => {
  const cat = await createCategory(admin, `Old ${tag} Cat`);
  const id = await newConnector(admin, { name: `Keeps ${tag} Old`, category_ids: [cat] });
  const off = await admin.submit(`/data-connector-categories/${cat}`, `/data-connector-categories/${cat}`,
    { name: `Old ${tag} Cat`, status: 'inactive' });
  assert.equal(off.status, 303);

  const form = await admin.get('/data-connectors/new');
  assert.ok(!offeredCategories(form.text).includes(cat), 'not offered on the create form');
  assert.ok(offeredCategories(form.text).includes(catA));
  const r = await createConnector(admin, { name: `New ${tag} Old`, category_ids: [cat] });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'category_ids'), 'The selected category is inactive and cannot be assigned.');

  // The connector that had it keeps it, and may save with it.
  const page = await admin.get(`/data-connectors/${id}`);
  assert.deepEqual(checkedCategories(page.text), [cat]);
  assert.match(page.text, /Inactive/);
  const save = await admin.post(`/data-connectors/${id}`, {
    _csrf: csrfFrom(page.text), version: '1', name: `Keeps ${tag} Old`, description: 'still', category_ids: [cat],
  });
  assert.equal(save.status, 303);
  // ...but another connector cannot take it up.
  const other = await newConnector(admin, { name: `Other ${tag} Old`, category_ids: [catA] });
  const op = await admin.get(`/data-connectors/${other}`);
  assert.ok(!offeredCategories(op.text).includes(cat));
  const take = await admin.post(`/data-connectors/${other}`, {
    _csrf: csrfFrom(op.text), version: '1', name: `Other ${tag} Old`, category_ids: [catA, cat],
  });
  assert.equal(take.status, 422);
  assert.equal(fieldError(take.text, 'category_ids'), 'The selected category is inactive and cannot be assigned.');
});

test('Details: save with the version, "The Data Connector was saved", audit names the changes', async () => {
  const id = await newConnector(admin, { name: `Edit ${tag} Me`, description: 'before', category_ids: [catA] });
  const page = await admin.get(`/data-connectors/${id}`);
  const r = await admin.post(`/data-connectors/${id}`, {
    _csrf: csrfFrom(page.text), version: '1', name: `Edit ${tag} Done`, description: 'after',
    category_ids: [catA],
  });
  assert.equal(r.status, 303);
  assert.equal(r.location, `/data-connectors/${id}`);
  const after = await admin.get(r.location);
  assert.equal(flashOf(after.text), 'The Data Connector was saved');
  assert.equal(inputValue(after.text, 'name'), `Edit ${tag} Done`);
  assert.equal(textareaValue(after.text, 'description'), 'after');
  const row = sql(`SELECT version, auth_type FROM connectors WHERE id = ${id}`)[0];
  assert.equal(row.version, '2');
  assert.equal(row.auth_type, 'none', 'the Details tab leaves the authorization alone');
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'connector.update' AND object_id = ${id}`);
  assert.deepEqual(audit.map((a) => a.details), ['name, description']);
});

test('Details: a save over a newer version is refused with the input kept', async () => {
  const id = await newConnector(admin, { name: `Race ${tag} One`, description: 'v1', category_ids: [catA] });
  const other = await adminClient();
  const mine = await admin.get(`/data-connectors/${id}`);
  const theirs = await other.get(`/data-connectors/${id}`);
  const first = await other.post(`/data-connectors/${id}`, {
    _csrf: csrfFrom(theirs.text), version: '1', name: `Race ${tag} Theirs`, category_ids: [catA],
  });
  assert.equal(first.status, 303);
  const stale = await admin.post(`/data-connectors/${id}`, {
    _csrf: csrfFrom(mine.text), version: '1', name: `Race ${tag} Mine`, description: 'my words',
    category_ids: [catB],
  });
  assert.equal(stale.status, 409);
  assert.match(decode(stale.text), /This Data Connector was changed by someone else\. Your changes were not saved; reload to see the latest version\./);
  assert.equal(inputValue(stale.text, 'name'), `Race ${tag} Mine`);
  assert.equal(textareaValue(stale.text, 'description'), 'my words');
  assert.deepEqual(checkedCategories(stale.text), [catB]);
  const row = sql(`SELECT name, version FROM connectors WHERE id = ${id}`)[0];
  assert.deepEqual(row, { name: `Race ${tag} Theirs`, version: '2' });
  assert.deepEqual(sql(`SELECT category_id FROM connector_categories WHERE connector_id = ${id}`)
    .map((x) => x.category_id), [catA]);
  // A missing or forged version is refused the same way.
  const forged = await admin.post(`/data-connectors/${id}`, {
    _csrf: csrfFrom(mine.text), name: `Race ${tag} Forged`, category_ids: [catA],
  });
  assert.equal(forged.status, 409);
});

test('delete: "Caution!" confirm page, then everything of the connector goes at once', async () => {
  const name = `Gone ${tag} Soon`;
  const id = await newConnector(admin, { name, category_ids: [catA, catB] });
  sql(`INSERT INTO endpoints (connector_id, purpose, description, url, body, sample_data)
       VALUES (${id}, 'List', '', 'https://example.com/', '', '')`);
  const ep = sql(`SELECT id FROM endpoints WHERE connector_id = ${id}`)[0].id;
  sql(`INSERT INTO endpoint_headers (endpoint_id, position, name, value) VALUES (${ep}, 0, 'X-A', 'b')`);
  sql(`INSERT INTO endpoint_params (endpoint_id, position, name, value) VALUES (${ep}, 0, 'p', 'q')`);
  sql(`INSERT INTO token_cache (connector_id, access_token) VALUES (${id}, 'sealed')`);

  const confirm = await admin.get(`/data-connectors/${id}/delete`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /Caution!/);
  assert.ok(decode(confirm.text).includes(`Are you sure you want to delete ${name}?`));
  const r = await admin.post(`/data-connectors/${id}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/data-connectors');
  const list = await admin.get('/data-connectors');
  assert.equal(flashOf(list.text), 'The Data Connector was deleted.');
  for (const [table, col, v] of [['connectors', 'id', id], ['connector_categories', 'connector_id', id],
    ['endpoints', 'connector_id', id], ['endpoint_headers', 'endpoint_id', ep],
    ['endpoint_params', 'endpoint_id', ep], ['token_cache', 'connector_id', id]]) {
    assert.equal(sql(`SELECT COUNT(*) AS n FROM ${table} WHERE ${col} = ${v}`)[0].n, '0', table);
  }
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'connector.delete' AND object_id = ${id}`);
  assert.equal(audit.length, 1);
  assert.equal((await admin.get(`/data-connectors/${id}`)).status, 404);
  assert.equal((await admin.post(`/data-connectors/${id}/delete`, { _csrf: admin.csrf })).status, 404);
});

test('a category in use cannot be deleted; once free, "The category was deleted"', async () => {
  const cat = await createCategory(admin, `Busy ${tag} Cat`);
  const id = await newConnector(admin, { name: `Uses ${tag} Busy`, category_ids: [cat] });
  const page = await admin.get(`/data-connector-categories/${cat}/delete`);
  assert.equal(page.status, 200);
  assert.match(page.text, /cannot be deleted because 1 Data Connector uses it/);
  assert.doesNotMatch(page.text, /<button[^>]*type="submit"[^>]*>Confirm/, 'no delete button');
  const r = await admin.post(`/data-connector-categories/${cat}/delete`, { _csrf: admin.csrf });
  assert.equal(r.status, 409);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM categories WHERE id = ${cat}`)[0].n, '1');

  const cp = await admin.get(`/data-connectors/${id}/delete`);
  assert.equal((await admin.post(`/data-connectors/${id}/delete`, { _csrf: csrfFrom(cp.text) })).status, 303);
  const free = await admin.get(`/data-connector-categories/${cat}/delete`);
  assert.match(free.text, /Caution!/);
  const del = await admin.post(`/data-connector-categories/${cat}/delete`, { _csrf: csrfFrom(free.text) });
  assert.equal(del.status, 303);
  assert.equal(del.location, '/data-connector-categories');
  const list = await admin.get('/data-connector-categories');
  assert.equal(flashOf(list.text), 'The category was deleted');
  assert.equal(sql(`SELECT COUNT(*) AS n FROM categories WHERE id = ${cat}`)[0].n, '0');
});

test('list: search over name, description and category; filter; sort; pages; No Results', async () => {
  const lt = unique('L').split(' ')[1]; // only this test's connectors carry it
  const cat = await createCategory(admin, `Zeta ${lt} Shelf`);
  const other = await createCategory(admin, `Eta ${lt} Shelf`);
  const made = [];
  for (const [n, d, cats] of [['Lst A', 'ships parcels', [cat]], ['Lst B', '100% uptime_guaranteed', [other]],
    ['Lst C', 'plain', [cat, other]], ['Lst D', 'plain', [other]]]) {
    made.push(await newConnector(admin, { name: `${n} ${lt}`, description: d, category_ids: cats }));
    await new Promise((res) => setTimeout(res, 1100)); // distinct modified/created seconds
  }
  const names = (l) => l.map((x) => `${x} ${lt}`);
  const search = async (qs) => {
    const r = await admin.get(`/data-connectors?${qs}`);
    assert.equal(r.status, 200, qs);
    return r;
  };
  const q = (s) => 'q=' + encodeURIComponent(s);

  assert.deepEqual(listNames((await search(q(lt))).text), names(['Lst A', 'Lst B', 'Lst C', 'Lst D']));
  assert.deepEqual(listNames((await search(`${q(lt)}&sort=-name`)).text), names(['Lst D', 'Lst C', 'Lst B', 'Lst A']));
  assert.deepEqual(listNames((await search(`${q(lt)}&sort=modified`)).text), names(['Lst A', 'Lst B', 'Lst C', 'Lst D']));
  assert.deepEqual(listNames((await search(`${q(lt)}&sort=-created`)).text), names(['Lst D', 'Lst C', 'Lst B', 'Lst A']));
  assert.deepEqual(listNames((await search(`${q(lt)}&sort=bogus`)).text), names(['Lst A', 'Lst B', 'Lst C', 'Lst D']));
  // Description, category name, LIKE wildcards taken literally.
  assert.deepEqual(listNames((await search(q('SHIPS PARC'))).text), names(['Lst A']));
  assert.deepEqual(listNames((await search(q(`Zeta ${lt}`))).text), names(['Lst A', 'Lst C']));
  assert.deepEqual(listNames((await search(q(`% uptime_`))).text), names(['Lst B']));
  const pct = listNames((await search(q('%'))).text);
  assert.ok(pct.includes(`Lst B ${lt}`) && !pct.includes(`Lst A ${lt}`), '% is not a wildcard');
  // Filter, alone and with a search; the Category column joins the names.
  const filtered = await search(`category=${other}`);
  assert.deepEqual(listNames(filtered.text), names(['Lst B', 'Lst C', 'Lst D']));
  assert.match(filtered.text, new RegExp(`<option value="${other}" selected>`));
  assert.ok(decode(filtered.text).includes(`Eta ${lt} Shelf, Zeta ${lt} Shelf`));
  assert.deepEqual(listNames((await search(`category=${other}&q=plain&sort=-name`)).text), names(['Lst D', 'Lst C']));
  assert.deepEqual(listNames((await search(`category=abc&${q(lt)}`)).text).length, 4, 'a bad filter is ignored');
  // Pages keep the search, the filter and the sort.
  const p2 = await search(`${q(lt)}&per_page=2&page=2&sort=-name`);
  assert.deepEqual(listNames(p2.text), names(['Lst B', 'Lst A']));
  assert.match(p2.text, /3–4 of 4/);
  const prev = /href="([^"]*)" rel="prev"/.exec(p2.text);
  assert.ok(prev);
  const back = await search(decode(prev[1]).split('?')[1]);
  assert.deepEqual(listNames(back.text), names(['Lst D', 'Lst C']));
  const past = await search(`${q(lt)}&per_page=2&page=9`);
  assert.match(past.text, /No Results/);
  assert.match(past.text, /of 4/);
  // No match at all.
  const none = await search(q(`nothing ${lt} here`));
  assert.match(none.text, /No Results/);
  assert.doesNotMatch(none.text, /No Data Available/);
  // Columns, and the row actions for someone allowed.
  const all = await search(q(lt));
  for (const col of ['Name', 'Description', 'Category', 'Authorization', '# Endpoints', 'Modified', 'Created']) {
    assert.match(all.text, new RegExp(`<th scope="col"[^>]*>(<a [^>]*>)?${col}(</a>)?</th>`), `column ${col}`);
  }
  assert.match(all.text, /aria-sort="ascending"><a [^>]*>Name</);
  assert.match(all.text, new RegExp(`href="/data-connectors/${made[0]}/delete"`));
  assert.match(all.text, /No Auth/);
});

test('long pages: 30 rows in order past the 25-row chunk, totals kept exact', async () => {
  const lt = unique('P').split(' ')[1];
  const cat = await createCategory(admin, `Many ${lt} Cat`);
  // Rows written by SQL, not the app: the counting triggers must follow them too.
  sql(`INSERT INTO connectors (name, description) VALUES ${Array.from({ length: 30 },
    (_, i) => `('Many ${lt} ${String(i).padStart(2, '0')}', 'bulk')`).join(', ')}`);
  sql(`INSERT INTO connector_categories (connector_id, category_id)
       SELECT id, ${cat} FROM connectors WHERE name LIKE 'Many ${lt} %'`);
  const r = await admin.get(`/data-connectors?q=${encodeURIComponent(`Many ${lt}`)}&per_page=50&sort=-name`);
  const names = listNames(r.text);
  assert.equal(names.length, 30);
  assert.deepEqual(names, Array.from({ length: 30 }, (_, i) => `Many ${lt} ${String(29 - i).padStart(2, '0')}`));
  assert.ok(decode(r.text).includes(`Many ${lt} Cat`));
  const stats = () => sql('SELECT (SELECT SUM(connectors) FROM connector_stats WHERE id = 1) AS kept, (SELECT COUNT(*) FROM connectors) AS n')[0];
  let st = stats();
  assert.equal(st.kept, st.n);
  const all = await admin.get('/data-connectors?per_page=100&page=1');
  assert.match(all.text, new RegExp(`1–${Math.min(100, Number(st.n))} of ${st.n}<`));
  assert.equal(listNames(all.text).length, Math.min(100, Number(st.n)));
  sql(`DELETE FROM connectors WHERE name LIKE 'Many ${lt} %'`);
  st = stats();
  assert.equal(st.kept, st.n);
});

test('user text is escaped everywhere it is shown', async () => {
  const payload = `<script>alert("x")</script><img src=x onerror=alert(1)> ' & ${tag}`;
  const id = await newConnector(admin, { name: `Xss ${tag}`, description: payload, category_ids: [catA] });
  for (const path of [`/data-connectors?q=${encodeURIComponent(`Xss ${tag}`)}`, `/data-connectors/${id}`]) {
    const r = await admin.get(path);
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('<script>alert'), `${path}: no raw script`);
    assert.ok(!r.text.includes('<img src=x'), `${path}: no raw img`);
    assert.ok(r.text.includes('&lt;script&gt;alert('), `${path}: shown escaped`);
  }
  const r = await admin.get('/data-connectors?q=' + encodeURIComponent('"><script>alert(1)</script>'));
  assert.ok(!r.text.includes('"><script>alert(1)'), 'the search box value is escaped');
});

test('one transaction: a failing category link leaves no connector and no half save', async () => {
  const cat = await createCategory(admin, `Trap ${tag} Cat`);
  // The link to this category fails (NULL into a NOT NULL column), after the connector row
  // was written: the whole save must roll back. One statement, no ';' inside for the client.
  sql(`CREATE TRIGGER trap_${tag} BEFORE INSERT ON connector_categories FOR EACH ROW
       SET NEW.category_id = IF(NEW.category_id = ${cat}, NULL, NEW.category_id)`);
  try {
    const name = `Atomic ${tag} New`;
    const r = await createConnector(admin, { name, category_ids: [catA, cat] });
    assert.equal(r.status, 500);
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = ${sqlString(name)}`)[0].n, '0');

    const id = await newConnector(admin, { name: `Atomic ${tag} Old`, category_ids: [catA] });
    const page = await admin.get(`/data-connectors/${id}`);
    const up = await admin.post(`/data-connectors/${id}`, {
      _csrf: csrfFrom(page.text), version: '1', name: `Atomic ${tag} Changed`, category_ids: [catB, cat],
    });
    assert.equal(up.status, 500);
    assert.deepEqual(sql(`SELECT name, version FROM connectors WHERE id = ${id}`)[0],
      { name: `Atomic ${tag} Old`, version: '1' });
    assert.deepEqual(sql(`SELECT category_id FROM connector_categories WHERE connector_id = ${id}`)
      .map((x) => x.category_id), [catA]);
  } finally {
    sql(`DROP TRIGGER IF EXISTS trap_${tag}`);
  }
});

test('a view-only user sees no Edit, Delete or create, and is refused them', async () => {
  const id = await newConnector(admin, { name: `Viewable ${tag}`, category_ids: [catA] });
  const viewer = await userWith(['view-data-connectors', 'view-data-connector-categories']);
  const list = await viewer.get('/data-connectors?q=' + encodeURIComponent(`Viewable ${tag}`));
  assert.equal(list.status, 200);
  assert.deepEqual(listNames(list.text), [`Viewable ${tag}`]);
  assert.doesNotMatch(list.text, />Edit</);
  assert.doesNotMatch(list.text, />Delete</);
  assert.doesNotMatch(list.text, /href="\/data-connectors\/new"/);
  const page = await viewer.get(`/data-connectors/${id}`);
  assert.equal(page.status, 200);
  assert.match(inputTag(page.text, 'name'), /\bdisabled\b/);
  assert.doesNotMatch(page.text, /<button type="submit" class="primary">Save/);
  const cats = await viewer.get('/data-connector-categories');
  assert.doesNotMatch(cats.text, />Edit</);
  assert.doesNotMatch(cats.text, />Delete</);
  assert.equal((await viewer.get('/data-connectors/new')).status, 403);
  assert.equal((await viewer.get(`/data-connectors/${id}/delete`)).status, 403);
  assert.equal((await viewer.post(`/data-connectors/${id}/delete`, { _csrf: viewer.csrf })).status, 403);
  assert.equal((await viewer.post(`/data-connectors/${id}`, {
    _csrf: viewer.csrf, version: '1', name: 'Hijack', category_ids: [catA],
  })).status, 403);
  assert.equal(sql(`SELECT name FROM connectors WHERE id = ${id}`)[0].name, `Viewable ${tag}`);

  const nobody = await userWith([]);
  assert.equal((await nobody.get('/data-connectors')).status, 403);
  assert.equal((await nobody.get('/data-connector-categories')).status, 403);
  assert.equal((await new Client().get('/data-connectors')).status, 302);
});

test('the list each worker keeps as HTML follows the permissions of who asks', async () => {
  // Workers keep the list's main content rendered (web/connectors.c); one user's Edit and
  // Delete must never reach another. The workers take requests in turn, so an admin
  // request every third one (3 and the worker count share no factor) lets every worker
  // serve both users, a viewer right after the admin.
  await newConnector(admin, { name: `Kept ${tag}`, category_ids: [catA] });
  const viewer = await userWith(['view-data-connectors']);
  const url = '/data-connectors?q=' + encodeURIComponent(`Kept ${tag}`);
  for (let i = 0; i < 48; i++) {
    if (i % 3 === 0) {
      const a = await admin.get(url);
      assert.match(a.text, />Edit</);
      assert.match(a.text, />Delete</);
      continue;
    }
    const v = await viewer.get(url);
    assert.equal(v.status, 200);
    assert.deepEqual(listNames(v.text), [`Kept ${tag}`]);
    assert.doesNotMatch(v.text, />Edit</, `request ${i}: the viewer got someone else's buttons`);
    assert.doesNotMatch(v.text, />Delete</);
  }
});

test('after a template reload (SIGHUP) the kept list is rendered again', async () => {
  const dir = path.join(ops.opsDir(), 'tmpl-reload');
  fs.cpSync(path.join(ops.ROOT, 'templates'), dir, { recursive: true });
  const conf = ops.confCopy('tmpl-reload', { 'server.socket': ops.sockPath('tmpl-reload'), 'server.templates': dir });
  const app = await ops.startDcgate('tmpl-reload', conf);
  let web;
  try {
    web = await ops.startNginx('tmpl-reload', [app.socket]);
    const c = new Client(web.url);
    assert.equal((await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
    const before = '<h1 class="grow">Data Connectors</h1>';
    const after = '<h1 class="grow">Data Connectors, reloaded</h1>';
    for (let i = 0; i < 10; i++) assert.ok((await c.get('/data-connectors')).text.includes(before));
    const file = path.join(dir, 'connectors_list_main.mustache');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes(before));
    fs.writeFileSync(file, text.replace(before, after));
    const count = () => (fs.readFileSync(app.log, 'utf8').match(/templates loaded from/g) || []).length;
    const n = count();
    process.kill(app.pid, 'SIGHUP');
    await ops.until(() => count() > n, { timeout: 5000, what: 'the template reload', proc: app });
    for (let i = 0; i < 10; i++) {
      const r = (await c.get('/data-connectors')).text;
      assert.ok(r.includes(after) && !r.includes(before), `request ${i} after the reload shows the new template: ${(/<h1[^>]*>[^<]*<\/h1>/.exec(r) || [r.slice(0, 300)])[0]}`);
    }
  } finally {
    if (web) await web.proc.stop();
    await app.stop('SIGTERM', 30000);
  }
});

test('a POST without the CSRF token is refused', async () => {
  const r = await admin.post('/data-connectors', { name: `Csrf ${tag}`, category_ids: [catA] });
  assert.equal(r.status, 403);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = ${sqlString(`Csrf ${tag}`)}`)[0].n, '0');
});
