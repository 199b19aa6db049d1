'use strict';
// Issue 7 beyond the newman collection: the OpenAPI description checked by a real
// validator (@seriousme/openapi-schema-validator, OpenAPI 3.1) and against the route table,
// the execution logs (written by Test and execute, the Logs tab and page with their
// filters and pages, dcgate-admin purge-logs), export/import through the pages (duplicate
// name, new name, missing categories, the secrets asked for, a round trip), and Execute in
// the permission editor.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, flashOf, fieldError, inputValue } = require('./lib.js');

// Execution log rows are written by dcgate's log writer thread within milliseconds of the
// answer (a Logs page waits for them): poll until n rows are there (or 2 s passed).
async function sqlLogRows(query, n = 1) {
  for (let i = 0; ; i++) {
    const rows = sql(query);
    if (rows.length >= n || i >= 100) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const { adminToken, userToken } = require('./apitokens.js');

let token;
let admin;

function api(method, path, body, tok = token) {
  return new Client().api(method, path, body, tok);
}

/** The log rows of a Logs page as [{status, text}]. */
function logRows(html) {
  return [...html.matchAll(/<tr class="log-row">([\s\S]*?)<\/tr>/g)].map((m) => ({
    status: (/class="badge (?:badge-ok|badge-bad)">([^<]*)</.exec(m[1]) || [])[1],
    text: decode(m[1].replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ')),
  }));
}

async function makeCategory(name = unique('Extra Cat').replace(/[^A-Za-z0-9 ]/g, '')) {
  const r = await api('POST', '/api/1.0/data-connector-categories', { name });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

async function makeConnector(extra = {}) {
  const cat = await makeCategory();
  const r = await api('POST', '/api/1.0/data-connectors', {
    name: unique('Extra Conn').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.id], ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

async function makeEndpoint(cid, body) {
  const r = await api('POST', `/api/1.0/data-connectors/${cid}/endpoints`, body);
  assert.equal(r.status, 201, r.text);
  return r.json();
}

test.before(async () => {
  token = await adminToken();
  admin = await adminClient();
});

// ------------------------------------------------------------------------ OpenAPI

test('openapi.json is public, valid OpenAPI 3.1 and lists every API route', async () => {
  const r = await new Client().get('/api/1.0/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^application\/json/);
  const doc = r.json();
  assert.equal(doc.openapi, '3.1.0');
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const v = new Validator();
  const res = await v.validate(doc);
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1));
  assert.equal(v.version, '3.1');
  v.resolveRefs(); // throws on a $ref that points nowhere
  const routes = JSON.parse(execFileSync(env('DCGATE_ADMIN_BIN'), ['routes'], { encoding: 'utf8' }));
  const api = routes.filter((x) => x.api);
  assert.ok(api.length >= 20, `API routes: ${api.length}`);
  for (const route of api) {
    const p = route.pattern.replace(/\{([a-z_]+):s\}/g, '{$1}');
    assert.ok(doc.paths[p], `path ${p} missing`);
    const op = doc.paths[p][route.method.toLowerCase()];
    assert.ok(op, `${route.method} ${p} missing`);
    assert.ok(op.responses, `${route.method} ${p} has no responses`);
    if (!route.public) assert.ok(op.responses['401'], `${route.method} ${p}: no 401`);
    if (route.perm) assert.ok(op.responses['403'], `${route.method} ${p}: no 403`);
    for (const name of (p.match(/\{([^}]+)\}/g) || []).map((x) => x.slice(1, -1))) {
      assert.ok((op.parameters || []).some((q) => q.in === 'path' && q.name === name), `${p}: parameter ${name}`);
    }
  }
  const pages = Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'));
  assert.deepEqual(pages, [], 'only API routes are described');
  const exec = doc.paths['/api/1.0/data-connectors/{id}/endpoints/{purpose}/execute'].post;
  for (const code of ['200', '401', '403', '404', '422', '502', '504']) assert.ok(exec.responses[code], code);
  assert.equal(doc.components.schemas.Error.required.join(), 'message,errors');
});

// ---------------------------------------------------------------- execution logs

test('Test and execute are logged with secrets masked; the Logs tab and page filter and page them', async () => {
  const conn = await makeConnector();
  const ok = await makeEndpoint(conn.id, { purpose: 'Customers', url: `${env('JSON_SERVER_URL')}/customers?api_key={{key}}`, sample_data: '{"key": "SAMPLE-SECRET"}' });
  const bad = await makeEndpoint(conn.id, { purpose: 'Closed', url: 'http://127.0.0.1:9/x' });
  // a Test from the page, as a person does
  const form = await admin.get(`/data-connectors/${conn.id}/endpoints/${ok.id}`);
  assert.equal(form.status, 200);
  const t = await admin.post(`/data-connectors/${conn.id}/endpoints/${ok.id}/test`, { _csrf: admin.csrf });
  assert.equal(t.status, 200);
  // two executes through the API
  let r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/Customers/execute`, { data: { key: 'CALLER-SECRET' } });
  assert.equal(r.status, 200, r.text);
  r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/Closed/execute`, { data: {} });
  assert.equal(r.status, 502, r.text);

  const rows = await sqlLogRows(`SELECT kind, method, url, status, error, user_id, token_id, endpoint_id FROM execution_logs WHERE connector_id = ${conn.id} ORDER BY id`, 3);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.map((x) => x.kind), ['test', 'execute', 'execute']);
  assert.equal(rows[0].token_id, null, 'a Test is a session');
  assert.ok(rows[1].token_id, 'an execute records its token');
  assert.equal(rows[1].status, '200');
  assert.match(rows[1].url, /api_key=\*\*\*\*/);
  for (const x of rows) {
    assert.doesNotMatch(x.url, /SECRET/, 'the key is masked in the log');
    assert.ok(Number(x.user_id) > 0);
  }
  assert.equal(rows[2].status, '0');
  assert.match(rows[2].error, /refused/i);

  // the Logs tab of the connector
  let page = await admin.get(`/data-connectors/${conn.id}/logs`);
  assert.equal(page.status, 200);
  assert.match(page.text, /aria-current="page">Logs</);
  let lr = logRows(page.text);
  assert.equal(lr.length, 3);
  assert.ok(lr.every((x) => !/SECRET/.test(x.text)));
  assert.match(lr[0].text, /refused/i, 'newest first');
  // status filter
  page = await admin.get(`/data-connectors/${conn.id}/logs?status=ok`);
  lr = logRows(page.text);
  assert.deepEqual(lr.map((x) => x.status), ['200', '200']);
  page = await admin.get(`/data-connectors/${conn.id}/logs?status=error`);
  assert.deepEqual(logRows(page.text).map((x) => x.status), ['failed']);
  // time filter (UTC days)
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  page = await admin.get(`/data-connectors/${conn.id}/logs?from=${today}&to=${today}`);
  assert.equal(logRows(page.text).length, 3);
  page = await admin.get(`/data-connectors/${conn.id}/logs?from=${tomorrow}`);
  assert.equal(logRows(page.text).length, 0);
  page = await admin.get(`/data-connectors/${conn.id}/logs?from=2024-02-30`);
  assert.match(page.text, /id="from-error"[^>]*>Enter a date/);
  // pages
  page = await admin.get(`/data-connectors/${conn.id}/logs?per_page=1&page=2`);
  assert.equal(logRows(page.text).length, 1);
  assert.match(page.text, /2–2 of 3/);
  assert.match(page.text, /rel="next"/);
  assert.match(page.text, /rel="prev"/);
  // the page over every connector, filtered by connector
  page = await admin.get(`/data-connector-logs?connector=${conn.id}`);
  assert.equal(page.status, 200);
  lr = logRows(page.text);
  assert.equal(lr.length, 3);
  assert.ok(lr.every((x) => x.text.includes(conn.name)));
  assert.match(page.text, new RegExp(`<option value="${conn.id}" selected>`));
  page = await admin.get('/data-connector-logs?status=error&per_page=100');
  assert.ok(logRows(page.text).every((x) => x.status !== '200'));
  assert.match((await admin.get('/data-connectors')).text, /href="\/data-connector-logs"/, 'Logs in the navigation');
});

test('execute and Test see every save at once (a process caches definitions by the change counters); the Logs tab shows a run at once', async () => {
  const echo = env('ECHO_URL');
  const conn = await makeConnector({ auth_type: 'bearer', token: 'first-token', allowed_origins: [echo] });
  const ep = await makeEndpoint(conn.id, {
    purpose: 'Echo Me', url: `${echo}/echo/one`,
    headers: [{ key: 'X-Case', value: 'a', description: '', required: false }],
  });
  const run = async (purpose = 'echo me') => {
    const r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/${encodeURIComponent(purpose)}/execute`, { data: {} });
    return r;
  };
  const body = async () => {
    const r = await run();
    assert.equal(r.status, 200, r.text);
    return r.json().body;
  };
  for (let i = 0; i < 3; i++) { // the first run loads, the next ones may come from the cache
    const b = await body();
    assert.equal(b.path, '/echo/one');
    assert.equal(b.headers['x-case'], 'a');
    assert.equal(b.headers.authorization, 'Bearer ****', 'sent, and masked in what comes back');
  }
  // the Logs tab right after, without waiting for the log writer
  let page = await admin.get(`/data-connectors/${conn.id}/logs`);
  assert.equal(logRows(page.text).length, 3);
  // the endpoint and its header rows change
  let r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/endpoints/${ep.id}`, {
    purpose: 'Echo Me', method: 'GET', url: `${echo}/echo/two`,
    headers: [{ key: 'X-Case', value: 'b', description: '', required: false }],
  });
  assert.equal(r.status, 200, r.text);
  let b = await body();
  assert.equal(b.path, '/echo/two');
  assert.equal(b.headers['x-case'], 'b');
  // the authorization changes
  const cur = (await api('GET', `/api/1.0/data-connectors/${conn.id}`)).json();
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}`, {
    name: cur.name, description: cur.description, category_ids: cur.category_ids, version: cur.version,
    auth_type: 'bearer', token: 'second-token-value',
  });
  assert.equal(r.status, 200, r.text);
  b = await body();
  assert.equal(b.headers.authorization, 'Bearer ****');
  assert.ok(!JSON.stringify(b).includes('second-token-value'), 'the new token is masked');
  // the Test screen of the same endpoint sees the same
  const t = await admin.post(`/data-connectors/${conn.id}/endpoints/${ep.id}/test`, { _csrf: admin.csrf });
  assert.equal(t.status, 200);
  assert.match(t.text, /\/echo\/two/);
  page = await admin.get(`/data-connectors/${conn.id}/logs`);
  assert.equal(logRows(page.text).length, 6);
  // the purpose is renamed: the old one is gone; then the endpoint is deleted
  r = await api('PUT', `/api/1.0/data-connectors/${conn.id}/endpoints/${ep.id}`, {
    purpose: 'Renamed', method: 'GET', url: `${echo}/echo/two`,
  });
  assert.equal(r.status, 200, r.text);
  assert.equal((await run()).status, 404);
  assert.equal((await run('RENAMED')).status, 200, 'a purpose matches whatever its ASCII case');
  assert.equal((await run('Renamed ')).status, 404, 'but not with a trailing blank');
  r = await api('DELETE', `/api/1.0/data-connectors/${conn.id}/endpoints/${ep.id}`);
  assert.equal(r.status, 204);
  assert.equal((await run('Renamed')).status, 404);
});

test('the Logs pages need the view permission', async () => {
  const username = unique('nolog').replace(/\s+/g, '_');
  const password = 'a-long-password-1';
  execFileSync(env('DCGATE_ADMIN_BIN'), ['create-user', username], {
    env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF'), DCGATE_PASSWORD: password },
  });
  const c = new Client();
  const r = await c.login(username, password);
  assert.ok([302, 303].includes(r.status), `sign-in: ${r.status}`);
  assert.equal((await c.get('/data-connector-logs')).status, 403);
  const conn = await makeConnector();
  assert.equal((await c.get(`/data-connectors/${conn.id}/logs`)).status, 403);
});

test('dcgate-admin purge-logs deletes rows past the retention, keeps the rest', async () => {
  const conn = await makeConnector();
  sql(`INSERT INTO execution_logs (connector_id, kind, method, url, created_at) VALUES
       (${conn.id}, 'execute', 'GET', 'http://old.example/', UTC_TIMESTAMP() - INTERVAL 45 DAY),
       (${conn.id}, 'execute', 'GET', 'http://mid.example/', UTC_TIMESTAMP() - INTERVAL 10 DAY),
       (${conn.id}, 'test', 'GET', 'http://new.example/', UTC_TIMESTAMP())`);
  const run = (...args) => execFileSync(env('DCGATE_ADMIN_BIN'), ['purge-logs', ...args], {
    encoding: 'utf8', env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF') }, cwd: process.cwd(),
  });
  let out = run();
  assert.match(out, /deleted \d+ execution log rows older than 30 days/);
  let urls = sql(`SELECT url FROM execution_logs WHERE connector_id = ${conn.id} ORDER BY id`).map((x) => x.url);
  assert.deepEqual(urls, ['http://mid.example/', 'http://new.example/']);
  out = run('--days', '7');
  assert.match(out, /older than 7 days/);
  urls = sql(`SELECT url FROM execution_logs WHERE connector_id = ${conn.id}`).map((x) => x.url);
  assert.deepEqual(urls, ['http://new.example/']);
  assert.throws(() => run('--days', 'many'));
});

// --------------------------------------------------------------- export / import

function exportOf(html) {
  return JSON.parse(html);
}

test('export → import (new name) → export gives the same JSON but the name; secrets asked for', async () => {
  const conn = await makeConnector({ auth_type: 'oauth2_client_credentials', token_url: `${env('OAUTH_URL')}/token`, client_id: 'cid', client_secret: 'TOP-SECRET', scope: 'read', client_auth: 'basic' });
  await makeEndpoint(conn.id, {
    purpose: 'List', description: 'All of them', method: 'GET', url: `${env('JSON_SERVER_URL')}/customers`, timeout: 12,
    headers: [{ key: 'Accept', value: 'application/json', description: 'JSON', required: true }, { key: 'X-Trace', value: '{{trace}}', description: '', required: false }],
    params: [{ key: 'city', value: '{{city}}', required: false }], sample_data: '{"city": "London", "trace": "t"}',
  });
  await makeEndpoint(conn.id, { purpose: 'Create', method: 'POST', url: `${env('JSON_SERVER_URL')}/customers`, body: '{"name": "{{name}}"}' });
  const details = await admin.get(`/data-connectors/${conn.id}`);
  assert.match(details.text, new RegExp(`href="/data-connectors/${conn.id}/export"[^>]*>Export<`));
  const ex = await admin.get(`/data-connectors/${conn.id}/export`);
  assert.equal(ex.status, 200);
  assert.match(ex.headers.get('content-disposition'), /^attachment; filename=".+\.json"$/);
  assert.doesNotMatch(ex.text, /TOP-SECRET/);
  const doc = exportOf(ex.text);
  assert.equal(doc.name, conn.name);
  assert.deepEqual(doc.categories, conn.categories.map((c) => c.name));
  assert.equal(doc.authorization.client_id, 'cid');
  assert.ok(!('client_secret' in doc.authorization));
  assert.equal(doc.endpoints.length, 2);
  const apiDoc = (await api('GET', `/api/1.0/data-connectors/${conn.id}/export`)).json();
  assert.deepEqual(apiDoc, doc, 'the API export is the same document');

  // the import page: a taken name is refused clearly, nothing is left behind
  const page = await admin.get('/data-connectors/import');
  assert.equal(page.status, 200);
  assert.match((await admin.get('/data-connectors')).text, /href="\/data-connectors\/import"/);
  const before = sql('SELECT COUNT(*) AS n FROM connectors')[0].n;
  let r = await admin.post('/data-connectors/import', { _csrf: admin.csrf, json: ex.text });
  assert.equal(r.status, 422);
  assert.match(decode(r.text), new RegExp(`A Data Connector named "${conn.name}" already exists`));
  assert.equal(sql('SELECT COUNT(*) AS n FROM connectors')[0].n, before);
  r = await admin.post('/data-connectors/import', { _csrf: admin.csrf, json: '{not json' });
  assert.equal(r.status, 422);
  assert.match(r.text, /id="json-error"/);

  // a new name: imported, then the Authorization tab asks for the secrets
  const newName = unique('Imported Copy').replace(/[^A-Za-z0-9 ]/g, '');
  r = await admin.post('/data-connectors/import', { _csrf: admin.csrf, json: ex.text, name: newName });
  assert.equal(r.status, 303, r.text.slice(0, 500));
  const m = /^\/data-connectors\/(\d+)\/authorization$/.exec(r.location);
  assert.ok(m, r.location);
  const tab = await admin.get(r.location);
  assert.equal(flashOf(tab.text), `Imported. Enter the secrets for ${newName}: Client Secret.`);
  const copy = (await api('GET', `/api/1.0/data-connectors/${m[1]}`)).json();
  assert.equal(copy.client_secret_set, false);
  assert.equal(copy.auth_type, 'oauth2_client_credentials');
  const again = exportOf((await admin.get(`/data-connectors/${m[1]}/export`)).text);
  assert.equal(again.name, newName);
  assert.deepEqual({ ...again, name: doc.name }, doc);
});

test('an import creates missing categories for a user who may, and refuses them otherwise', async () => {
  const conn = await makeConnector();
  const doc = (await api('GET', `/api/1.0/data-connectors/${conn.id}/export`)).json();
  const fresh = unique('Fresh Cat').replace(/[^A-Za-z0-9 ]/g, '');
  doc.categories = [doc.categories[0], fresh];
  // a user who may create connectors but not categories
  const limited = userToken('importer', ['view-data-connectors', 'create-data-connectors', 'edit-data-connectors']);
  let r = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name: unique('Limited Import').replace(/[^A-Za-z0-9 ]/g, '') }, limited.token);
  assert.equal(r.status, 422, r.text);
  assert.match(r.json().errors.categories[0], new RegExp(`"${fresh}" does not exist here`));
  assert.equal(sql(`SELECT COUNT(*) AS n FROM categories WHERE name = ${sqlString(fresh)}`)[0].n, '0');
  // the admin may: the category is made
  const name = unique('Admin Import').replace(/[^A-Za-z0-9 ]/g, '');
  r = await api('POST', '/api/1.0/data-connectors/import', { export: JSON.stringify(doc), name });
  assert.equal(r.status, 201, r.text);
  const b = r.json();
  assert.deepEqual(b.categories.map((c) => c.name).sort(), doc.categories.slice().sort());
  assert.equal(b.secrets_needed, false);
  // a refused endpoint undoes the whole import, made categories included
  const other = unique('Other Cat').replace(/[^A-Za-z0-9 ]/g, '');
  doc.categories = [other];
  doc.endpoints = [{ purpose: 'Bad', method: 'GET', url: 'ftp://nowhere/' }];
  r = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name: unique('Undone').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(r.status, 422, r.text);
  assert.ok(r.json().errors['endpoints.0.url'], r.text);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM categories WHERE name = ${sqlString(other)}`)[0].n, '0');
});

// ------------------------------------------------------------- permission editor

test('the permission editor offers Execute for Data Connectors', async () => {
  const page = await admin.get('/admin/users/new');
  assert.equal(page.status, 200);
  assert.match(page.text, /id="perm-execute-data-connectors"[^>]*value="execute-data-connectors"[^>]*data-perm-action="execute"/);
  assert.match(page.text, /id="perm-execute-data-connectors"[^>]*> Execute</);
});

// ------------------------------------------------------------ one error path (issue 17)

test('a handler\'s error is answered once by the dispatcher: JSON with the members\' errors, or the form again with the input kept', async () => {
  const conn = await makeConnector();
  const cid = conn.id;

  // 422 from the API: field errors under the JSON member names, a row's cell as headers.N.key.
  let r = await api('POST', `/api/1.0/data-connectors/${cid}/endpoints`, {
    purpose: 'err_path', method: 'GET', url: 'https://example.test/x',
    headers: [{ key: '', value: 'v' }],
  });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.headers.get('content-type'), 'application/json');
  let body = r.json();
  assert.equal(body.message, 'The given data was invalid.');
  assert.deepEqual(Object.keys(body.errors), ['headers.0.key']);
  assert.ok(Array.isArray(body.errors['headers.0.key']) && body.errors['headers.0.key'].length === 1);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${cid}`)[0].n, '0');

  // 409 from the API: the stale version's message, also as the "version" member's error.
  r = await api('PUT', `/api/1.0/data-connectors/${cid}`, { version: conn.version + 5, name: 'Stale Name', category_ids: conn.category_ids });
  assert.equal(r.status, 409, r.text);
  body = r.json();
  assert.match(body.message, /changed by someone else/);
  assert.deepEqual(body.errors, { version: [body.message] });

  // A 404 recorded with its message.
  r = await api('PUT', `/api/1.0/data-connectors/${cid}/endpoints/999999999`, { purpose: 'x' });
  assert.equal(r.status, 404, r.text);
  assert.deepEqual(r.json().errors, {});
  assert.ok(r.json().message);

  // The same 409 on the page: the Details form again, status 409, the input kept, the message shown.
  const page = await admin.get(`/data-connectors/${cid}`);
  assert.equal(page.status, 200);
  const typed = `Stale ${unique('Page').replace(/[^A-Za-z0-9 ]/g, '')}`;
  r = await admin.post(`/data-connectors/${cid}`, {
    _csrf: csrfFrom(page.text), version: String(conn.version + 5), name: typed, description: 'kept words',
    category_ids: [String(conn.category_ids[0])],
  });
  assert.equal(r.status, 409);
  assert.match(r.headers.get('content-type'), /text\/html/);
  assert.match(decode(r.text), /changed by someone else/);
  assert.equal(inputValue(r.text, 'name'), typed);
  assert.match(r.text, /<form\b/);

  // A 422 on the page: the message beside the field, the input kept.
  const page2 = await admin.get(`/data-connectors/${cid}`);
  r = await admin.post(`/data-connectors/${cid}`, {
    _csrf: csrfFrom(page2.text), version: String(conn.version), name: 'Bad <name>', description: 'still kept',
    category_ids: [String(conn.category_ids[0])],
  });
  assert.equal(r.status, 422);
  assert.ok(fieldError(r.text, 'name'), 'a message beside the name');
  assert.equal(inputValue(r.text, 'name'), 'Bad <name>');
  assert.equal(sql(`SELECT name FROM connectors WHERE id = ${cid}`)[0].name, conn.name);

  // A refused delete: 409 as JSON from the API, and as the confirm page with why.
  const cat = conn.category_ids[0];
  r = await api('DELETE', `/api/1.0/data-connector-categories/${cat}`);
  assert.equal(r.status, 409, r.text);
  assert.deepEqual(r.json(), {
    message: 'The category cannot be deleted because Data Connectors use it. Remove it from them first.',
    errors: {},
  });
  const confirm = await admin.get(`/data-connector-categories/${cat}/delete`);
  r = await admin.post(`/data-connector-categories/${cat}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(r.status, 409);
  assert.match(decode(r.text), /This category cannot be deleted because 1 Data Connector uses it\./);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM categories WHERE id = ${cat}`)[0].n, '1');
});
