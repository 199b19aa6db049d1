'use strict';
// Origin-bound secrets, sealed variables, the API Key method and masking (the "Secrets"
// issue, items 1, 2 and 8), through the real stack with two upstreams on two origins:
// A (where the connector's secrets belong) and B (where an editor would like them to go),
// both recording servers in this process, on 127.0.0.1 and 127.0.0.2 (or another port).
//
// "An editor cannot take a secret": for every credential kind (Basic, Bearer, OAuth
// password, client credentials, API Key, a secret variable) a user with only view + edit
// who moves the URL or the URL Token to B is refused and B receives nothing secret; the
// same for a redirect from A to B.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Client, adminClient, csrfFrom, env, sql, unique, decode, fieldError, inputValue } = require('./lib.js');
const { adminToken } = require('./apitokens.js');

const PW = 'Origin-Test-Pass-42!';
let admin;
let editor;
let token;
let categoryId;
let A;
let B;

/** A recording upstream: every request kept as {method, url, headers, body}. */
async function recorder(host) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const u = new URL(req.url, 'http://x');
      if (u.pathname === '/redirect') {
        res.writeHead(Number(u.searchParams.get('code') || 302), { Location: u.searchParams.get('to'), 'Content-Length': 0 });
        return res.end();
      }
      if (u.pathname === '/token') {
        const out = JSON.stringify({ access_token: `tok-${Math.random().toString(36).slice(2)}`, token_type: 'Bearer', expires_in: 3600 });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(out);
      }
      const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(out);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  }).catch(async () => {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  const addr = server.address();
  return { server, seen, url: `http://${addr.address}:${addr.port}`, origin: `http://${addr.address}:${addr.port}` };
}

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

function byId(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:pre|p|dd|div|textarea|code|span)>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, '')).trim() : null;
}

async function connector() {
  const r = await admin.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Origin Conn')), description: 'origins', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  return /\/data-connectors\/(\d+)$/.exec(r.location)[1];
}

async function saveAuth(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/authorization`);
  assert.equal(page.status, 200);
  return c.post(`/data-connectors/${id}/authorization`,
    { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', verify_ssl: '1', ...fields });
}

async function addEndpoint(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/new`);
  const r = await c.post(`/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', ...fields });
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${fieldError(r.text, 'url') || ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

async function editEndpoint(c, id, eid, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', ...fields });
  assert.equal(r.status, 303, `endpoint edited: ${r.status}`);
}

async function runTest(c, id, eid) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200, 'the Test screen renders');
  return r.text;
}

/** No secret in anything B received. */
function assertNothingSecret(seen, secrets, what) {
  const all = JSON.stringify(seen);
  for (const s of secrets) assert.ok(!all.includes(s), `${what}: B got ${s}`);
}

test.before(async () => {
  admin = await adminClient();
  token = await adminToken();
  A = await recorder('127.0.0.1');
  B = await recorder('127.0.0.2');
  assert.notEqual(A.origin, B.origin);
  const cat = alnum(unique('Origin Cat'));
  const r = await admin.submit('/data-connector-categories/new', '/data-connector-categories', { name: cat, status: 'active' });
  assert.equal(r.status, 303);
  categoryId = sql(`SELECT id FROM categories WHERE name = '${cat}'`)[0].id;
  const username = unique('editor').replace(/\W+/g, '_');
  const u = await admin.submit('/admin/users/new', '/admin/users', {
    username, password: PW, display_name: 'Editor', email: `${username}@example.com`, is_active: '1',
    permissions: ['view-data-connectors', 'edit-data-connectors'],
  });
  assert.equal(u.status, 303, 'editor created');
  editor = new Client();
  const s = await editor.login(username, PW);
  assert.equal(s.status, 303, 'editor signed in');
});

test.after(() => {
  A.server.close();
  B.server.close();
});

// The credential kinds whose secrets go to the endpoint's origin. Each makes a connector
// with an endpoint at A (so the secrets, entered after it, are bound to A) and returns the
// secret strings.
const KINDS = {
  basic: async (id) => {
    const pass = `basic-pw-${Math.random().toString(36).slice(2)}`;
    const r = await saveAuth(admin, id, { auth_type: 'basic', username: 'basic-user', password: pass });
    assert.equal(r.status, 303);
    return [pass, Buffer.from(`basic-user:${pass}`).toString('base64')];
  },
  bearer: async (id) => {
    const t = `bearer-${Math.random().toString(36).slice(2)}`;
    const r = await saveAuth(admin, id, { auth_type: 'bearer', token: t });
    assert.equal(r.status, 303);
    return [t];
  },
  api_key: async (id) => {
    const k = `apikey-${Math.random().toString(36).slice(2)}`;
    const r = await saveAuth(admin, id, { auth_type: 'api_key', api_key_name: 'X-Api-Key', api_key: k, api_key_in: 'header' });
    assert.equal(r.status, 303, fieldError(r.text, 'api_key_name') || '');
    return [k];
  },
  variable: async (id, eid) => {
    const v = `var-${Math.random().toString(36).slice(2)}`;
    const r = await saveAuth(admin, id, { auth_type: 'none', secrets_given: '1', 'secret[0][name]': 'TOKEN', 'secret[0][value]': v });
    assert.equal(r.status, 303, `${r.status} ${fieldError(r.text, 'allowed_origins') || ''}`);
    await editEndpoint(admin, id, eid, { url: `${A.url}/echo?k={{secrets.TOKEN}}`, 'header[0][key]': 'X-Token', 'header[0][value]': '{{secrets.TOKEN}}' });
    return [v];
  },
};

for (const [kind, setup] of Object.entries(KINDS)) {
  test(`An editor cannot take a secret: ${kind}, the URL moved to another origin is refused and nothing is sent`, async () => {
    const id = await connector();
    const eid = await addEndpoint(admin, id, { url: `${A.url}/echo` });
    const secrets = await setup(id, eid);
    assert.equal(sql(`SELECT allowed_origins FROM connectors WHERE id = ${id}`)[0].allowed_origins, `${A.origin}`,
      'bound to the endpoint origin when the secrets were entered');
    // At A it works.
    let html = await runTest(admin, id, eid);
    assert.match(html, /id="response-status"/, byId(html, 'test-error') || '');
    // The editor moves the URL to B (allowed: editing is their job) and presses Test.
    const url = kind === 'variable' ? `${B.url}/steal?k={{secrets.TOKEN}}` : `${B.url}/steal`;
    const hdr = kind === 'variable' ? { 'header[0][key]': 'X-Token', 'header[0][value]': '{{secrets.TOKEN}}' } : {};
    await editEndpoint(editor, id, eid, { url, ...hdr });
    const form = await editor.get(`/data-connectors/${id}/endpoints/${eid}`);
    assert.match(byId(form.text, 'origin-warning'), /may only be sent to/, 'the endpoint form warns');
    const before = B.seen.length;
    html = await runTest(editor, id, eid);
    assert.equal(byId(html, 'test-error'),
      `Credentials of this Data Connector may only be sent to ${A.origin}; the endpoint's URL is at ${B.origin}.`);
    assert.match(html, /<code>EORIGIN<\/code>/);
    // execute is refused the same way.
    const ex = await admin.api('POST', `/api/1.0/data-connectors/${id}/endpoints/List/execute`, { data: {} }, token);
    assert.equal(ex.status, 403);
    assert.equal(ex.json().code, 'EORIGIN');
    assert.equal(B.seen.length, before, 'B received nothing');
    // Nor can the editor move the allowed origins without entering every secret again.
    const r = await saveAuth(editor, id, { auth_type: kind === 'variable' ? 'none' : kind, username: 'basic-user', api_key_name: 'X-Api-Key', allowed_origins: `${A.origin} ${B.origin}`, secrets_given: kind === 'variable' ? '1' : undefined, 'secret[0][name]': kind === 'variable' ? 'TOKEN' : undefined });
    assert.equal(r.status, 422);
    assert.match(fieldError(r.text, 'allowed_origins'), /only together with entering every secret/);
    for (const s of secrets) assert.ok(!html.includes(s) && !r.text.includes(s), 'no secret in the pages');
  });
}

test('An editor cannot take a secret: OAuth password and client credentials, the URL Token moved to B', async () => {
  for (const grant of ['oauth2_password', 'oauth2_client_credentials']) {
    const id = await connector();
    const eid = await addEndpoint(admin, id, { url: `${A.url}/echo` });
    const cs = `cs-${Math.random().toString(36).slice(2)}`;
    const pw = `pw-${Math.random().toString(36).slice(2)}`;
    let r = await saveAuth(admin, id, {
      auth_type: grant, token_url: `${A.url}/token`, client_id: 'cid', client_secret: cs, username: 'oauth-user', password: pw,
    });
    assert.equal(r.status, 303, `${grant} saved: ${fieldError(r.text, 'token_url') || r.status}`);
    assert.equal(sql(`SELECT token_origin FROM connectors WHERE id = ${id}`)[0].token_origin, A.origin);
    let html = await runTest(admin, id, eid);
    assert.match(html, /id="response-status"/, byId(html, 'test-error') || '');
    const before = B.seen.length;
    // The save that moves the URL Token while keeping the stored secrets is refused...
    r = await saveAuth(editor, id, { auth_type: grant, token_url: `${B.url}/token`, client_id: 'cid', username: 'oauth-user' });
    assert.equal(r.status, 422);
    assert.match(fieldError(r.text, 'token_url'), new RegExp(`may only be sent to ${A.origin}`));
    // ...and a URL Token moved behind dcgate's back (SQL) is refused at the run.
    sql(`UPDATE connectors SET token_url = '${B.url}/token' WHERE id = ${id}`);
    sql(`DELETE FROM token_cache WHERE connector_id = ${id}`);
    html = await runTest(editor, id, eid);
    assert.equal(byId(html, 'test-error'),
      `The Client Secret and Password of this Data Connector may only be sent to ${A.origin}; the URL Token is at ${B.origin}.`);
    assert.equal(B.seen.length, before, `${grant}: B received nothing`);
    assertNothingSecret(B.seen, [cs, pw], grant);
  }
});

test('An editor cannot take a secret: a redirect to another origin drops every credential', async () => {
  const kinds = ['basic', 'bearer', 'api_key', 'variable'];
  for (const kind of kinds) {
    const id = await connector();
    const eid = await addEndpoint(admin, id, { url: `${A.url}/echo` });
    const secrets = await KINDS[kind](id, eid);
    const q = kind === 'variable' ? '&k={{secrets.TOKEN}}' : '';
    await editEndpoint(editor, id, eid, {
      url: `${A.url}/redirect?to=${encodeURIComponent(`${B.url}/landing`)}${q}`,
      ...(kind === 'variable' ? { 'header[0][key]': 'X-Token', 'header[0][value]': '{{secrets.TOKEN}}' } : {}),
    });
    const before = B.seen.length;
    const html = await runTest(editor, id, eid);
    assert.equal(B.seen.length, before + 1, `${kind}: the redirect was followed, ${byId(html, 'test-error') || ''}`);
    const got = B.seen[B.seen.length - 1];
    assert.equal(got.headers.authorization, undefined, `${kind}: no Authorization at B`);
    assert.equal(got.headers['x-api-key'], undefined, `${kind}: no API key at B`);
    assert.equal(got.headers['x-token'], undefined, `${kind}: no secret header at B`);
    assertNothingSecret(B.seen, secrets, kind);
  }
  // A 307 would re-send a body holding a secret variable: refused, B gets nothing.
  const id = await connector();
  const eid = await addEndpoint(admin, id, { url: `${A.url}/echo` });
  const secrets = await KINDS.variable(id, eid);
  await editEndpoint(editor, id, eid, {
    method: 'POST', url: `${A.url}/redirect?code=307&to=${encodeURIComponent(`${B.url}/landing`)}`,
    body: '{"key": "{{secrets.TOKEN}}"}', 'header[0][key]': 'Content-Type', 'header[0][value]': 'application/json',
  });
  const before = B.seen.length;
  const html = await runTest(editor, id, eid);
  assert.match(byId(html, 'test-error'), new RegExp(`redirected to ${B.origin}, which would get the credentials`));
  assert.equal(B.seen.length, before, 'a 307 with a secret body is not followed to B');
  assertNothingSecret(B.seen, secrets, '307');
});

test('a redirect from https to http while credentials are attached is refused', async () => {
  const id = await connector();
  const tlsOrigin = `${env('TLS_URL')}`;
  const eid = await addEndpoint(admin, id, { url: `${env('TLS_URL')}/redirect-to?url=${encodeURIComponent(`${B.url}/plain`)}` });
  const t = `tls-bearer-${Math.random().toString(36).slice(2)}`;
  // Both origins allowed: the credentials would still go along, so the downgrade is refused.
  const r = await saveAuth(admin, id, { auth_type: 'bearer', token: t, allowed_origins: `${tlsOrigin} ${B.origin}` });
  assert.equal(r.status, 303, fieldError(r.text, 'allowed_origins') || '');
  const before = B.seen.length;
  const html = await runTest(admin, id, eid);
  assert.match(byId(html, 'test-error'), /from https to http:\/\/.* while credentials were attached/);
  assert.equal(B.seen.length, before);
});

test('the OAuth token request does not re-post its secrets across a 307/308 to another origin', async () => {
  const id = await connector();
  const eid = await addEndpoint(admin, id, { url: `${A.url}/echo` });
  const cs = `cs307-${Math.random().toString(36).slice(2)}`;
  const r = await saveAuth(admin, id, {
    auth_type: 'oauth2_client_credentials', client_id: 'cid', client_secret: cs,
    token_url: `${A.url}/redirect?code=308&to=${encodeURIComponent(`${B.url}/token`)}`,
  });
  assert.equal(r.status, 303);
  const before = B.seen.length;
  const html = await runTest(admin, id, eid);
  assert.match(byId(html, 'test-error'), /would get the credentials in the request body again/);
  assert.equal(B.seen.length, before);
});

test('secret variables: write-only through the form and JSON, never exported', async () => {
  const id = await connector();
  const v1 = `sv1-${Math.random().toString(36).slice(2)}`;
  const v2 = `sv2-${Math.random().toString(36).slice(2)}`;
  let r = await saveAuth(admin, id, { auth_type: 'none', secrets_given: '1', 'secret[0][name]': 'ONE', 'secret[0][value]': v1 });
  assert.equal(r.status, 303);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.ok(!page.text.includes(v1), 'the value is not in the page');
  assert.equal(inputValue(page.text, 'secret-0-name'), 'ONE');
  assert.equal(inputValue(page.text, 'secret-0-value'), '');
  let rows = sql(`SELECT name, value FROM connector_secrets WHERE connector_id = ${id}`);
  assert.equal(rows.length, 1);
  assert.match(rows[0].value, /^v1:/, 'sealed');
  assert.ok(!rows[0].value.includes(v1));
  // Blank keeps; JSON adds one, reads names only.
  const sealed = rows[0].value;
  r = await saveAuth(admin, id, { auth_type: 'none', secrets_given: '1', 'secret[0][name]': 'ONE', 'secret[0][value]': '' });
  assert.equal(r.status, 303);
  assert.equal(sql(`SELECT value FROM connector_secrets WHERE connector_id = ${id}`)[0].value, sealed, 'blank keeps');
  const cur = (await admin.api('GET', `/api/1.0/data-connectors/${id}`, null, token)).json();
  assert.deepEqual(cur.secrets, ['ONE']);
  let put = await admin.api('PUT', `/api/1.0/data-connectors/${id}`,
    { name: cur.name, description: cur.description, category_ids: cur.category_ids, version: cur.version, secrets: { ONE: '', TWO: v2 } }, token);
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json().secrets, ['ONE', 'TWO']);
  assert.ok(!put.text.includes(v1) && !put.text.includes(v2));
  rows = sql(`SELECT name FROM connector_secrets WHERE connector_id = ${id} ORDER BY name`);
  assert.deepEqual(rows.map((x) => x.name), ['ONE', 'TWO']);
  const exp = await admin.api('GET', `/api/1.0/data-connectors/${id}/export`, null, token);
  assert.equal(exp.status, 200);
  assert.ok(!exp.text.includes(v1) && !exp.text.includes(v2) && !exp.text.includes('TWO'), 'not exported');
  // null removes.
  put = await admin.api('PUT', `/api/1.0/data-connectors/${id}`,
    { name: cur.name, description: cur.description, category_ids: cur.category_ids, version: put.json().version, secrets: { ONE: '', TWO: null } }, token);
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json().secrets, ['ONE']);
});

test('secret variables are masked on the Test screen, in cURL, in the logs and in what the upstream echoes', async () => {
  const id = await connector();
  const v = `mask-${Math.random().toString(36).slice(2)}`;
  const tpl = '{{secrets.K}}';
  const eid = await addEndpoint(admin, id, {
    method: 'POST', url: `http://${tpl}@${A.url.slice(7)}/path/${tpl}/x?q=${tpl}`,
    'header[0][key]': 'X-Plain-Name', 'header[0][value]': `v=${tpl}`,
    'header[1][key]': 'Content-Type', 'header[1][value]': 'application/json',
    'param[0][key]': 'other', 'param[0][value]': tpl,
    body: `{"s": "${tpl}"}`,
  });
  const r = await saveAuth(admin, id, { auth_type: 'none', secrets_given: '1', 'secret[0][name]': 'K', 'secret[0][value]': v });
  assert.equal(r.status, 303);
  const before = A.seen.length;
  const html = await runTest(admin, id, eid);
  assert.equal(A.seen.length, before + 1, byId(html, 'test-error') || 'sent');
  const got = A.seen[A.seen.length - 1];
  assert.equal(got.headers['x-plain-name'], `v=${v}`, 'the upstream got the value');
  assert.equal(JSON.parse(got.body).s, v);
  assert.ok(got.url.includes(`/path/${v}/x`));
  assert.ok(!html.includes(v), 'the value is nowhere on the Test screen (URL, headers, body, cURL, response)');
  assert.match(byId(html, 'curl-command'), /\*\*\*\*/);
  assert.match(byId(html, 'request-body'), /\*\*\*\*/);
  const logs = sql(`SELECT url, error FROM execution_logs WHERE connector_id = ${id}`);
  assert.ok(logs.length >= 1);
  for (const l of logs) assert.ok(!l.url.includes(v) && !l.error.includes(v), 'not in the log');
  const list = await admin.get(`/data-connectors/${id}/logs`);
  assert.ok(!list.text.includes(v));
});

test('the API Key method sends its key in a header or in the query', async () => {
  const id = await connector();
  const eid = await addEndpoint(admin, id, { url: `${A.url}/echo?x=1` });
  const k = `key-${Math.random().toString(36).slice(2)}`;
  let r = await saveAuth(admin, id, { auth_type: 'api_key', api_key_name: 'X-Api-Key', api_key: k, api_key_in: 'header' });
  assert.equal(r.status, 303);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.match(page.text, /<option value="api_key" selected>API Key<\/option>/);
  assert.ok(!page.text.includes(k));
  let html = await runTest(admin, id, eid);
  let got = A.seen[A.seen.length - 1];
  assert.equal(got.headers['x-api-key'], k);
  assert.ok(!html.includes(k), 'masked on the Test screen');
  r = await saveAuth(admin, id, { auth_type: 'api_key', api_key_name: 'api_key', api_key_in: 'query' });
  assert.equal(r.status, 303, 'blank keeps the key');
  html = await runTest(admin, id, eid);
  got = A.seen[A.seen.length - 1];
  assert.equal(new URL(got.url, 'http://x').searchParams.get('api_key'), k);
  assert.equal(got.headers['x-api-key'], undefined);
  assert.ok(!html.includes(k), 'masked in the URL shown');
  const api = (await admin.api('GET', `/api/1.0/data-connectors/${id}`, null, token)).json();
  assert.equal(api.auth_type, 'api_key');
  assert.equal(api.api_key_set, true);
  assert.equal(api.api_key_in, 'query');
  assert.ok(!JSON.stringify(api).includes(k));
  const endpointPage = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.match(byId(endpointPage.text, 'headers-secret-note'), /plain text/);
});
