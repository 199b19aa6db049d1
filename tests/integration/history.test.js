'use strict';
// Version history (issue 20, item 9) through the real stack: every save of details,
// authorization and endpoints is a version; the History tab lists who and what changed and
// shows an escaped diff between two versions; a restore (page and API) brings back an
// endpoint's URL and headers as a new version, leaves the sealed secrets byte for byte as
// they are, lists the secrets to enter again when the method changes, and never stores a
// secret value in a snapshot.
const test = require('node:test');
const assert = require('node:assert/strict');
const { adminClient, csrfFrom, sql, unique, decode, flashOf, fieldError, inputValue } = require('./lib.js');
const { adminToken, userToken } = require('./apitokens.js');

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

let admin;
let categoryId;

async function connector(c) {
  if (!categoryId) {
    const name = alnum(unique('Hist Cat'));
    const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
    assert.equal(r.status, 303);
    categoryId = sql(`SELECT id FROM categories WHERE name = '${name}'`)[0].id;
  }
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Hist Conn')), description: 'history test', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  return /\/data-connectors\/(\d+)$/.exec(r.location)[1];
}

async function saveAuth(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/authorization`);
  assert.equal(page.status, 200);
  const r = await c.post(`/data-connectors/${id}/authorization`,
    { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', ...fields });
  assert.equal(r.status, 303, `authorization saved: ${r.status} ${r.text.slice(0, 300)}`);
}

function endpointFields(url, headerKey, headerValue) {
  return {
    purpose: 'List', method: 'GET', timeout: '10', url,
    'header[0][key]': headerKey, 'header[0][value]': headerValue, 'header[0][description]': '',
  };
}

async function addEndpoint(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/new`);
  const r = await c.post(`/data-connectors/${id}/endpoints`, { _csrf: csrfFrom(page.text), ...fields });
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${fieldError(r.text, 'url') || ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

async function updateEndpoint(c, id, eid, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}`,
    { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', ...fields });
  assert.equal(r.status, 303, `endpoint updated: ${r.status} ${r.text.slice(0, 300)}`);
}

function versions(id) {
  return sql(`SELECT n, kind, username, snapshot FROM connector_versions WHERE connector_id = ${id} ORDER BY n`);
}

function secretsRow(id) {
  return sql(`SELECT auth_type, auth_password, auth_token, client_secret, api_key FROM connectors WHERE id = ${id}`)[0];
}

function text(html) {
  return decode(html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '));
}

test.before(async () => {
  admin = await adminClient();
});

test('every save is a version; a restore brings back URL and headers and leaves secrets untouched', async () => {
  const id = await connector(admin);
  await saveAuth(admin, id, { auth_type: 'bearer', token: 'tok-SECRET-one', verify_ssl: '1' });
  const eid = await addEndpoint(admin, id, endpointFields('http://127.0.0.1:9/v1/items', 'X-Api', 'first <b>value</b>'));
  await updateEndpoint(admin, id, eid, endpointFields('http://127.0.0.1:9/v2/things', 'X-Other', 'second'));

  const v = versions(id);
  assert.deepEqual(v.map((r) => r.kind), ['created', 'authorization', 'endpoints', 'endpoints'],
    'create, authorization save, endpoint create and endpoint update are four versions');
  for (const r of v) {
    assert.ok(!r.snapshot.includes('tok-SECRET-one'), 'no snapshot holds the secret value');
    assert.ok(r.username.length > 0, 'each version names who saved it');
  }
  const withEndpoint = v[2].n;

  // The History tab: who, what, and a diff that is escaped.
  const page = await admin.get(`/data-connectors/${id}/history`);
  assert.equal(page.status, 200);
  assert.match(page.text, /aria-current="page">History</);
  assert.match(text(page.text), /Authorization saved/);
  assert.match(text(page.text), /Endpoints changed/);
  const diff = await admin.get(`/data-connectors/${id}/history?from=${withEndpoint}&to=${v[3].n}`);
  assert.equal(diff.status, 200);
  assert.match(diff.text, /id="diff-table"/);
  assert.match(text(diff.text), /Endpoint List: URL http:\/\/127\.0\.0\.1:9\/v1\/items http:\/\/127\.0\.0\.1:9\/v2\/things/);
  assert.ok(diff.text.includes('first &lt;b&gt;value&lt;/b&gt;'), 'a header value is escaped in the diff');
  assert.ok(!diff.text.includes('first <b>value</b>'), 'no raw HTML from a value');
  assert.ok(!diff.text.includes('tok-SECRET-one'));

  // Change the secret after the version to restore: the restore must not bring the old back.
  await saveAuth(admin, id, { auth_type: 'bearer', token: 'tok-SECRET-two', verify_ssl: '1' });
  const before = secretsRow(id);
  assert.ok(before.auth_token, 'the token is stored (sealed)');

  const hist = await admin.get(`/data-connectors/${id}/history`);
  const r = await admin.post(`/data-connectors/${id}/history/${withEndpoint}/restore`,
    { _csrf: csrfFrom(hist.text), version: sql(`SELECT version FROM connectors WHERE id = ${id}`)[0].version });
  assert.equal(r.status, 303, `restore answers 303: ${r.status} ${r.text.slice(0, 300)}`);
  const after = await admin.get(r.location);
  assert.match(flashOf(after.text) || '', new RegExp(`Version ${withEndpoint} was restored as version \\d+\\.`));

  const ep = sql(`SELECT id, url FROM endpoints WHERE connector_id = ${id}`);
  assert.equal(ep.length, 1);
  assert.equal(String(ep[0].id), String(eid), 'the endpoint keeps its id (its URL still works)');
  assert.equal(ep[0].url, 'http://127.0.0.1:9/v1/items', 'the URL is the restored one');
  const hs = sql(`SELECT name, value FROM endpoint_headers WHERE endpoint_id = ${eid} ORDER BY position`);
  assert.deepEqual(hs.map((h) => [h.name, h.value]), [['X-Api', 'first <b>value</b>']], 'headers restored');
  assert.deepEqual(secretsRow(id), before, 'secrets untouched: the sealed columns are byte for byte the same');

  const last = versions(id).at(-1);
  assert.equal(last.kind, 'restore', 'a restore is itself a new version');
  const show = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.equal(show.status, 200, 'the restored endpoint page opens');

  // Stale: a restore with an old version number is refused, nothing changes.
  const n0 = versions(id).length;
  const stale = await admin.post(`/data-connectors/${id}/history/${v[3].n}/restore`,
    { _csrf: csrfFrom(after.text), version: '1' });
  assert.equal(stale.status, 200);
  assert.match(text(stale.text), /changed by someone else/);
  assert.equal(versions(id).length, n0, 'no version for a refused restore');
  assert.equal(sql(`SELECT url FROM endpoints WHERE id = ${eid}`)[0].url, 'http://127.0.0.1:9/v1/items');
});

test('API: list, one version with a diff, restore; method change lists secrets to re-enter', async () => {
  const token = await adminToken();
  const id = await connector(admin);
  await saveAuth(admin, id, { auth_type: 'basic', username: 'ann', password: 'pw-SECRET', verify_ssl: '1' });
  await addEndpoint(admin, id, endpointFields('http://127.0.0.1:9/a', 'X-A', 'a'));
  await saveAuth(admin, id, { auth_type: 'api_key', api_key_name: 'X-Key', api_key: 'key-SECRET', api_key_in: 'header', verify_ssl: '1' });

  const list = await admin.api('GET', `/api/1.0/data-connectors/${id}/versions`, null, token);
  assert.equal(list.status, 200);
  const data = list.json().data;
  assert.equal(data.length, 4);
  assert.equal(data[0].kind, 'authorization', 'newest first');
  assert.ok(data[0].changes.some((ch) => ch.label === 'Authorization: Type'), 'what changed');
  assert.ok(!list.text.includes('SECRET'));

  const basicN = data[1].n; // the endpoint save, with Basic
  const one = await admin.api('GET', `/api/1.0/data-connectors/${id}/versions/${basicN}?compare=${data[0].n}`, null, token);
  assert.equal(one.status, 200);
  const o = one.json();
  assert.equal(o.snapshot.authorization.auth_type, 'basic');
  assert.equal(o.snapshot.secrets_set.password, true, 'secrets only as set/unset');
  assert.equal(o.snapshot.endpoints[0].url, 'http://127.0.0.1:9/a');
  assert.ok(!one.text.includes('SECRET'));
  assert.ok(Array.isArray(o.diff) && o.diff.length > 0);

  const before = secretsRow(id);
  const r = await admin.api('POST', `/api/1.0/data-connectors/${id}/versions/${basicN}/restore`, {}, token);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().reenter, ['Password'], 'the Basic password is to be entered again');
  const row = secretsRow(id);
  assert.equal(row.auth_type, 'basic');
  assert.equal(row.auth_password, before.auth_password, 'secrets untouched');
  assert.equal(row.api_key, before.api_key, 'secrets untouched');

  const missing = await admin.api('GET', `/api/1.0/data-connectors/${id}/versions/9999`, null, token);
  assert.equal(missing.status, 404);

  // View only: may list, may not restore.
  const viewer = userToken('hist viewer', ['view-data-connectors']);
  const vl = await admin.api('GET', `/api/1.0/data-connectors/${id}/versions`, null, viewer.token);
  assert.equal(vl.status, 200);
  const vr = await admin.api('POST', `/api/1.0/data-connectors/${id}/versions/${basicN}/restore`, {}, viewer.token);
  assert.equal(vr.status, 403);
});

/** An API caller with the admin token and a new connector; setRate saves its rate limit. */
async function apiConnector() {
  const token = await adminToken();
  const api = (m, p, b) => admin.api(m, p, b, token);
  const id = await connector(admin);
  const setRate = async (rate) => {
    const shown = (await api('GET', `/api/1.0/data-connectors/${id}`)).json();
    const r = await api('PUT', `/api/1.0/data-connectors/${id}`, { name: shown.name, category_ids: [categoryId], version: shown.version, rate_limit: rate });
    assert.equal(r.status, 200, r.text);
  };
  return { api, id, setRate };
}

test('every Details field and every endpoint field is versioned: diff and restore bring back rate limit, runtime options and map rows', async () => {
  const { api, id, setRate } = await apiConnector();
  await setRate(2.5);
  let r = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, {
    purpose: 'Paged', url: 'http://127.0.0.1:9/p', retries: 2, pagination: 'page', page_size: 50,
    response_map: [{ name: 'id', pointer: '/id' }], body_type: 'form', body_fields: [{ name: 'q', value: '{{q}}' }],
  });
  assert.equal(r.status, 201, r.text);
  const eid = r.json().id;
  const saved = (await api('GET', `/api/1.0/data-connectors/${id}/versions`)).json().data[0].n;

  // Change both, then compare and restore.
  await setRate(null);
  r = await api('PUT', `/api/1.0/data-connectors/${id}/endpoints/${eid}`, { purpose: 'Paged', url: 'http://127.0.0.1:9/p', retries: 0 });
  assert.equal(r.status, 200, r.text);
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'endpoint.update' AND object_id = ${eid} ORDER BY id DESC LIMIT 1`);
  assert.match(audit[0].details, /changed: .*retries.*pagination/, 'the audit log names the changed endpoint fields');

  const list = (await api('GET', `/api/1.0/data-connectors/${id}/versions`)).json().data;
  const labels = list[0].changes.map((ch) => ch.label);
  assert.ok(labels.includes('Endpoint Paged: Number of retries'), JSON.stringify(labels));
  assert.ok(labels.includes('Endpoint Paged: Pagination'), JSON.stringify(labels));
  assert.ok(labels.some((l) => /Endpoint Paged: map id/.test(l)), JSON.stringify(labels));
  assert.ok(list[1].changes.some((ch) => ch.label === 'Rate limit' && /^2\.50*$/.test(ch.before) && ch.after === 'default'),
    JSON.stringify(list[1].changes));

  r = await api('POST', `/api/1.0/data-connectors/${id}/versions/${saved}/restore`, {});
  assert.equal(r.status, 200, r.text);
  const conn = (await api('GET', `/api/1.0/data-connectors/${id}`)).json();
  assert.equal(conn.rate_limit, 2.5, 'the rate limit is back');
  const ep = (await api('GET', `/api/1.0/data-connectors/${id}/endpoints/${eid}`)).json();
  assert.equal(ep.retries, 2);
  assert.equal(ep.pagination, 'page');
  assert.equal(ep.page_size, 50);
  assert.equal(ep.body_type, 'form');
  assert.deepEqual(ep.response_map, [{ name: 'id', pointer: '/id' }]);
  assert.deepEqual(ep.body_fields, [{ name: 'q', value: '{{q}}' }]);
});

test('an older snapshot (without the newer fields) still lists, compares and restores', async () => {
  const { api, id, setRate } = await apiConnector();
  await setRate(3);
  let r = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: 'Old', url: 'http://127.0.0.1:9/o', retries: 3 });
  assert.equal(r.status, 201, r.text);
  const eid = r.json().id;
  const old = (await api('GET', `/api/1.0/data-connectors/${id}/versions`)).json().data[0].n;
  // Make that version look like one recorded before rate_limit and the runtime options were.
  sql(`UPDATE connector_versions SET snapshot = JSON_REMOVE(JSON_REMOVE(snapshot, '$.rate_limit'),
    '$.endpoints[0].retries', '$.endpoints[0].pagination', '$.endpoints[0].response_map')
    WHERE connector_id = ${id} AND n = ${old}`);
  r = await api('PUT', `/api/1.0/data-connectors/${id}/endpoints/${eid}`, { purpose: 'Old', url: 'http://127.0.0.1:9/new', retries: 3 });
  assert.equal(r.status, 200, r.text);

  const list = (await api('GET', `/api/1.0/data-connectors/${id}/versions`));
  assert.equal(list.status, 200);
  const labels = list.json().data[0].changes.map((ch) => ch.label);
  assert.ok(labels.includes('Endpoint Old: URL'), JSON.stringify(labels));
  assert.ok(!labels.includes('Rate limit'), 'a member the old snapshot lacks is not a change');

  r = await api('POST', `/api/1.0/data-connectors/${id}/versions/${old}/restore`, {});
  assert.equal(r.status, 200, r.text);
  const conn = (await api('GET', `/api/1.0/data-connectors/${id}`)).json();
  assert.equal(conn.rate_limit, 3, 'a Details field the snapshot lacks keeps its value');
  const ep = (await api('GET', `/api/1.0/data-connectors/${id}/endpoints/${eid}`)).json();
  assert.equal(ep.url, 'http://127.0.0.1:9/o');
  assert.equal(ep.retries, 0, 'an endpoint field the snapshot lacks gets its default');
});
