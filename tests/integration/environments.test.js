'use strict';
// Issue 19 item 1, environments per connector, on the real stack: one endpoint executed
// against two json-server instances (started here, each with a middleware recording the
// Authorization and the sealed header it saw) as Development and Production with different
// credentials of their own. Each upstream sees only its own credentials; the default is
// used when no environment is named; the execution log records the environment; relative
// URLs and {{env.NAME}} work; sealed values never appear in pages, API answers, the export
// or the log; bad input gets 422 with the field named and nothing saved; a view-only user
// cannot change environments; an export carries them without secrets and the imported
// connector's page asks for them.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const ops = require('../ops/lib.js');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, env, sql, unique, waitFor, fieldError, inputValue, csrfFrom } = require('./lib.js');
const { adminToken, userToken } = require('./apitokens.js');

const SECRETS = {
  conn: 'conn-token-NEVER-SENT-5b1c',
  devToken: 'dev-token-111-a8f3e2',
  prodToken: 'prod-token-222-c47d9b',
  devSig: 'dev-sealed-SIG-7c1e44',
  prodSig: 'prod-sealed-SIG-93aa10',
};

let token;
let dev;
let prod;

/** A json-server 0.17 instance on 127.0.0.1 (tests/fixtures/json-server-recording.js:
 * orders 1-10, each saying who serves it; /api/* rewritten to /*) recording what each
 * request carried: seen is [{url, auth, sig}]. */
async function startUpstream(who) {
  const dir = path.join(ops.opsDir(), `env-json-server-${who}`);
  fs.mkdirSync(dir, { recursive: true });
  const seenFile = path.join(dir, 'seen.jsonl');
  const dbFile = path.join(dir, 'db.json');
  fs.writeFileSync(dbFile, JSON.stringify({ orders: Array.from({ length: 10 }, (_, i) => ({ id: i + 1, who })) }));
  const port = ops.freePort();
  const proc = new ops.Proc(`env-json-server-${who}`, process.execPath,
    [path.join(ops.ROOT, 'tests/fixtures/json-server-recording.js'), String(port), dbFile, seenFile], { cwd: dir });
  const origin = `http://127.0.0.1:${port}`;
  await ops.until(async () => (await fetch(`${origin}/orders/1`)).ok, { timeout: 30000, what: `json-server ${who}`, proc });
  const up = {
    proc, origin,
    get seen() {
      return fs.readFileSync(seenFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
    reset() { fs.writeFileSync(seenFile, ''); },
  };
  up.reset(); // the readiness probe
  return up;
}

function api(method, path, body, tok = token) {
  return new Client().api(method, path, body, tok);
}

function execute(cid, purpose, body = {}, tok = token) {
  return api('POST', `/api/1.0/data-connectors/${cid}/endpoints/${encodeURIComponent(purpose)}/execute`, body, tok);
}

/** Every secret of the test absent from text. */
function assertNoSecret(text, where) {
  for (const [k, v] of Object.entries(SECRETS)) {
    assert.ok(!String(text).includes(v), `${where} shows the ${k} secret`);
  }
}

async function makeConnector(extra = {}) {
  const cat = await api('POST', '/api/1.0/data-connector-categories', { name: unique('Env Cat').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(cat.status, 201, cat.text);
  const r = await api('POST', '/api/1.0/data-connectors', {
    name: unique('Env Conn').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id], ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

function envCount(cid) {
  return Number(sql(`SELECT COUNT(*) AS n FROM connector_environments WHERE connector_id = ${Number(cid)}`)[0].n);
}

async function logRows(cid, n) {
  for (let i = 0; ; i++) {
    const rows = sql(`SELECT id, kind, environment, url, status, error, detail FROM execution_logs WHERE connector_id = ${Number(cid)} ORDER BY id`);
    if (rows.length >= n || i >= 150) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
}

let conn; // the connector with Development (API) and Production (form, default)
let admin;
let endpoint;

test.before(async () => {
  token = await adminToken();
  admin = await adminClient();
  dev = await startUpstream('dev');
  prod = await startUpstream('prod');
  // The connector's own Bearer token may go only to an origin neither upstream has.
  conn = await makeConnector({ auth_type: 'bearer', token: SECRETS.conn, allowed_origins: ['http://127.0.0.1:9'] });
});

test.after(async () => {
  if (dev) await dev.proc.stop();
  if (prod) await prod.proc.stop();
});

test('environments are created through the API and the form, sealed values answered as {set}', async () => {
  const r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, {
    name: 'Development',
    base_url: `${dev.origin}/api/`,
    auth_override: true,
    token: SECRETS.devToken,
    variables: [{ name: 'tenant', value: 'dev-tenant' }, { name: 'sig', value: SECRETS.devSig, sealed: true }],
  });
  assert.equal(r.status, 201, r.text);
  const e = r.json();
  assert.equal(e.name, 'Development');
  assert.equal(e.is_default, false);
  assert.equal(e.allowed_origins, dev.origin, 'its own origins default to the base URL origin');
  assert.deepEqual(e.token, { set: true });
  assert.deepEqual(e.password, { set: false });
  assert.deepEqual(e.variables, [
    { name: 'tenant', sealed: false, value: 'dev-tenant' },
    { name: 'sig', sealed: true, value: { set: true } },
  ]);
  assertNoSecret(r.text, 'the create answer');

  // Production through the page: the form, CSRF, the default box.
  const page = await admin.get(`/data-connectors/${conn.id}/environments/new`);
  assert.equal(page.status, 200);
  assert.match(page.text, /aria-current="page"[^>]*>Environments</);
  const saved = await admin.post(`/data-connectors/${conn.id}/environments`, {
    _csrf: csrfFrom(page.text),
    name: 'Production', is_default: '1', base_url: prod.origin, auth_override: '1', token: SECRETS.prodToken,
    'var[0][name]': 'tenant', 'var[0][value]': 'prod-tenant',
    'var[1][name]': 'sig', 'var[1][value]': SECRETS.prodSig, 'var[1][sealed]': '1',
  });
  assert.equal(saved.status, 303, saved.text.slice(0, 500));
  const list = await admin.get(saved.location);
  assert.match(list.text, /The environment Production was added\./);
  assert.match(list.text, /Production<\/a> <span class="badge">default<\/span>/);
  assert.match(list.text, /Development<\/a>/);
  assertNoSecret(list.text, 'the list page');

  // The edit page shows sealed values as set, never their text.
  const [{ id: pid }] = sql(`SELECT id FROM connector_environments WHERE connector_id = ${conn.id} AND name = 'Production'`);
  const edit = await admin.get(`/data-connectors/${conn.id}/environments/${pid}`);
  assert.equal(edit.status, 200);
  assert.equal(inputValue(edit.text, 'name'), 'Production');
  assert.match(edit.text, /id="token-state">set — leave blank to keep/);
  assert.match(edit.text, /id="var-1-state">set — leave blank to keep/);
  assertNoSecret(edit.text, 'the edit page');
  // Stored sealed, not as text.
  const dbText = JSON.stringify(sql(`SELECT * FROM connector_environments WHERE connector_id = ${conn.id}`)) +
    JSON.stringify(sql(`SELECT v.* FROM environment_variables v JOIN connector_environments e ON e.id = v.environment_id WHERE e.connector_id = ${conn.id}`));
  assertNoSecret(dbText, 'the database rows');
  // One save, one version and one audit row each.
  const versions = sql(`SELECT kind FROM connector_versions WHERE connector_id = ${conn.id} AND kind = 'environments'`);
  assert.equal(versions.length, 2);
  const audits = sql(`SELECT action FROM audit_log WHERE object_id = ${conn.id} AND action = 'environment.create'`);
  assert.equal(audits.length, 2);

  // The endpoint: a relative URL with a path variable and {{env.NAME}} in query and header.
  const ep = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints`, {
    purpose: 'Orders', method: 'GET', timeout: 10,
    url: '/orders/{{id}}?tenant={{env.tenant}}',
    headers: [{ key: 'X-Sig', value: '{{env.sig}}' }],
    sample_data: '{"id": 5}',
  });
  assert.equal(ep.status, 201, ep.text);
  endpoint = ep.json();
});

test('execute: each upstream sees only its own credentials; the default is used when none is named', async () => {
  dev.reset();
  prod.reset();
  let r = await execute(conn.id, 'Orders', { data: { id: 1 }, environment: 'Development' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().body, { id: 1, who: 'dev' });
  assert.equal(dev.seen.at(-1).url, '/api/orders/1?tenant=dev-tenant', 'relative URL joined to the base URL, {{env.tenant}} filled');
  r = await execute(conn.id, 'Orders', { data: { id: 2 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().body, { id: 2, who: 'prod' }, 'no environment named: the default (Production)');
  assert.equal(prod.seen.at(-1).url, '/orders/2?tenant=prod-tenant');
  r = await execute(conn.id, 'Orders', { data: { id: 3 }, environment: 'development' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().body.who, 'dev', 'names are matched ignoring case');

  assert.deepEqual(dev.seen.map((s) => [s.auth, s.sig]), [[`Bearer ${SECRETS.devToken}`, SECRETS.devSig], [`Bearer ${SECRETS.devToken}`, SECRETS.devSig]]);
  assert.deepEqual(prod.seen.map((s) => [s.auth, s.sig]), [[`Bearer ${SECRETS.prodToken}`, SECRETS.prodSig]]);
  for (const s of [...dev.seen, ...prod.seen]) {
    assert.ok(!s.auth.includes(SECRETS.conn), 'the connector token went to an environment');
  }

  // An unknown environment: 422 naming the field, nothing sent.
  r = await execute(conn.id, 'Orders', { environment: 'Nowhere' });
  assert.equal(r.status, 422, r.text);
  assert.ok(r.json().errors.environment[0].includes('Nowhere'));
  r = await execute(conn.id, 'Orders', { environment: 7 });
  assert.equal(r.status, 422);
  assert.ok(r.json().errors.environment);
  assert.equal(dev.seen.length + prod.seen.length, 3);

  // The log records the environment, masks nothing it should show and holds no secret.
  const rows = await logRows(conn.id, 3);
  assert.deepEqual(rows.map((x) => x.environment), ['Development', 'Production', 'Development']);
  assertNoSecret(JSON.stringify(rows), 'the execution log');
  const logs = await admin.get(`/data-connectors/${conn.id}/logs`);
  assert.match(logs.text, /<span class="badge env">Development<\/span>/);
  assert.match(logs.text, /<span class="badge env">Production<\/span>/);
  assertNoSecret(logs.text, 'the logs page');
  const one = await api('GET', `/api/1.0/data-connector-logs/${rows[1].id}`);
  assert.equal(one.status, 200);
  assert.equal(one.json().environment, 'Production');
});

test('credentials of an environment go only to its own origins', async () => {
  // An absolute URL at the Production upstream, run in Development: refused, nothing sent.
  const ep = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints`, {
    purpose: 'Elsewhere', method: 'GET', timeout: 10, url: `${prod.origin}/x`,
  });
  assert.equal(ep.status, 201, ep.text);
  const before = prod.seen.length;
  const r = await execute(conn.id, 'Elsewhere', { environment: 'Development' });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json().code, 'EORIGIN');
  assert.match(r.json().message, /environment Development may only be sent to/);
  assert.equal(prod.seen.length, before, 'nothing was sent');
  // Without an environment of its own credentials the connector's stay bound to its origins.
  const plain = await makeConnector({ auth_type: 'bearer', token: SECRETS.conn, allowed_origins: ['http://127.0.0.1:9'] });
  let e = await api('POST', `/api/1.0/data-connectors/${plain.id}/environments`, { name: 'Dev', base_url: dev.origin, is_default: true });
  assert.equal(e.status, 201, e.text);
  e = await api('POST', `/api/1.0/data-connectors/${plain.id}/endpoints`, { purpose: 'P', method: 'GET', timeout: 10, url: '/p' });
  assert.equal(e.status, 201, e.text);
  const n = dev.seen.length;
  const x = await execute(plain.id, 'P');
  assert.equal(x.status, 403, x.text);
  assert.equal(dev.seen.length, n);
});

test('the Test screen: an environment selector, the log page records and shows it', async () => {
  const page = await admin.get(`/data-connectors/${conn.id}/endpoints/${endpoint.id}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /<select id="environment" name="environment"><option value="Development">Development<\/option><option value="Production" selected>Production \(default\)<\/option><\/select>/);
  dev.reset();
  const r = await admin.post(`/data-connectors/${conn.id}/endpoints/${endpoint.id}/test`, { _csrf: csrfFrom(page.text), environment: 'Development' });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.match(r.text, /<dd id="log-environment">Development<\/dd>/);
  assert.match(r.text, /\/api\/orders\/5\?tenant=dev-tenant/, 'sample data over the Development base URL');
  assert.match(r.text, /<option value="Development" selected>Development<\/option>/, 'Test again keeps the environment');
  assertNoSecret(r.text, 'the Test screen');
  assert.equal(dev.seen.length, 1);
  assert.equal(dev.seen[0].auth, `Bearer ${SECRETS.devToken}`);
  // Run again repeats it in the same environment.
  const id = /\/data-connector-logs\/(\d+)/.exec(r.logUrl)[1];
  const again = await api('POST', `/api/1.0/data-connector-logs/${id}/run-again`);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json().environment, 'Development');
  assert.equal(dev.seen.length, 2);
  // Test this form (the unsaved draft) in the environment chosen beside it.
  assert.match(page.text, /<select id="test_environment" name="environment">/, 'the draft Test has a selector too');
  const draft = await admin.post(`/data-connectors/${conn.id}/endpoints/test`, {
    _csrf: csrfFrom(page.text), purpose: 'Draft Orders', method: 'GET', timeout: '10',
    url: '/orders/{{id}}?tenant={{env.tenant}}', body_type: 'raw', test_data: '{"id": 4}', environment: 'Development',
  });
  assert.equal(draft.status, 200, draft.text.slice(0, 300));
  assert.match(draft.text, /unsaved draft/);
  assert.match(draft.text, /\/api\/orders\/4\?tenant=dev-tenant/, 'the draft ran over the Development base URL');
  assertNoSecret(draft.text, 'the draft Test screen');
  assert.equal(dev.seen.length, 3);
  assert.equal(dev.seen.at(-1).auth, `Bearer ${SECRETS.devToken}`);
  // An unknown environment in the form: 422, nothing sent.
  const bad = await admin.post(`/data-connectors/${conn.id}/endpoints/${endpoint.id}/test`, { _csrf: admin.csrf, environment: 'Nowhere' }, { followTest: false });
  assert.equal(bad.status, 422);
  assert.equal(dev.seen.length + 0, 3);
});

test('the Endpoints list: one environment selector above the list, used by every row Test button (no JavaScript)', async () => {
  const list = await admin.get(`/data-connectors/${conn.id}/endpoints`);
  assert.equal(list.status, 200);
  // One form above the list holds the CSRF token and the selector; each row's Test button
  // submits that form to its own endpoint's Test (form= and formaction=).
  const form = /<form method="post" id="endpoints-test-form"[^>]*>([\s\S]*?)<\/form>/.exec(list.text);
  assert.ok(form, 'the form above the list');
  assert.match(form[1], /name="_csrf"/);
  assert.match(form[1], /<select id="list-environment" name="environment"[^>]*><option value="Development">Development<\/option><option value="Production" selected>Production \(default\)<\/option><\/select>/);
  assert.equal((list.text.match(/<select[^>]*name="environment"/g) || []).length, 1, 'one selector for the whole list');
  const testUrl = `/data-connectors/${conn.id}/endpoints/${endpoint.id}/test`;
  assert.match(list.text, new RegExp(`<button type="submit" form="endpoints-test-form" formaction="${testUrl}"[^>]*>Test</button>`));
  const rowButtons = list.text.match(/<button type="submit" form="endpoints-test-form" formaction="[^"]+\/test"/g) || [];
  assert.ok(rowButtons.length >= 2, `every row's Test uses the one form (${rowButtons.length})`);
  // What a browser posts when Development is picked and a row's Test is pressed.
  dev.reset();
  prod.reset();
  let r = await admin.post(testUrl, { _csrf: csrfFrom(form[1]), environment: 'Development' });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.match(r.text, /<dd id="log-environment">Development<\/dd>/);
  assert.match(r.text, /\/api\/orders\/5\?tenant=dev-tenant/, 'over the Development base URL');
  assert.deepEqual(dev.seen.map((x) => [x.url, x.auth]), [['/api/orders/5?tenant=dev-tenant', `Bearer ${SECRETS.devToken}`]]);
  assert.equal(prod.seen.length, 0, 'nothing went to Production');
  // The selector as it stands (Production, the default): Production's base URL.
  r = await admin.post(testUrl, { _csrf: csrfFrom(form[1]), environment: 'Production' });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.match(r.text, /<dd id="log-environment">Production<\/dd>/);
  assert.deepEqual(prod.seen.map((x) => x.url), ['/orders/5?tenant=prod-tenant']);
  assert.equal(dev.seen.length, 1);
  // ?environment= preselects one (a link back to the list keeps the choice).
  const again = await admin.get(`/data-connectors/${conn.id}/endpoints?environment=Development`);
  assert.match(again.text, /<option value="Development" selected>Development<\/option><option value="Production">Production \(default\)<\/option>/);
  // A view-only user sees neither the selector nor the Test buttons.
  const username = unique('listview').replace(/\s+/g, '_');
  const upage = await admin.get('/admin/users/new');
  const made = await admin.post('/admin/users', {
    _csrf: csrfFrom(upage.text), username, password: 'view-only-pass-123', display_name: 'List Viewer',
    email: '', is_active: '1', permissions: ['view-data-connectors'],
  });
  assert.equal(made.status, 303, made.text.slice(0, 400));
  const v = new Client();
  assert.equal((await v.login(username, 'view-only-pass-123')).status, 303);
  const seen = await v.get(`/data-connectors/${conn.id}/endpoints`);
  assert.equal(seen.status, 200);
  assert.doesNotMatch(seen.text, /endpoints-test-form/);
  assertNoSecret(list.text, 'the Endpoints list');
});

test('bad input: 422 with the field named, the input kept, nothing saved', async () => {
  const before = envCount(conn.id);
  let r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, {
    name: '', base_url: 'ftp://example.com', variables: [{ name: '1bad', value: 'x' }],
  });
  assert.equal(r.status, 422, r.text);
  const errs = r.json().errors;
  assert.ok(errs.name && errs.base_url && errs['variables.0.name'], JSON.stringify(errs));
  r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'production' });
  assert.equal(r.status, 422, 'a name is unique within the connector, case ignored');
  assert.match(r.json().errors.name[0], /already/);
  r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'Staging', auth_override: true });
  assert.equal(r.status, 422);
  assert.ok(r.json().errors.token, 'a Bearer connector override needs its token');
  r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'Staging', variables: [{ name: 's', sealed: true }] });
  assert.equal(r.status, 422);
  assert.ok(r.json().errors['variables.0.value']);
  assert.equal(envCount(conn.id), before, 'nothing saved');

  // The form: messages beside the fields, what was typed kept (never a secret).
  const page = await admin.get(`/data-connectors/${conn.id}/environments/new`);
  const f = await admin.post(`/data-connectors/${conn.id}/environments`, {
    _csrf: csrfFrom(page.text), name: 'Bad/Name', base_url: 'not a url', auth_override: '1', token: SECRETS.devToken,
    'var[0][name]': 'ok_name', 'var[0][value]': 'kept-value', 'var[1][name]': 'bad-name', 'var[1][value]': 'v',
  });
  assert.equal(f.status, 422);
  assert.ok(fieldError(f.text, 'name'));
  assert.ok(fieldError(f.text, 'base_url'));
  assert.match(fieldError(f.text, 'var-1'), /letters, digits and underscores/);
  assert.equal(inputValue(f.text, 'name'), 'Bad/Name');
  assert.equal(inputValue(f.text, 'var-0-value'), 'kept-value');
  assertNoSecret(f.text, 'the re-rendered form');
  assert.equal(envCount(conn.id), before);

  // Origins change only together with the secrets.
  const [{ id: did }] = sql(`SELECT id FROM connector_environments WHERE connector_id = ${conn.id} AND name = 'Development'`);
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/environments/${did}`, { base_url: prod.origin, allowed_origins: prod.origin });
  assert.equal(r.status, 422, r.text);
  assert.match(r.json().errors.allowed_origins[0], /only together with entering every secret/);
  assert.equal(sql(`SELECT base_url FROM connector_environments WHERE id = ${did}`)[0].base_url, `${dev.origin}/api/`);

  // Two editors: the second save, started from the same version, is refused (409) and
  // keeps what they typed; nothing of it is saved. The API the same with "version".
  const v0 = Number(sql(`SELECT version FROM connector_environments WHERE id = ${did}`)[0].version);
  const first = await admin.get(`/data-connectors/${conn.id}/environments/${did}`);
  const second = await admin.get(`/data-connectors/${conn.id}/environments/${did}`);
  assert.equal(inputValue(first.text, 'version') || /name="version" value="(\d+)"/.exec(first.text)[1], String(v0));
  const formOf = (html) => ({
    _csrf: csrfFrom(html), version: /name="version" value="(\d+)"/.exec(html)[1], name: 'Development',
    base_url: `${dev.origin}/api/`, auth_override: '1', 'var[0][name]': 'tenant', 'var[0][value]': 'dev-tenant',
    'var[1][name]': 'sig', 'var[1][sealed]': '1', 'var[1][value]': '',
  });
  let saved = await admin.post(`/data-connectors/${conn.id}/environments/${did}`, formOf(first.text));
  assert.equal(saved.status, 303, saved.text.slice(0, 400));
  assert.equal(Number(sql(`SELECT version FROM connector_environments WHERE id = ${did}`)[0].version), v0 + 1);
  const late = { ...formOf(second.text), 'var[0][value]': 'late-tenant' };
  saved = await admin.post(`/data-connectors/${conn.id}/environments/${did}`, late);
  assert.equal(saved.status, 409);
  assert.match(saved.text, /This environment was changed by someone else/);
  assert.equal(inputValue(saved.text, 'var-0-value'), 'late-tenant', 'what was typed is kept');
  assert.equal(sql(`SELECT value FROM environment_variables WHERE environment_id = ${did} AND name = 'tenant'`)[0].value, 'dev-tenant');
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/environments/${did}`, { version: v0, base_url: `${dev.origin}/api/` });
  assert.equal(r.status, 409, r.text);
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/environments/${did}`, { version: v0 + 1, base_url: `${dev.origin}/api/` });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().version, v0 + 2);

  // The connector without a default environment: a relative URL is refused in plain words.
  const bare = await makeConnector();
  r = await api('POST', `/api/1.0/data-connectors/${bare.id}/endpoints`, { purpose: 'Rel', method: 'GET', timeout: 10, url: '/rel' });
  assert.equal(r.status, 201, r.text);
  r = await execute(bare.id, 'Rel');
  assert.equal(r.status, 422, r.text);
  assert.match(r.json().message, /relative/);
});

test('a view-only user reads environments but cannot change them (403)', async () => {
  const viewer = userToken('env viewer', ['view-data-connectors']);
  const [{ id: did }] = sql(`SELECT id FROM connector_environments WHERE connector_id = ${conn.id} AND name = 'Development'`);
  let r = await api('GET', `/api/1.0/data-connectors/${conn.id}/environments`, null, viewer.token);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().data.map((e) => e.name), ['Development', 'Production']);
  assertNoSecret(r.text, 'the API list');
  const before = envCount(conn.id);
  r = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'Hack' }, viewer.token);
  assert.equal(r.status, 403);
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/environments/${did}`, { base_url: 'http://evil.example' }, viewer.token);
  assert.equal(r.status, 403);
  r = await api('DELETE', `/api/1.0/data-connectors/${conn.id}/environments/${did}`, null, viewer.token);
  assert.equal(r.status, 403);
  assert.equal(envCount(conn.id), before);

  // The pages: a view-only session sees the tab read-only and is refused any POST.
  const username = unique('envview').replace(/\s+/g, '_');
  const page = await admin.get('/admin/users/new');
  const made = await admin.post('/admin/users', {
    _csrf: csrfFrom(page.text), username, password: 'view-only-pass-123', display_name: 'Env Viewer',
    email: '', is_active: '1', permissions: ['view-data-connectors'],
  });
  assert.equal(made.status, 303, made.text.slice(0, 400));
  const v = new Client();
  assert.equal((await v.login(username, 'view-only-pass-123')).status, 303);
  const tab = await v.get(`/data-connectors/${conn.id}/environments/${did}`);
  assert.equal(tab.status, 200);
  assert.ok(!/id="save-environment"/.test(tab.text), 'no Save button');
  const post = await v.post(`/data-connectors/${conn.id}/environments/${did}`, { _csrf: csrfFrom(tab.text), name: 'Changed' });
  assert.equal(post.status, 403);
  assert.equal((await v.get(`/data-connectors/${conn.id}/environments/new`)).status, 403);
  assert.equal(sql(`SELECT name FROM connector_environments WHERE id = ${did}`)[0].name, 'Development');
});

test('export carries the environments without secrets; an import recreates them and asks for the secrets', async () => {
  const ex = await api('GET', `/api/1.0/data-connectors/${conn.id}/export`);
  assert.equal(ex.status, 200);
  assertNoSecret(ex.text, 'the export');
  const doc = ex.json();
  const envs = Object.fromEntries(doc.environments.map((e) => [e.name, e]));
  assert.deepEqual(Object.keys(envs).sort(), ['Development', 'Production']);
  assert.equal(envs.Production.is_default, true);
  assert.deepEqual(envs.Development.variables, [{ name: 'tenant', sealed: false, value: 'dev-tenant' }, { name: 'sig', sealed: true }]);

  const name = unique('Env Import').replace(/[^A-Za-z0-9 ]/g, '');
  const im = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name });
  assert.equal(im.status, 201, im.text);
  const nid = im.json().id;
  const list = await api('GET', `/api/1.0/data-connectors/${nid}/environments`);
  const got = Object.fromEntries(list.json().data.map((e) => [e.name, e]));
  assert.equal(got.Production.is_default, true);
  assert.equal(got.Development.base_url, `${dev.origin}/api/`);
  assert.equal(got.Development.secrets_missing, true);
  assert.deepEqual(got.Development.token, { set: false });
  const details = await admin.get(`/data-connectors/${nid}`);
  assert.match(details.text, /Set the secrets of environment Development<\/a>/);
  assert.match(details.text, /Set the secrets of environment Production<\/a>/);

  // A broken environment in an export: the whole import is refused, nothing created.
  const bad = JSON.parse(JSON.stringify(doc));
  bad.environments[1].name = '';
  const name2 = unique('Env Import').replace(/[^A-Za-z0-9 ]/g, '');
  const r = await api('POST', '/api/1.0/data-connectors/import', { export: bad, name: name2 });
  assert.equal(r.status, 422, r.text);
  assert.ok(Object.keys(r.json().errors).some((k) => k.startsWith('environments.1.')), r.text);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = '${name2}'`)[0].n, '0');
});

test('delete through the one confirm page', async () => {
  const e = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'Scratch', base_url: dev.origin });
  assert.equal(e.status, 201, e.text);
  const id = e.json().id;
  const confirm = await admin.get(`/data-connectors/${conn.id}/environments/${id}/delete`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /Are you sure you want to delete the environment Scratch\?/);
  const del = await admin.post(`/data-connectors/${conn.id}/environments/${id}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(del.status, 303);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM connector_environments WHERE id = ${id}`)[0].n, '0');
  // Another default takes over: only one default at a time.
  const s = await api('POST', `/api/1.0/data-connectors/${conn.id}/environments`, { name: 'Staging', base_url: dev.origin, is_default: true });
  assert.equal(s.status, 201, s.text);
  const defaults = sql(`SELECT name FROM connector_environments WHERE connector_id = ${conn.id} AND is_default = 1`);
  assert.deepEqual(defaults.map((d) => d.name), ['Staging']);
});

test('OAuth client credentials of an environment: its own token request, never the connector cache', async () => {
  const oauth = env('OAUTH_URL');
  const t = unique('c').split(' ')[1];
  const c = await makeConnector({
    auth_type: 'oauth2_client_credentials', token_url: `${oauth}/token`, client_id: `conn-client-${t}`,
    client_secret: 'conn-cs-secret', scope: 'read', allowed_origins: ['http://127.0.0.1:9'],
  });
  let r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, {
    name: 'Dev', base_url: oauth, is_default: true, auth_override: true,
    client_id: `dev-client-${t}`, client_secret: 'dev-cs-secret',
  });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json().client_secret, { set: true });
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/endpoints`, { purpose: 'Res', method: 'GET', timeout: 10, url: '/resource' });
  assert.equal(r.status, 201, r.text);
  r = await execute(c.id, 'Res');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().body.ok, true);
  const log = await (await fetch(`${oauth}/__control/log`)).json();
  const mine = log.filter((l) => JSON.stringify(l).includes(t));
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0].body.client_id, `dev-client-${t}`);
  assert.equal(mine[0].body.client_secret, 'dev-cs-secret');
  assert.equal(sql(`SELECT COUNT(*) AS n FROM token_cache WHERE connector_id = ${c.id}`)[0].n, '0',
    'an environment token is not put in the connector cache');
  assertNoSecret(r.text, 'the execute answer');
  assert.ok(!r.text.includes('dev-cs-secret'));

  // The connector's URL Token moves elsewhere (its own secrets entered again): the
  // environment's Client Secret does not follow it.
  const cur = (await api('GET', `/api/1.0/data-connectors/${c.id}`)).json();
  r = await api('PUT', `/api/1.0/data-connectors/${c.id}`, {
    name: cur.name, description: cur.description, category_ids: cur.category_ids, version: cur.version,
    auth_type: 'oauth2_client_credentials', token_url: `${dev.origin}/token`, client_id: `conn-client-${t}`,
    client_secret: 'conn-cs-secret-2', scope: 'read', allowed_origins: ['http://127.0.0.1:9'],
  });
  assert.equal(r.status, 200, r.text);
  dev.reset();
  r = await execute(c.id, 'Res');
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json().code, 'EORIGIN');
  assert.equal(dev.seen.length, 0, 'no token request went to the new URL Token');
});

test('rotate-key re-seals the environments too, and they still work', async () => {
  const keyOf = (v) => /^v1:([0-9a-f]{16}):/.exec(v)[1];
  const [before] = sql(`SELECT e.auth_token, v.value FROM connector_environments e JOIN environment_variables v
    ON v.environment_id = e.id AND v.name = 'sig' WHERE e.connector_id = ${conn.id} AND e.name = 'Development'`);
  const out = execFileSync(env('DCGATE_ADMIN_BIN'), ['rotate-key'],
    { env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF') }, encoding: 'utf8' });
  assert.match(out, /re-sealed \d+ values/);
  const [after] = sql(`SELECT e.auth_token, v.value FROM connector_environments e JOIN environment_variables v
    ON v.environment_id = e.id AND v.name = 'sig' WHERE e.connector_id = ${conn.id} AND e.name = 'Development'`);
  assert.notEqual(keyOf(after.auth_token), keyOf(before.auth_token), 'the token is under the new key');
  assert.equal(keyOf(after.value), keyOf(after.auth_token), 'the sealed variable too');
  const logFile = env('DCGATE_APP_LOG');
  const reloads = () => (fs.readFileSync(logFile, 'utf8').match(/SIGHUP: keys reloaded/g) || []).length;
  const n = reloads();
  process.kill(Number(env('DCGATE_PID')), 'SIGHUP');
  await waitFor(() => reloads() > n, { timeout: 5000, what: 'SIGHUP reload' });
  dev.reset();
  const r = await execute(conn.id, 'Orders', { data: { id: 9 }, environment: 'Development' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(dev.seen.map((s) => [s.auth, s.sig]), [[`Bearer ${SECRETS.devToken}`, SECRETS.devSig]]);
  // Runs read their environment through a per-process cache: a change made anywhere (here
  // straight in the database, as a rotation or another process does) is seen by the next run.
  const where = `connector_id = ${conn.id} AND name = 'Development'`;
  sql(`UPDATE connector_environments SET base_url = '${dev.origin}/' WHERE ${where}`);
  const moved = await execute(conn.id, 'Orders', { data: { id: 9 }, environment: 'Development' });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(dev.seen.at(-1).url, '/orders/9?tenant=dev-tenant', 'the cached environment was not used stale');
  sql(`UPDATE connector_environments SET base_url = '${dev.origin}/api/' WHERE ${where}`);
});

test('History: environment saves are versions with their changes; no fingerprint in the API', async () => {
  const h = await admin.get(`/data-connectors/${conn.id}/history`);
  assert.equal(h.status, 200);
  assert.match(h.text, /Environments changed/);
  assert.match(h.text, /Environment Production: Base URL/);
  assert.match(h.text, /Environment Production: Default; Environment Staging: Name/, 'a new default moves the flag');
  assertNoSecret(h.text, 'the History tab');
  const list = await api('GET', `/api/1.0/data-connectors/${conn.id}/versions`);
  assert.equal(list.status, 200, list.text);
  const rows = list.json().data || list.json();
  const n = Math.max(...rows.map((v) => v.n));
  const one = await api('GET', `/api/1.0/data-connectors/${conn.id}/versions/${n}`);
  assert.equal(one.status, 200, one.text);
  const envs = Object.fromEntries(one.json().snapshot.environments.map((e) => [e.name, e]));
  assert.equal(envs.Development.secrets_set, true);
  assert.deepEqual(envs.Development.variables.map((v) => [v.name, v.value, v.set]), [['tenant', 'dev-tenant', undefined], ['sig', null, true]]);
  assert.ok(!one.text.includes('fingerprint'), 'no fingerprint in the API');
  assertNoSecret(one.text, 'the version API');
});

test('a version restore brings the environments\' plain settings back; secrets stay as they are, none in the snapshot', async () => {
  const c = await makeConnector({ auth_type: 'bearer', token: SECRETS.conn, allowed_origins: ['http://127.0.0.1:9'] });
  let r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, {
    name: 'Development', base_url: `${dev.origin}/api/`, is_default: true, auth_override: true, token: SECRETS.devToken,
    variables: [{ name: 'tenant', value: 'dev-tenant' }, { name: 'sig', value: SECRETS.devSig, sealed: true }],
  });
  assert.equal(r.status, 201, r.text);
  const did = r.json().id;
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, {
    name: 'Staging', base_url: prod.origin, auth_override: true, token: SECRETS.prodToken,
    variables: [{ name: 'tenant', value: 'stage-tenant' }, { name: 'sig', value: SECRETS.prodSig, sealed: true }],
  });
  assert.equal(r.status, 201, r.text);
  const sid = r.json().id;
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/endpoints`, {
    purpose: 'Orders', method: 'GET', timeout: 10, url: '/orders/{{id}}?tenant={{env.tenant}}',
    headers: [{ key: 'X-Sig', value: '{{env.sig}}' }], sample_data: '{"id": 5}',
  });
  assert.equal(r.status, 201, r.text);
  const versions = async () => {
    const l = await api('GET', `/api/1.0/data-connectors/${c.id}/versions`);
    assert.equal(l.status, 200, l.text);
    return Math.max(...(l.json().data || l.json()).map((v) => v.n));
  };
  const good = await versions();
  // The snapshot holds no sealed text, in the database row or the API.
  const row = sql(`SELECT snapshot FROM connector_versions WHERE connector_id = ${c.id} AND n = ${good}`)[0].snapshot;
  assertNoSecret(row, 'the stored snapshot');
  const sealedText = sql(`SELECT auth_token FROM connector_environments WHERE id = ${did}`)[0].auth_token;
  assert.ok(sealedText && !row.includes(sealedText), 'no sealed text in the snapshot');

  // Later: Development gets another base URL, default flag and plain variable; its token is
  // changed (a secret: a restore must keep the new one); Staging is deleted; Extra is added.
  const v0 = Number(sql(`SELECT version FROM connector_environments WHERE id = ${did}`)[0].version);
  r = await api('PUT', `/api/1.0/data-connectors/${c.id}/environments/${did}`, {
    version: v0, base_url: 'http://127.0.0.1:9/elsewhere/', is_default: false, token: 'dev-token-NEW-77',
    variables: [{ name: 'tenant', value: 'wrong-tenant' }, { name: 'sig' , sealed: true }, { name: 'later', value: 'x' }],
  });
  assert.equal(r.status, 200, r.text);
  r = await api('DELETE', `/api/1.0/data-connectors/${c.id}/environments/${sid}`);
  assert.ok(r.status === 200 || r.status === 204, r.text);
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, { name: 'Extra', base_url: dev.origin, is_default: true });
  assert.equal(r.status, 201, r.text);
  const tokenAfter = sql(`SELECT auth_token FROM connector_environments WHERE id = ${did}`)[0].auth_token;
  const sigBefore = sql(`SELECT value FROM environment_variables WHERE environment_id = ${did} AND name = 'sig'`)[0].value;
  assert.ok(sigBefore, 'the sealed variable kept its value');

  // Restore the good version (the API; the page posts the same).
  const rest = await api('POST', `/api/1.0/data-connectors/${c.id}/versions/${good}/restore`, {});
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(rest.json().environments_reenter.map((e) => e.name), ['Staging'], 'Staging came back without its secrets');
  assertNoSecret(rest.text, 'the restore answer');
  const envs = Object.fromEntries(sql(`SELECT id, name, is_default, base_url, auth_override, auth_token, allowed_origins FROM connector_environments WHERE connector_id = ${c.id}`).map((e) => [e.name, e]));
  assert.deepEqual(Object.keys(envs).sort(), ['Development', 'Extra', 'Staging'], 'Extra (not in the version) is kept; Staging is made again');
  assert.equal(envs.Development.id, String(did), 'the same row');
  assert.equal(envs.Development.base_url, `${dev.origin}/api/`, 'base URL restored');
  assert.equal(envs.Development.is_default, '1', 'the default again');
  assert.equal(envs.Extra.is_default, '0');
  assert.equal(envs.Development.auth_token, tokenAfter, 'the secret is the one entered later, untouched');
  const dvars = sql(`SELECT name, sealed, value FROM environment_variables WHERE environment_id = ${did} ORDER BY position`);
  assert.deepEqual(dvars.map((v) => [v.name, v.sealed]), [['tenant', '0'], ['sig', '1']], 'the variables of the version');
  assert.equal(dvars[0].value, 'dev-tenant', 'plain value restored');
  assert.equal(dvars[1].value, sigBefore, 'the sealed value untouched');
  assert.equal(envs.Staging.base_url, prod.origin);
  assert.equal(envs.Staging.auth_token, null, 'no secret comes back from a snapshot');
  assert.equal(envs.Staging.allowed_origins, prod.origin);
  const svars = sql(`SELECT name, sealed, value FROM environment_variables WHERE environment_id = ${envs.Staging.id} ORDER BY position`);
  assert.deepEqual(svars.map((v) => [v.name, v.sealed, v.value]), [['tenant', '0', 'stage-tenant'], ['sig', '1', null]]);

  // It runs: Development over its restored base URL with the token entered later.
  dev.reset();
  r = await execute(c.id, 'Orders', { data: { id: 3 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(dev.seen.map((s) => [s.url, s.auth, s.sig]), [['/api/orders/3?tenant=dev-tenant', 'Bearer dev-token-NEW-77', SECRETS.devSig]]);
  // The page: the flash names the environment to complete.
  const page = await admin.get(`/data-connectors/${c.id}/history`);
  const n = await versions();
  const again = await admin.post(`/data-connectors/${c.id}/history/${good}/restore`, { _csrf: csrfFrom(page.text), version: '' });
  assert.equal(again.status, 303, again.text.slice(0, 300));
  const after = await admin.get(again.location);
  assert.match(after.text, /Enter the secrets of these environments on the Environments tab: Staging\./);
  assert.equal(await versions(), n + 1, 'a restore is itself a version');
});

test('a version restore follows a renamed environment by its id: old name and settings back, its secrets kept; an older snapshot without ids goes by name', async () => {
  const c = await makeConnector({ auth_type: 'bearer', token: SECRETS.conn, allowed_origins: ['http://127.0.0.1:9'] });
  let r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, {
    name: 'Development', base_url: `${dev.origin}/api/`, is_default: true, auth_override: true, token: SECRETS.devToken,
    variables: [{ name: 'tenant', value: 'dev-tenant' }, { name: 'sig', value: SECRETS.devSig, sealed: true }],
  });
  assert.equal(r.status, 201, r.text);
  const did = r.json().id;
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, {
    name: 'Staging', base_url: prod.origin, auth_override: true, token: SECRETS.prodToken,
    variables: [{ name: 'tenant', value: 'stage-tenant' }, { name: 'sig', value: SECRETS.prodSig, sealed: true }],
  });
  assert.equal(r.status, 201, r.text);
  const sid = r.json().id;
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/endpoints`, {
    purpose: 'Orders', method: 'GET', timeout: 10, url: '/orders/{{id}}?tenant={{env.tenant}}',
    headers: [{ key: 'X-Sig', value: '{{env.sig}}' }], sample_data: '{"id": 5}',
  });
  assert.equal(r.status, 201, r.text);
  const latest = async () => {
    const l = await api('GET', `/api/1.0/data-connectors/${c.id}/versions`);
    assert.equal(l.status, 200, l.text);
    return Math.max(...(l.json().data || l.json()).map((v) => v.n));
  };
  const good = await latest();
  const snap = JSON.parse(sql(`SELECT snapshot FROM connector_versions WHERE connector_id = ${c.id} AND n = ${good}`)[0].snapshot);
  assert.deepEqual(snap.environments.map((e) => [e.name, e.id]), [['Development', did], ['Staging', sid]], 'the snapshot carries each environment\'s id');
  const versionOf = (id) => Number(sql(`SELECT version FROM connector_environments WHERE id = ${id}`)[0].version);
  const rename = async (id, body) => {
    const x = await api('PUT', `/api/1.0/data-connectors/${c.id}/environments/${id}`, { version: versionOf(id), ...body });
    assert.equal(x.status, 200, x.text);
  };
  const byId = () => Object.fromEntries(sql(`SELECT id, name, is_default, base_url, auth_token FROM connector_environments WHERE connector_id = ${c.id}`).map((e) => [e.id, e]));

  // Later: Development is renamed Primary (another base URL and plain value, a new token);
  // then Staging takes the name Development: the names swap around.
  await rename(did, {
    name: 'Primary', base_url: 'http://127.0.0.1:9/elsewhere/', token: 'dev-token-RENAMED-88',
    variables: [{ name: 'tenant', value: 'wrong-tenant' }, { name: 'sig', sealed: true }],
  });
  await rename(sid, { name: 'Development', base_url: 'http://127.0.0.1:9/nowhere/' });
  const devToken = byId()[did].auth_token;
  const stageToken = byId()[sid].auth_token;
  const devSig = sql(`SELECT value FROM environment_variables WHERE environment_id = ${did} AND name = 'sig'`)[0].value;
  assert.ok(devToken && stageToken && devSig);

  r = await api('POST', `/api/1.0/data-connectors/${c.id}/versions/${good}/restore`, {});
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().environments_reenter, [], 'no environment made again: nothing to enter');
  assertNoSecret(r.text, 'the restore answer');
  let envs = byId();
  assert.deepEqual(Object.keys(envs).sort(), [String(did), String(sid)].sort(), 'the same two rows, none made again');
  assert.equal(envs[did].name, 'Development', 'the renamed one has its old name back');
  assert.equal(envs[did].base_url, `${dev.origin}/api/`);
  assert.equal(envs[did].is_default, '1');
  assert.equal(envs[did].auth_token, devToken, 'its secret (entered after the version) is kept');
  assert.equal(envs[sid].name, 'Staging', 'the other one too, though its name was taken meanwhile');
  assert.equal(envs[sid].base_url, prod.origin);
  assert.equal(envs[sid].auth_token, stageToken);
  const dvars = sql(`SELECT name, value FROM environment_variables WHERE environment_id = ${did} ORDER BY position`);
  assert.deepEqual(dvars.map((v) => v.name), ['tenant', 'sig']);
  assert.equal(dvars[0].value, 'dev-tenant', 'plain value restored');
  assert.equal(dvars[1].value, devSig, 'sealed value kept');
  // Both run under their old names, each with its own credentials.
  dev.reset();
  prod.reset();
  r = await execute(c.id, 'Orders', { data: { id: 3 }, environment: 'Development' });
  assert.equal(r.status, 200, r.text);
  r = await execute(c.id, 'Orders', { data: { id: 4 }, environment: 'Staging' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(dev.seen.map((s) => [s.url, s.auth, s.sig]), [['/api/orders/3?tenant=dev-tenant', 'Bearer dev-token-RENAMED-88', SECRETS.devSig]]);
  assert.deepEqual(prod.seen.map((s) => [s.url, s.auth, s.sig]), [['/orders/4?tenant=stage-tenant', `Bearer ${SECRETS.prodToken}`, SECRETS.prodSig]]);

  // An environment made since under the old name: refused (409), nothing changed.
  await rename(did, { name: 'Primary' });
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/environments`, { name: 'Development', base_url: dev.origin });
  assert.equal(r.status, 201, r.text);
  const newcomer = r.json().id;
  const before = byId();
  const nBefore = await latest();
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/versions/${good}/restore`, {});
  assert.equal(r.status, 409, r.text);
  assert.match(r.text, /An environment made since has the name one of this version's environments gets back/);
  assert.deepEqual(byId(), before, 'nothing written');
  assert.equal(await latest(), nBefore, 'no version recorded');
  r = await api('DELETE', `/api/1.0/data-connectors/${c.id}/environments/${newcomer}`);
  assert.ok(r.status === 200 || r.status === 204, r.text);

  // A snapshot from before ids (as stored until now): matched by name, as it was. Primary is
  // kept with its secrets, Development is made again without any.
  sql(`UPDATE connector_versions SET snapshot = JSON_REMOVE(snapshot, '$.environments[0].id', '$.environments[1].id') WHERE connector_id = ${c.id} AND n = ${good}`);
  assert.ok(!/"id"/.test(JSON.stringify(JSON.parse(sql(`SELECT snapshot FROM connector_versions WHERE connector_id = ${c.id} AND n = ${good}`)[0].snapshot).environments)));
  r = await api('POST', `/api/1.0/data-connectors/${c.id}/versions/${good}/restore`, {});
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().environments_reenter.map((e) => e.name), ['Development'], 'made again by name, its secrets to enter');
  envs = byId();
  assert.equal(envs[did].name, 'Primary', 'no id: the renamed one is not followed');
  assert.equal(envs[did].auth_token, devToken);
  assert.equal(envs[sid].name, 'Staging');
  const made = Object.values(envs).filter((e) => e.name === 'Development');
  assert.equal(made.length, 1);
  assert.ok(![did, sid].map(String).includes(made[0].id), 'a new row');
  assert.equal(made[0].auth_token, null);
});
