'use strict';
// The Authorization tab through the real stack (issue 5): the five methods, write-only
// secrets sealed before they reach MariaDB (never in a page or a mysqldump), blank keeps,
// "clear" removes, a method switch drops what the new method does not use, Auth 2.0
// Password refused without SSL verification, stale saves refused, Get Access Token against
// oauth2-mock-server, and every method applied to a real upstream: Basic and Bearer seen by
// the echo server, OAuth tokens accepted by the token server's protected resource (and
// cached: one token request for two tests), TLS verification on and off.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { adminClient, csrfFrom, env, sql, unique, decode, flashOf, fieldError, inputTag, inputValue } = require('./lib.js');

// ------------------------------------------------------------------- page helpers

function selected(html, id) {
  const sel = new RegExp(`<select\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  const m = sel && /<option value="([^"]*)" selected>/.exec(sel[1]);
  return m ? m[1] : null;
}

function blockOf(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</div>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()) : null;
}

function byId(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:pre|p|dd|div|textarea|code)>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, '')) : null;
}

/** The echo server's answer as shown on the Test screen. */
function echoOf(html) {
  const body = byId(html, 'response-body');
  assert.ok(body, 'the Test screen shows a response body');
  return JSON.parse(body);
}

/** Every visible input, select and textarea has a <label for> naming it. */
function assertLabelled(html) {
  const fors = new Set([...html.matchAll(/<label\b[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    if (/type="hidden"/.test(m[0])) continue;
    const id = /\bid="([^"]+)"/.exec(m[0]);
    assert.ok(id && fors.has(id[1]), `a label for ${m[0]}`);
  }
}

// ---------------------------------------------------------------------- fixtures

const pages = []; // every page of the secrets connector, grepped at the end
let admin;
let categoryId;

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

async function connector(c) {
  if (!categoryId) {
    const name = alnum(unique('Auth Cat'));
    const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
    assert.equal(r.status, 303);
    categoryId = sql(`SELECT id FROM categories WHERE name = '${name}'`)[0].id;
  }
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Auth Conn')), description: 'authorization test', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  return /\/data-connectors\/(\d+)$/.exec(r.location)[1];
}

function row(id) {
  return sql(`SELECT auth_type, verify_ssl, auth_username, auth_password, auth_token, token_url,
    client_id, client_secret, scope, client_auth, version FROM connectors WHERE id = ${id}`)[0];
}

/** GET the tab (for its csrf and version), POST fields; returns the answer. */
async function saveAuth(c, id, fields, keep) {
  const page = await c.get(`/data-connectors/${id}/authorization`);
  assert.equal(page.status, 200);
  if (keep) keep.push(page.text);
  const form = { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', ...fields };
  const r = await c.post(`/data-connectors/${id}/authorization`, form);
  if (keep) keep.push(r.text);
  return r;
}

async function addEndpoint(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/new`);
  const r = await c.post(`/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', ...fields });
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${fieldError(r.text, 'url') || ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

async function runTest(c, id, eid, keep) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200, 'the Test screen renders');
  if (keep) keep.push(page.text, r.text);
  return r.text;
}

function statusOf(html) {
  const m = /id="response-status"><span[^>]*>(\d+)<\/span>/.exec(html);
  return m ? Number(m[1]) : null;
}

function oauthLog() {
  const text = fs.readFileSync(env('OAUTH_LOG'), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function oauthControl(path) {
  const r = await fetch(env('OAUTH_URL') + path, { method: 'POST' });
  assert.equal(r.status, 200, `oauth control ${path}`);
}

test.before(async () => {
  admin = await adminClient();
});

// --------------------------------------------------------------------- the tab

test('the tab offers the five methods, SSL verification on by default, every input labelled', async () => {
  const id = await connector(admin);
  const r = await admin.get(`/data-connectors/${id}/authorization`);
  assert.equal(r.status, 200);
  for (const label of ['No Auth', 'Basic Auth', 'Bearer Token', 'Auth 2.0 Password', 'OAuth 2.0 Client Credentials']) {
    assert.match(r.text, new RegExp(`<option value="[a-z0-9_]+"( selected)?>${label}</option>`), label);
  }
  assert.equal(selected(r.text, 'auth_type'), 'none');
  assert.match(inputTag(r.text, 'verify_ssl'), /\bchecked\b/, 'verification is on by default');
  assert.match(r.text, /Enable SSL certificate verification/);
  for (const label of ['User', 'Password', 'Token', 'URL Token', 'Client ID', 'Client Secret', 'Scope']) {
    assert.match(r.text, new RegExp(`<label for="[a-z_]+">${label}</label>`), `label ${label}`);
  }
  assert.match(r.text, /Get Access Token/);
  assert.match(r.text, /aria-current="page">Authorization</, 'the Authorization tab is current');
  assertLabelled(r.text);
  // Without JavaScript every group is in the page, named by the methods using it.
  for (const g of ['group-token-endpoint', 'group-scope', 'group-credentials', 'group-bearer']) {
    assert.match(r.text, new RegExp(`data-auth-methods="[a-z0-9_ ]+" id="${g}"`));
  }
});

const SECRET = {
  password: `pw-${Math.random().toString(36).slice(2)}-Plain`,
  token: `tok-${Math.random().toString(36).slice(2)}-Plain`,
  client_secret: `cs-${Math.random().toString(36).slice(2)}-Plain`,
  password2: `pw2-${Math.random().toString(36).slice(2)}-Plain`,
};
let secretsId;

test('Basic Auth: saved sealed, never shown; blank keeps it, clear removes it', async () => {
  const id = secretsId = await connector(admin);
  let r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'alice', password: SECRET.password }, pages);
  assert.equal(r.status, 303, `saved: ${r.status}`);
  assert.equal(r.location, `/data-connectors/${id}/authorization`);
  let page = await admin.get(r.location);
  pages.push(page.text);
  assert.equal(flashOf(page.text), 'The Data Connector was saved');
  let stored = row(id);
  assert.equal(stored.auth_type, 'basic');
  assert.equal(stored.auth_username, 'alice');
  assert.match(stored.auth_password, /^v1:[0-9a-f]{16}:/, 'sealed with a key id');
  assert.ok(!stored.auth_password.includes(SECRET.password));
  assert.equal(inputValue(page.text, 'password'), '', 'the form never carries the password');
  assert.equal(byId(page.text, 'password-state'), 'set — leave blank to keep');
  assert.ok(inputTag(page.text, 'clear_password'), 'a clear box');

  // Blank keeps the sealed value untouched.
  const sealed = stored.auth_password;
  r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'alice2', password: '' }, pages);
  assert.equal(r.status, 303);
  stored = row(id);
  assert.equal(stored.auth_password, sealed, 'blank keeps the stored password');
  assert.equal(stored.auth_username, 'alice2');

  // A new one replaces it; clear removes it.
  r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'alice2', password: SECRET.password2 }, pages);
  assert.equal(r.status, 303);
  assert.notEqual(row(id).auth_password, sealed);
  r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'alice2', clear_password: '1' }, pages);
  assert.equal(r.status, 303);
  assert.equal(row(id).auth_password, null, 'clear removes the password');
  page = await admin.get(`/data-connectors/${id}/authorization`);
  pages.push(page.text);
  assert.equal(byId(page.text, 'password-state'), 'not set');
});

test('switching the method drops the secrets the new method does not use', async () => {
  const id = secretsId;
  let r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'bob', password: SECRET.password }, pages);
  assert.equal(r.status, 303);
  // Auth 2.0 Password keeps the password (it uses one) and adds a client secret.
  r = await saveAuth(admin, id, {
    auth_type: 'oauth2_password', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`, client_id: 'dcgate',
    client_secret: SECRET.client_secret, username: 'bob',
    // The Basic password was bound to the connector's origins, not to this URL Token: entered again.
    password: SECRET.password,
  }, pages);
  assert.equal(r.status, 303, `oauth2_password saved: ${fieldError(r.text, 'password') || r.status}`);
  let s = row(id);
  assert.ok(s.auth_password && s.client_secret, 'password kept, client secret sealed');
  assert.ok(!s.client_secret.includes(SECRET.client_secret));
  // Bearer uses neither: both go, the token comes.
  r = await saveAuth(admin, id, { auth_type: 'bearer', verify_ssl: '1', token: SECRET.token }, pages);
  assert.equal(r.status, 303);
  s = row(id);
  assert.equal(s.auth_password, null);
  assert.equal(s.client_secret, null);
  assert.equal(s.auth_username, '', 'unused settings are cleared too');
  assert.equal(s.token_url, '');
  assert.match(s.auth_token, /^v1:/);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  pages.push(page.text);
  assert.equal(selected(page.text, 'auth_type'), 'bearer');
  assert.equal(byId(page.text, 'token-state'), 'set — leave blank to keep');
  // The audit log names the changed fields, never a value.
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'connector.authorization' AND object_id = ${id} ORDER BY id`);
  assert.ok(audit.length >= 3);
  assert.match(audit[audit.length - 1].details, /auth_type/);
  assert.match(audit[audit.length - 1].details, /token/);
  for (const a of audit) for (const v of Object.values(SECRET)) assert.ok(!a.details.includes(v));
});

test('a method missing its secret is refused beside the field; secrets typed are not echoed', async () => {
  const id = await connector(admin);
  const r = await saveAuth(admin, id, { auth_type: 'bearer', verify_ssl: '1', token: '' });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'token'), 'The Token field is required.');
  assert.match(inputTag(r.text, 'token'), /aria-describedby="[^"]*token-error/);
  const r2 = await saveAuth(admin, id, { auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: 'ftp://x', client_id: '', client_secret: SECRET.client_secret });
  assert.equal(r2.status, 422);
  assert.match(fieldError(r2.text, 'token_url'), /absolute http/);
  assert.equal(fieldError(r2.text, 'client_id'), 'The Client ID field is required.');
  assert.ok(!r2.text.includes(SECRET.client_secret), 'a typed secret is not sent back');
  assert.match(r2.text, /enter them again/);
  assert.equal(inputValue(r2.text, 'token_url'), 'ftp://x', 'input kept');
  assert.equal(row(id).auth_type, 'none', 'nothing saved');
});

test('Auth 2.0 Password with SSL verification off is refused with a field error', async () => {
  const id = await connector(admin);
  const r = await saveAuth(admin, id, {
    auth_type: 'oauth2_password', token_url: `${env('OAUTH_URL')}/token`, client_id: 'x', username: 'u', password: 'p',
  });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'verify_ssl'), /requires SSL certificate verification/);
  assert.match(inputTag(r.text, 'verify_ssl'), /aria-describedby="verify_ssl-error"/);
  assert.doesNotMatch(inputTag(r.text, 'verify_ssl'), /checked/);
  assert.equal(selected(r.text, 'auth_type'), 'oauth2_password', 'input kept');
  assert.equal(inputValue(r.text, 'token_url'), `${env('OAUTH_URL')}/token`);
  assert.equal(row(id).auth_type, 'none');
});

test('a save over a stale version is refused with 409 and the input kept', async () => {
  const id = await connector(admin);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  const version = inputValue(page.text, 'version');
  let r = await admin.post(`/data-connectors/${id}/authorization`, { _csrf: csrfFrom(page.text), version, auth_type: 'basic', verify_ssl: '1', username: 'first' });
  assert.equal(r.status, 303);
  r = await admin.post(`/data-connectors/${id}/authorization`, { _csrf: csrfFrom(page.text), version, auth_type: 'basic', verify_ssl: '1', username: 'second' });
  assert.equal(r.status, 409);
  assert.match(byId(r.text, 'form-error'), /changed by someone else/);
  assert.equal(inputValue(r.text, 'username'), 'second');
  assert.equal(row(id).auth_username, 'first');
});

// ----------------------------------------------------------------- Get Access Token

test('Get Access Token: the Request token screen gets a token from oauth2-mock-server', async () => {
  const id = await connector(admin);
  const form = await admin.get(`/data-connectors/${id}/authorization/request-token`);
  assert.equal(form.status, 200);
  assert.match(form.text, /<h1>Request token<\/h1>/);
  for (const l of ['URL Token', 'User', 'Password']) assert.match(form.text, new RegExp(`<label for="[a-z_]+">${l}</label>`));
  assertLabelled(form.text);
  await oauthControl('/__control/reset');
  const r = await admin.post(`/data-connectors/${id}/authorization/request-token`, {
    _csrf: csrfFrom(form.text), token_url: `${env('OAUTH_URL')}/token`, username: 'carol', password: 'carol-pw',
  });
  assert.equal(r.status, 200);
  const token = byId(r.text, 'access_token');
  assert.ok(token && token.length > 20, 'an access token is shown');
  assert.equal(byId(r.text, 'token-type'), 'Bearer');
  assert.match(byId(r.text, 'token-expires'), /^\d+ seconds$/);
  const log = oauthLog();
  assert.equal(log.length, 1);
  assert.equal(log[0].body.grant_type, 'password');
  assert.equal(log[0].body.username, 'carol');
  assert.equal(log[0].body.password, 'carol-pw');
  assert.match(log[0].headers['content-type'], /application\/x-www-form-urlencoded/);
  assert.ok(!r.text.includes('carol-pw'), 'the password is not sent back');

  // "Use this token": the form again with the token in the Token field, Bearer chosen,
  // nothing saved yet.
  const use = /<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)">\s*<input type="hidden" name="prefill" value="1">/.exec(r.text);
  assert.ok(use, 'a Use this token form (POST, with CSRF)');
  assert.equal(use[1], `/data-connectors/${id}/authorization`);
  assert.doesNotMatch(r.text, /href="[^"]*token=/, 'the token is never in a URL');
  const pre = await admin.post(use[1], { _csrf: decode(use[2]), prefill: '1', token });
  assert.equal(pre.status, 200);
  assert.equal(selected(pre.text, 'auth_type'), 'bearer');
  assert.equal(inputValue(pre.text, 'token'), token);
  assert.match(pre.text, /not saved yet/);
  assert.equal(row(id).auth_token, null, 'not saved');
  const saved = await admin.post(`/data-connectors/${id}/authorization`,
    { _csrf: csrfFrom(pre.text), version: inputValue(pre.text, 'version'), auth_type: 'bearer', verify_ssl: '1', token });
  assert.equal(saved.status, 303);
  assert.match(row(id).auth_token, /^v1:/);
});

test('Get Access Token: a refusal shows the status and a plain explanation', async () => {
  const id = await connector(admin);
  const form = await admin.get(`/data-connectors/${id}/authorization/request-token`);
  await oauthControl('/__control/next?status=400&error=invalid_grant');
  let r = await admin.post(`/data-connectors/${id}/authorization/request-token`, {
    _csrf: csrfFrom(form.text), token_url: `${env('OAUTH_URL')}/token`, username: 'u', password: 'wrong',
  });
  assert.equal(r.status, 200);
  assert.match(blockOf(r.text, 'token-error'), /status 400/);
  assert.match(blockOf(r.text, 'token-error'), /invalid_grant/);
  // Nobody listening: a plain connection message, no hang.
  r = await admin.post(`/data-connectors/${id}/authorization/request-token`, {
    _csrf: csrfFrom(form.text), token_url: 'http://127.0.0.1:9/token', username: 'u', password: 'p',
  });
  assert.match(blockOf(r.text, 'token-error'), /could not be reached/);
  // The connector verifies certificates (the default): an untrusted one is refused.
  r = await admin.post(`/data-connectors/${id}/authorization/request-token`, {
    _csrf: csrfFrom(form.text), token_url: `${env('TLS_UNTRUSTED_URL')}/token`, username: 'u', password: 'p',
  });
  assert.match(blockOf(r.text, 'token-error'), /certificate could not be verified/);
  // And no URL at all is a field error.
  r = await admin.post(`/data-connectors/${id}/authorization/request-token`, { _csrf: csrfFrom(form.text), token_url: '' });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'token_url'), 'The URL Token field is required.');
});

// ------------------------------------------------- every method on a real upstream

test('Basic and Bearer: the echo server sees the Authorization header', async () => {
  const id = await connector(admin);
  // No endpoint yet: the origin the secrets may go to is given with them.
  let r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'echo-user', password: 'echo-pass', allowed_origins: env('ECHO_URL') });
  assert.equal(r.status, 303);
  const eid = await addEndpoint(admin, id, { url: `${env('ECHO_URL')}/echo` });
  let html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200);
  // What the echo server got comes back masked: no secret of the connector leaves dcgate.
  assert.equal(echoOf(html).headers.authorization, 'Basic ****');
  // The echo server's own check, with the password for it in a sealed variable.
  r = await saveAuth(admin, id, { auth_type: 'basic', verify_ssl: '1', username: 'echo-user', secrets_given: '1', 'secret[0][name]': 'P', 'secret[0][value]': 'echo-pass' });
  assert.equal(r.status, 303);
  const basic = await addEndpoint(admin, id, { purpose: 'Basic', url: `${env('ECHO_URL')}/auth/basic?user=echo-user&pass={{secrets.P}}` });
  assert.equal(statusOf(await runTest(admin, id, basic)), 200, 'the echo server accepted the Basic credentials');
  assert.match(byId(html, 'request-headers'), /Authorization\s*Basic \*\*\*\*/, 'shown masked');
  assert.match(html, /-H &#39;Authorization: Basic \*\*\*\*&#39;/, 'cURL masked');

  r = await saveAuth(admin, id, { auth_type: 'bearer', verify_ssl: '1', token: 'echo-token-123' });
  assert.equal(r.status, 303);
  html = await runTest(admin, id, eid);
  assert.equal(echoOf(html).headers.authorization, 'Bearer ****');
  assert.match(byId(html, 'request-headers'), /Authorization\s*Bearer \*\*\*\*/);
  // The echo server's own check of the two schemes.
  const eid2 = await addEndpoint(admin, id, { purpose: 'Check', url: `${env('ECHO_URL')}/auth/bearer?token={{t}}`, sample_data: '{"t": "echo-token-123"}' });
  assert.equal(statusOf(await runTest(admin, id, eid2)), 200);
});

test('OAuth 2.0 Client Credentials: the token is accepted by the upstream and cached', async () => {
  const id = await connector(admin);
  let r = await saveAuth(admin, id, {
    auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-client', client_secret: 'cc-secret', scope: 'read write',
  });
  assert.equal(r.status, 303, `saved: ${r.status}`);
  const eid = await addEndpoint(admin, id, { url: `${env('OAUTH_URL')}/resource` });
  await oauthControl('/__control/reset');
  let html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200, byId(html, 'test-error') || '');
  assert.equal(echoOf(html).ok, true);
  html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200);
  const log = oauthLog();
  assert.equal(log.length, 1, 'two tests, one token request (cached)');
  assert.equal(log[0].body.grant_type, 'client_credentials');
  assert.equal(log[0].body.client_id, 'dcgate-client');
  assert.equal(log[0].body.client_secret, 'cc-secret');
  assert.equal(log[0].body.scope, 'read write');
  const cached = sql(`SELECT access_token FROM token_cache WHERE connector_id = ${id}`);
  assert.equal(cached.length, 1);
  assert.match(cached[0].access_token, /^v1:/, 'the cached token is sealed');

  // A revoked token: the 401 fetches a new one once and the retry succeeds.
  await oauthControl('/__control/revoke-all');
  // The mock's tokens are JWTs: one issued in the same second would be the same string.
  await new Promise((res) => setTimeout(res, 1100));
  html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200, 'retried with a new token');
  assert.equal(oauthLog().length, 2);

  // Client credentials by HTTP Basic instead of the body.
  r = await saveAuth(admin, id, {
    auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-client', client_auth: 'basic',
  });
  assert.equal(r.status, 303);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM token_cache WHERE connector_id = ${id}`)[0].n, '0', 'a save forgets the cached token');
  await oauthControl('/__control/reset');
  html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200);
  const entry = oauthLog()[0];
  assert.equal(entry.headers.authorization, `Basic ${Buffer.from('dcgate-client:cc-secret').toString('base64')}`);
  assert.equal(entry.body.client_secret, undefined);
});

test('Auth 2.0 Password: the password grant token is accepted by the upstream', async () => {
  const id = await connector(admin);
  const r = await saveAuth(admin, id, {
    auth_type: 'oauth2_password', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-pw', client_secret: 'pw-client-secret', username: 'dave', password: 'dave-pw',
  });
  assert.equal(r.status, 303, `saved: ${fieldError(r.text, 'verify_ssl') || r.status}`);
  const eid = await addEndpoint(admin, id, { url: `${env('OAUTH_URL')}/resource` });
  await oauthControl('/__control/reset');
  const html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), 200, byId(html, 'test-error') || '');
  assert.equal(echoOf(html).ok, true);
  const log = oauthLog();
  assert.equal(log.length, 1);
  assert.equal(log[0].body.grant_type, 'password');
  assert.equal(log[0].body.username, 'dave');
  assert.equal(log[0].body.password, 'dave-pw');
  assert.equal(log[0].body.client_id, 'dcgate-pw');
});

test('TLS: verification on refuses an untrusted certificate in plain words; off succeeds', async () => {
  const id = await connector(admin);
  const trusted = await addEndpoint(admin, id, { purpose: 'Trusted', url: `${env('TLS_URL')}/echo` });
  const untrusted = await addEndpoint(admin, id, { purpose: 'Untrusted', url: `${env('TLS_UNTRUSTED_URL')}/echo` });
  let html = await runTest(admin, id, trusted);
  assert.equal(statusOf(html), 200, 'the CA bundle of the config verifies the trusted one');
  html = await runTest(admin, id, untrusted);
  assert.equal(statusOf(html), null, 'no response');
  assert.match(byId(html, 'test-error'), /certificate could not be verified/);
  assert.match(html, /<code>ETLS<\/code>/);
  const r = await saveAuth(admin, id, { auth_type: 'none' });
  assert.equal(r.status, 303);
  assert.equal(row(id).verify_ssl, '0');
  html = await runTest(admin, id, untrusted);
  assert.equal(statusOf(html), 200, 'verification off: success');
  assert.match(html, /SSL certificate verification is off/);
  assert.match(html, /curl --insecure/);
});

// ----------------------------------------------------------- secrets stay secret

test('the secrets of the connector are in no page and not in a mysqldump', async () => {
  const id = secretsId;
  // Set all three kinds once more, then look at every page of that connector.
  let r = await saveAuth(admin, id, {
    auth_type: 'oauth2_password', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`, client_id: 'grep',
    client_secret: SECRET.client_secret, username: 'grep', password: SECRET.password,
  }, pages);
  assert.equal(r.status, 303);
  const eid = await addEndpoint(admin, id, { purpose: 'Grep', url: `${env('JSON_SERVER_URL')}/profile` });
  await runTest(admin, id, eid, pages);
  r = await saveAuth(admin, id, { auth_type: 'bearer', verify_ssl: '1', token: SECRET.token }, pages);
  assert.equal(r.status, 303);
  await runTest(admin, id, eid, pages);
  for (const p of [`/data-connectors/${id}`, `/data-connectors/${id}/authorization`, `/data-connectors/${id}/endpoints`,
    `/data-connectors/${id}/endpoints/${eid}`, `/data-connectors/${id}/authorization/request-token`, '/data-connectors']) {
    pages.push((await admin.get(p)).text);
  }
  assert.ok(pages.length > 15);
  for (const html of pages) {
    for (const [k, v] of Object.entries(SECRET)) assert.ok(!html.includes(v), `the ${k} is not in a page`);
  }
  const dump = execFileSync('mariadb-dump', ['--no-defaults', '--protocol=socket', `--socket=${env('DCGATE_DB_SOCKET')}`,
    `--user=${env('DCGATE_DB_USER')}`, '--skip-extended-insert', env('DCGATE_DB_NAME')],
  { env: { ...process.env, MYSQL_PWD: process.env.DCGATE_DB_PASSWORD || '' }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.match(dump, /INSERT INTO `connectors`/, 'the dump has the connectors');
  for (const [k, v] of Object.entries(SECRET)) assert.ok(!dump.includes(v), `the ${k} is not in the dump`);
  for (const v of ['echo-pass', 'cc-secret', 'dave-pw', 'pw-client-secret']) {
    assert.ok(!dump.includes(v), `${v} is not in the dump`);
  }
  const log = fs.readFileSync(env('DCGATE_APP_LOG'), 'utf8');
  for (const [k, v] of Object.entries(SECRET)) assert.ok(!log.includes(v), `the ${k} is not in the app log`);
});

test('a save needs the CSRF token; an unknown connector is 404', async () => {
  const id = secretsId;
  let r = await admin.post(`/data-connectors/${id}/authorization`, { auth_type: 'none', version: '1' });
  assert.equal(r.status, 403, 'no CSRF token');
  r = await admin.get('/data-connectors/999999/authorization');
  assert.equal(r.status, 404);
});
