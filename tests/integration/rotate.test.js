'use strict';
// dcgate-admin rotate-key (issue 5): a new key, every stored secret (connector password,
// token and client secret, and the OAuth token cache) re-sealed under it in one
// transaction, the old key kept readable as KEY.prev; dcgate picks the new key up on
// SIGHUP, and then every stored credential still works against its real upstream.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { adminClient, csrfFrom, env, sql, unique, waitFor, decode, inputValue } = require('./lib.js');

const alnum = (s) => s.replace(/[^A-Za-z0-9 ]/g, '');

function byId(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:pre|p|dd|div|textarea|code)>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, '')) : null;
}

let admin;
let categoryId;

async function connector(auth) {
  const r = await admin.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Rotate')), description: 'rotation', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303);
  const id = /\/data-connectors\/(\d+)$/.exec(r.location)[1];
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  const s = await admin.post(`/data-connectors/${id}/authorization`,
    { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', verify_ssl: '1', ...auth });
  assert.equal(s.status, 303, 'authorization saved');
  return id;
}

async function endpoint(id, url) {
  const page = await admin.get(`/data-connectors/${id}/endpoints/new`);
  const r = await admin.post(`/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', url });
  assert.equal(r.status, 303);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

async function run(id, eid) {
  const page = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await admin.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200);
  const body = byId(r.text, 'response-body');
  assert.ok(body, `a response body (error: ${byId(r.text, 'test-error')})`);
  return JSON.parse(body);
}

const oauthLog = () => fs.readFileSync(env('OAUTH_LOG'), 'utf8').split('\n').filter(Boolean);
const keyIds = (ids) => sql(`SELECT auth_password, auth_token, client_secret FROM connectors
  WHERE id IN (${ids.join(',')})`).flatMap((r) => Object.values(r)).filter(Boolean)
  .map((v) => /^v1:([0-9a-f]{16}):/.exec(v)[1]);

test('rotate-key re-seals every secret and every credential still works', async () => {
  admin = await adminClient();
  const cat = alnum(unique('Rotate Cat'));
  const c = await admin.submit('/data-connector-categories/new', '/data-connector-categories', { name: cat, status: 'active' });
  assert.equal(c.status, 303);
  categoryId = sql(`SELECT id FROM categories WHERE name = '${cat}'`)[0].id;

  // No endpoint yet: the origin the secrets may go to comes with them.
  const basic = await connector({ auth_type: 'basic', username: 'rot-user', password: 'rot-pass-1',
    allowed_origins: env('ECHO_URL'), secrets_given: '1', 'secret[0][name]': 'ROT', 'secret[0][value]': 'rot-pass-1' });
  const bearer = await connector({ auth_type: 'bearer', token: 'rot-token-2', allowed_origins: env('ECHO_URL') });
  const cc = await connector({ auth_type: 'oauth2_client_credentials', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'rot-client', client_secret: 'rot-secret-3', scope: 'read' });
  // The echo server answers 401 unless the credentials are these (what comes back is masked).
  const eBasic = await endpoint(basic, `${env('ECHO_URL')}/auth/basic?user=rot-user&pass={{secrets.ROT}}`);
  const eBearer = await endpoint(bearer, `${env('ECHO_URL')}/auth/bearer?token=rot-token-2`);
  const eCc = await endpoint(cc, `${env('OAUTH_URL')}/resource`);
  await fetch(`${env('OAUTH_URL')}/__control/reset`, { method: 'POST' });
  assert.equal((await run(cc, eCc)).ok, true, 'client credentials work before');
  assert.equal(oauthLog().length, 1);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM token_cache WHERE connector_id = ${cc}`)[0].n, '1');

  const before = keyIds([basic, bearer, cc]);
  assert.equal(before.length, 3);
  assert.equal(new Set(before).size, 1, 'one key seals them all');

  const out = execFileSync(env('DCGATE_ADMIN_BIN'), ['rotate-key'],
    { env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF') }, encoding: 'utf8' });
  assert.match(out, /re-sealed \d+ values under key [0-9a-f]{16}/);
  const after = keyIds([basic, bearer, cc]);
  assert.equal(after.length, 3);
  assert.ok(after.every((k) => k !== before[0]), 'every secret is under the new key');
  const cache = sql(`SELECT access_token FROM token_cache WHERE connector_id = ${cc}`)[0].access_token;
  assert.equal(/^v1:([0-9a-f]{16}):/.exec(cache)[1], after[0], 'the token cache is re-sealed too');
  const audit = sql("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'key.rotate'")[0].n;
  assert.ok(Number(audit) >= 1, 'the rotation is audited');

  // The running process learns the new key on SIGHUP (systemctl reload).
  const log = env('DCGATE_APP_LOG');
  // "keys reloaded" comes after the new key is in use (the first line comes before).
  const reloads = () => (fs.readFileSync(log, 'utf8').match(/SIGHUP: keys reloaded/g) || []).length;
  const n = reloads();
  process.kill(Number(env('DCGATE_PID')), 'SIGHUP');
  await waitFor(() => reloads() > n, { timeout: 5000, what: 'SIGHUP reload' });

  const vars = sql(`SELECT value FROM connector_secrets WHERE connector_id = ${basic}`);
  assert.equal(/^v1:([0-9a-f]{16}):/.exec(vars[0].value)[1], after[0], 'the sealed variable is re-sealed too');
  const echoBasic = await run(basic, eBasic);
  assert.equal(echoBasic.path, '/auth/basic', 'the password and the sealed variable open under the new key');
  const echoBearer = await run(bearer, eBearer);
  assert.equal(echoBearer.path, '/auth/bearer', 'the token opens under the new key');
  assert.equal(echoBearer.headers.authorization, 'Bearer ****');
  assert.equal((await run(cc, eCc)).ok, true, 'the cached token opens under the new key');
  assert.equal(oauthLog().length, 1, 'no new token request: the re-sealed cache was used');
  sql(`DELETE FROM token_cache WHERE connector_id = ${cc}`);
  assert.equal((await run(cc, eCc)).ok, true, 'the client secret opens under the new key');
  const fresh = oauthLog().map((l) => JSON.parse(l));
  assert.equal(fresh.length, 2);
  assert.equal(fresh[1].body.client_secret, 'rot-secret-3');
});
