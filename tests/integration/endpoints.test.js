'use strict';
// The Endpoints tab and the Test screen through the real stack (issue 6): the list, the
// editor with header and query parameter rows (added and removed without JavaScript),
// validation beside each field, one transaction per save, delete after "Caution!", and
// Test against real data sources — json-server for GET list / GET one / POST / PUT / PATCH
// / DELETE (each checked by reading json-server afterwards), the echo server for context
// escaping, plus plain messages for a missing required value, a slow upstream, a denied
// address and a response over the cap.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { adminClient, csrfFrom, env, sql, unique, decode, flashOf, fieldError, inputTag, inputValue } = require('./lib.js');

// Execution log rows are written by dcgate's log writer thread within milliseconds of the
// answer (a Logs page waits for them): poll until n rows are there (or 2 s passed).
async function sqlLogRows(query, n = 1) {
  for (let i = 0; ; i++) {
    const rows = sql(query);
    if (rows.length >= n || i >= 100) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ------------------------------------------------------------------- page helpers

function textareaValue(html, id) {
  const m = new RegExp(`<textarea\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</textarea>`).exec(html);
  return m ? decode(m[1]) : null;
}

function selected(html, id) {
  const sel = new RegExp(`<select\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
  const m = sel && /<option value="([^"]*)" selected>/.exec(sel[1]);
  return m ? m[1] : null;
}

function textOf(html, id, tag = 'pre|p|dd|code') {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:${tag})>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, '')) : null;
}

function errorOf(html) {
  const m = /id="test-error">([\s\S]*?)<\/div>/.exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()) : null;
}

function statusOf(html) {
  const m = /id="response-status"><span[^>]*>(\d+)<\/span>/.exec(html);
  return m ? Number(m[1]) : null;
}

function responseJson(html) {
  const body = textOf(html, 'response-body', 'pre');
  assert.ok(body !== null, `a response body; error: ${errorOf(html)}`);
  return JSON.parse(body);
}

/** Number of header (or param) rows rendered in an editor page. */
function rowCount(html, prefix) {
  return [...html.matchAll(new RegExp(`name="${prefix}\\[\\d+\\]\\[key\\]"`, 'g'))].length;
}

function assertLabelled(html) {
  const fors = new Set([...html.matchAll(/<label\b[^>]*\bfor="([^"]+)"/g)].map((m) => m[1]));
  for (const m of html.matchAll(/<(input|select|textarea)\b[^>]*>/g)) {
    if (/type="hidden"/.test(m[0])) continue;
    const id = /\bid="([^"]+)"/.exec(m[0]);
    assert.ok(id && fors.has(id[1]), `a label for ${m[0]}`);
  }
}

// ---------------------------------------------------------------------- fixtures

let admin;
let categoryId;
// Under valgrind (scripts/test --valgrind) every request is far slower: time limits stretch.
const SLOW = process.env.DCGATE_VALGRIND === '1' ? 20 : 1;

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

async function connector(c) {
  if (!categoryId) {
    const name = alnum(unique('Endpoint Cat'));
    const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
    assert.equal(r.status, 303);
    categoryId = sql(`SELECT id FROM categories WHERE name = '${name}'`)[0].id;
  }
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Endpoint Conn')), description: 'endpoints test', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  return /\/data-connectors\/(\d+)$/.exec(r.location)[1];
}

/** POST the editor form of a new endpoint (or of eid); returns the answer. */
async function postEndpoint(c, id, fields, eid) {
  const page = await c.get(eid ? `/data-connectors/${id}/endpoints/${eid}` : `/data-connectors/${id}/endpoints/new`);
  assert.equal(page.status, 200);
  return c.post(eid ? `/data-connectors/${id}/endpoints/${eid}` : `/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', ...fields });
}

async function addEndpoint(c, id, fields) {
  const r = await postEndpoint(c, id, fields);
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${r.status === 422 ? r.text.match(/field-msg[^>]*>[^<]*/g) : ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

async function runTest(c, id, eid, opts) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) }, opts);
  assert.equal(r.status, 200, 'the Test screen renders');
  return r.text;
}

async function jsonServer(path) {
  const r = await fetch(env('JSON_SERVER_URL') + path);
  return { status: r.status, body: r.status === 200 ? await r.json() : null };
}

test.before(async () => {
  admin = await adminClient();
});

// ------------------------------------------------------------------ list and editor

test('the editor: Purpose List, GET and the configured timeout by default, every input labelled', async () => {
  const id = await connector(admin);
  const r = await admin.get(`/data-connectors/${id}/endpoints/new`);
  assert.equal(r.status, 200);
  assert.equal(inputValue(r.text, 'purpose'), 'List');
  assert.equal(selected(r.text, 'method'), 'GET');
  assert.deepEqual([...r.text.matchAll(/<option value="([A-Z]+)"/g)].map((m) => m[1]), ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
  assert.equal(inputValue(r.text, 'timeout'), '30');
  for (const s of ['Request Headers', 'Query Parameters', 'Request Body', 'Sample Data']) {
    assert.match(r.text, new RegExp(`<summary>${s}</summary>`));
  }
  assert.equal(rowCount(r.text, 'header'), 2, 'two empty header rows');
  assert.equal(rowCount(r.text, 'param'), 2, 'two empty parameter rows');
  assert.match(r.text, /<button type="submit" name="add_header" value="1"[^>]*>\+Header<\/button>/);
  assert.match(r.text, /aria-current="page">Endpoints</);
  assertLabelled(r.text);
});

test('an endpoint with headers and parameters is saved with its rows; an edit replaces them', async () => {
  const id = await connector(admin);
  const before = Number(sql(`SELECT version FROM connectors WHERE id = ${id}`)[0].version);
  let r = await postEndpoint(admin, id, {
    purpose: 'Customers', description: 'All customers', method: 'GET', url: `${env('JSON_SERVER_URL')}/customers`,
    timeout: '12',
    'header[0][key]': 'Accept', 'header[0][value]': 'application/json', 'header[0][description]': 'JSON please',
    'header[1][key]': '', 'header[1][value]': '',
    'header[5][key]': 'X-Customer', 'header[5][value]': '{{id}}', 'header[5][required]': '1',
    'param[0][key]': '_limit', 'param[0][value]': '2', 'param[3][key]': 'city', 'param[3][value]': '{{city}}', 'param[3][required]': '1',
    body: '', sample_data: '{"id": 1, "city": "London"}',
  });
  assert.equal(r.status, 303);
  const eid = /\/endpoints\/(\d+)$/.exec(r.location)[1];
  let page = await admin.get(r.location);
  assert.equal(flashOf(page.text), 'The Data Connector was saved');
  const ep = sql(`SELECT purpose, description, method, url, timeout, sample_data FROM endpoints WHERE id = ${eid}`)[0];
  assert.deepEqual(ep, { purpose: 'Customers', description: 'All customers', method: 'GET', url: `${env('JSON_SERVER_URL')}/customers`, timeout: '12', sample_data: '{"id": 1, "city": "London"}' });
  assert.deepEqual(sql(`SELECT position, name, value, description, required FROM endpoint_headers WHERE endpoint_id = ${eid} ORDER BY position`), [
    { position: '0', name: 'Accept', value: 'application/json', description: 'JSON please', required: '0' },
    { position: '1', name: 'X-Customer', value: '{{id}}', description: '', required: '1' },
  ]);
  assert.deepEqual(sql(`SELECT position, name, value, required FROM endpoint_params WHERE endpoint_id = ${eid} ORDER BY position`), [
    { position: '0', name: '_limit', value: '2', required: '0' },
    { position: '1', name: 'city', value: '{{city}}', required: '1' },
  ]);
  assert.equal(Number(sql(`SELECT version FROM connectors WHERE id = ${id}`)[0].version), before + 1, 'the connector version moved on');
  // The editor shows them again, plus two empty rows each.
  assert.equal(inputValue(page.text, 'header-1-key'), 'X-Customer');
  assert.match(inputTag(page.text, 'header-1-required'), /checked/);
  assert.equal(rowCount(page.text, 'header'), 4);
  assert.equal(rowCount(page.text, 'param'), 4);
  assert.equal(textareaValue(page.text, 'sample_data'), '{"id": 1, "city": "London"}');

  // The list.
  const list = await admin.get(`/data-connectors/${id}/endpoints`);
  assert.match(list.text, /<th scope="col">Purpose<\/th>\s*<th scope="col">Method<\/th>\s*<th scope="col">URL<\/th>\s*<th scope="col" class="optional">Description<\/th>/);
  assert.match(list.text, new RegExp(`<a href="/data-connectors/${id}/endpoints/${eid}">Customers</a>`));
  assert.match(list.text, /All customers/);
  assert.match(list.text, />View\/Edit</);
  assert.match(list.text, new RegExp(`action="/data-connectors/${id}/endpoints/${eid}/test"`));
  assert.match(list.text, new RegExp(`href="/data-connectors/${id}/endpoints/${eid}/delete"[^>]*>Remove<`));
  assert.match(list.text, />\+Endpoint</);

  // Edit: one header left, the parameters gone.
  r = await postEndpoint(admin, id, {
    purpose: 'Customers', method: 'GET', url: `${env('JSON_SERVER_URL')}/customers`,
    'header[0][key]': 'Accept', 'header[0][value]': 'text/plain',
  }, eid);
  assert.equal(r.status, 303);
  assert.deepEqual(sql(`SELECT name, value FROM endpoint_headers WHERE endpoint_id = ${eid}`), [{ name: 'Accept', value: 'text/plain' }]);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoint_params WHERE endpoint_id = ${eid}`)[0].n, '0');
  assert.equal(sql(`SELECT CONCAT('[', description, ']') AS d FROM endpoints WHERE id = ${eid}`)[0].d, '[]');
});

test('validation: each problem beside its field, the input kept, nothing saved', async () => {
  const id = await connector(admin);
  await addEndpoint(admin, id, { purpose: 'List', url: `${env('JSON_SERVER_URL')}/customers` });
  const count = () => sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${id}`)[0].n;
  let r = await postEndpoint(admin, id, { purpose: 'list', url: `${env('JSON_SERVER_URL')}/orders` });
  assert.equal(r.status, 422, 'duplicate purpose (case-insensitive)');
  assert.equal(fieldError(r.text, 'purpose'), 'The purpose has already been taken for this Data Connector.');
  assert.match(inputTag(r.text, 'purpose'), /aria-describedby="purpose-error"/);
  assert.equal(inputValue(r.text, 'url'), `${env('JSON_SERVER_URL')}/orders`);

  r = await postEndpoint(admin, id, { purpose: 'Bad JSON', url: `${env('JSON_SERVER_URL')}/x`, sample_data: '{"id": 1,}' });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'sample_data'), 'The sample data must be valid JSON.');
  assert.equal(textareaValue(r.text, 'sample_data'), '{"id": 1,}');

  r = await postEndpoint(admin, id, {
    purpose: 'Bad Header', url: `${env('ECHO_URL')}/`,
    'header[0][key]': 'X-Ok', 'header[0][value]': 'line1\r\nInjected: yes',
    'header[1][key]': 'Bad Name', 'header[1][value]': 'v',
  });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'header-0-value'), /line break/);
  assert.match(fieldError(r.text, 'header-1-key'), /letters, digits/);
  assert.equal(inputValue(r.text, 'header-1-key'), 'Bad Name', 'the row is kept');

  // A path starting with "/" is joined to an environment's base URL (issue 19); one without
  // a scheme or a leading "/" is neither.
  r = await postEndpoint(admin, id, { purpose: 'Relative', url: 'customers/{{id}}', timeout: '301', method: 'TRACE' });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'url'), /absolute http:\/\/ or https:\/\//);
  assert.match(fieldError(r.text, 'timeout'), /from 1 to 300/);
  assert.match(fieldError(r.text, 'method'), /GET, POST, PUT, PATCH or DELETE/);

  r = await postEndpoint(admin, id, { purpose: '', url: '{{base}}/x', sample_data: '{"base": "ftp://h"}' });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'purpose'), 'The purpose field is required.');
  assert.match(fieldError(r.text, 'url'), /absolute/, 'checked with the sample data filled in');
  // With sample data that makes it absolute the same URL is fine.
  r = await postEndpoint(admin, id, { purpose: 'Base', url: '{{{base}}}/customers', sample_data: JSON.stringify({ base: env('JSON_SERVER_URL') }) });
  assert.equal(r.status, 303);
  assert.equal(count(), '2');
});

test('rows without JavaScript: "+Header" re-renders with one more row, "Remove" drops one, nothing saved', async () => {
  const id = await connector(admin);
  let r = await postEndpoint(admin, id, {
    purpose: 'Rows', url: `${env('ECHO_URL')}/`, 'header[0][key]': 'X-A', 'header[0][value]': '1',
    'header[1][key]': '', 'header[1][value]': '', add_header: '1',
  });
  assert.equal(r.status, 200);
  assert.equal(rowCount(r.text, 'header'), 3, 'the two rows plus one');
  assert.equal(inputValue(r.text, 'header-0-key'), 'X-A');
  assert.equal(inputValue(r.text, 'purpose'), 'Rows', 'the rest of the form kept');
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${id}`)[0].n, '0', 'not saved');
  r = await admin.post(`/data-connectors/${id}/endpoints`, {
    _csrf: csrfFrom(r.text), purpose: 'Rows', url: `${env('ECHO_URL')}/`, 'header[0][key]': 'X-A', 'header[0][value]': '1',
    'header[1][key]': 'X-B', 'header[1][value]': '2', remove_header: '0',
  });
  assert.equal(r.status, 200);
  assert.equal(rowCount(r.text, 'header'), 1);
  assert.equal(inputValue(r.text, 'header-0-key'), 'X-B');
  // Enter in a text field saves: the form's first submit button is a Save.
  assert.match(r.text, /<form method="post" action="[^"]+" class="form endpoint-form" novalidate>\s*<button type="submit" class="default-submit"/);
});

test('Remove asks "Caution!" first, then deletes the endpoint and its rows', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'Doomed', url: `${env('ECHO_URL')}/`, 'header[0][key]': 'X-A', 'header[0][value]': '1' });
  const confirm = await admin.get(`/data-connectors/${id}/endpoints/${eid}/delete`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /<h1>Caution!<\/h1>/);
  assert.match(confirm.text, /Are you sure you want to delete the endpoint Doomed\?/);
  const r = await admin.post(`/data-connectors/${id}/endpoints/${eid}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(r.status, 303);
  assert.equal(r.location, `/data-connectors/${id}/endpoints`);
  const list = await admin.get(r.location);
  assert.equal(flashOf(list.text), 'The endpoint was deleted.');
  assert.match(list.text, /No endpoints yet/);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoint_headers WHERE endpoint_id = ${eid}`)[0].n, '0');
  assert.equal((await admin.get(`/data-connectors/${id}/endpoints/${eid}`)).status, 404);
});

// ---------------------------------------------------------------- Test: json-server

test('json-server: GET a list and GET one with {{id}} from the sample data', async () => {
  const id = await connector(admin);
  const list = await addEndpoint(admin, id, { purpose: 'List', url: `${env('JSON_SERVER_URL')}/customers` });
  let html = await runTest(admin, id, list);
  assert.equal(statusOf(html), 200);
  const all = responseJson(html);
  assert.ok(Array.isArray(all) && all.length >= 5);
  assert.equal(all.find((x) => x.id === 1).name, 'Ada Lovelace');
  assert.match(html, /JSON, formatted/);
  for (const t of ['DNS', 'Connect', 'TLS', 'First byte', 'Total', 'Size']) assert.match(html, new RegExp(`<dt>${t}</dt><dd[^>]*>[0-9.]+ (ms|bytes)</dd>`));
  assert.match(html, /<th scope="row">Content-Type<\/th><td>application\/json/);
  assert.match(html, new RegExp(`href="/data-connectors/${id}/endpoints/${list}" id="close-test">Close<`));

  const one = await addEndpoint(admin, id, {
    purpose: 'One', url: `${env('JSON_SERVER_URL')}/customers/{{id}}`, sample_data: '{"id": 2}',
    'param[0][key]': 'x y', 'param[0][value]': '{{id}}&z',
  });
  html = await runTest(admin, id, one);
  assert.equal(statusOf(html), 200);
  assert.equal(responseJson(html).name, 'Grace Hopper');
  assert.match(textOf(html, 'request-line', 'p'), new RegExp(`GET ${env('JSON_SERVER_URL')}/customers/2\\?x%20y=2%26z$`));
  assert.match(textOf(html, 'curl-command', 'textarea'), /^curl -X GET '/);
  const log = (await sqlLogRows(`SELECT kind, method, url, status, size, error FROM execution_logs WHERE endpoint_id = ${one} ORDER BY id DESC LIMIT 1`))[0];
  assert.equal(log.kind, 'test');
  assert.equal(log.method, 'GET');
  assert.equal(log.status, '200');
  assert.ok(Number(log.size) > 0);
  assert.equal(log.error, '');
});

test('json-server: POST a JSON body built from the sample data, then PUT, PATCH and DELETE it', async () => {
  const id = await connector(admin);
  const cid = 5000 + Math.floor(Math.random() * 100000);
  const sample = JSON.stringify({ id: cid, name: 'Barbara "Liskov"', city: 'Los Angeles', email: 'barbara@example.com' });
  const body = '{"id": {{id}}, "name": "{{name}}", "city": "{{city}}", "email": "{{email}}", "active": true}';
  const post = await addEndpoint(admin, id, { purpose: 'Create', method: 'POST', url: `${env('JSON_SERVER_URL')}/customers`, body, sample_data: sample });
  let html = await runTest(admin, id, post);
  assert.equal(statusOf(html), 201, errorOf(html) || '');
  assert.match(textOf(html, 'request-headers', 'table') || '', /Content-Type\s*application\/json/);
  let got = await jsonServer(`/customers/${cid}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.name, 'Barbara "Liskov"', 'the quote was JSON-escaped');
  assert.equal(got.body.city, 'Los Angeles');

  const put = await addEndpoint(admin, id, {
    purpose: 'Replace', method: 'PUT', url: `${env('JSON_SERVER_URL')}/customers/{{id}}`, sample_data: sample,
    'header[0][key]': 'Content-Type', 'header[0][value]': 'application/json',
    body: '{"name": "{{name}} (updated)", "city": "Boston"}',
  });
  html = await runTest(admin, id, put);
  assert.equal(statusOf(html), 200);
  got = await jsonServer(`/customers/${cid}`);
  assert.deepEqual(got.body, { id: cid, name: 'Barbara "Liskov" (updated)', city: 'Boston' }, 'PUT replaced the record');

  const patch = await addEndpoint(admin, id, {
    purpose: 'Update', method: 'PATCH', url: `${env('JSON_SERVER_URL')}/customers/{{id}}`, sample_data: sample,
    body: '{"active": false}',
  });
  html = await runTest(admin, id, patch);
  assert.equal(statusOf(html), 200);
  got = await jsonServer(`/customers/${cid}`);
  assert.deepEqual(got.body, { id: cid, name: 'Barbara "Liskov" (updated)', city: 'Boston', active: false }, 'PATCH merged');

  const del = await addEndpoint(admin, id, { purpose: 'Delete', method: 'DELETE', url: `${env('JSON_SERVER_URL')}/customers/{{id}}`, sample_data: sample });
  html = await runTest(admin, id, del);
  assert.equal(statusOf(html), 200);
  assert.equal((await jsonServer(`/customers/${cid}`)).status, 404, 'DELETE removed it');
  assert.equal((await jsonServer('/customers/1')).status, 200, 'the fixtures stay');
});

// ------------------------------------------------------------ Test: plain failures

test('an endpoint, header or parameter changed by SQL is what the next Test sends', async () => {
  // Definitions are kept per worker under counter 1 (sql/007): a change made behind
  // dcgate's back must still reach every worker on the next request.
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'By SQL', url: `${env('ECHO_URL')}/before`, 'header[0][key]': 'X-Kept', 'header[0][value]': 'one', 'param[0][key]': 'p', 'param[0][value]': '1' });
  for (let i = 0; i < 10; i++) {
    const seen = responseJson(await runTest(admin, id, eid));
    assert.equal(seen.path, '/before');
    assert.equal(seen.headers['x-kept'], 'one');
    assert.equal(seen.query.p, '1');
  }
  sql(`UPDATE endpoints SET url = '${env('ECHO_URL')}/after' WHERE id = ${eid}`);
  sql(`UPDATE endpoint_headers SET value = 'two' WHERE endpoint_id = ${eid}`);
  sql(`INSERT INTO endpoint_headers (endpoint_id, position, name, value) VALUES (${eid}, 1, 'X-Added', 'three')`);
  sql(`DELETE FROM endpoint_params WHERE endpoint_id = ${eid}`);
  sql(`INSERT INTO endpoint_params (endpoint_id, position, name, value) VALUES (${eid}, 0, 'q', '2')`);
  for (let i = 0; i < 10; i++) {
    const seen = responseJson(await runTest(admin, id, eid));
    assert.equal(seen.path, '/after', `Test ${i} after the SQL change`);
    assert.equal(seen.headers['x-kept'], 'two');
    assert.equal(seen.headers['x-added'], 'three');
    assert.deepEqual(seen.query, { q: '2' });
  }
});

test('a required header or parameter whose value is missing stops the request, naming it', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, {
    purpose: 'Needs id', url: `${env('ECHO_URL')}/echo`, sample_data: '{"other": 1, "empty": ""}',
    'header[0][key]': 'X-Customer', 'header[0][value]': '{{id}}', 'header[0][required]': '1',
  });
  let html = await runTest(admin, id, eid);
  assert.equal(statusOf(html), null, 'not sent');
  assert.equal(errorOf(html), 'Header "X-Customer": The required value "id" is missing or empty. Code: ETEMPLATE');
  const log = (await sqlLogRows(`SELECT status, error FROM execution_logs WHERE endpoint_id = ${eid}`))[0];
  assert.equal(log.status, '0');
  assert.match(log.error, /X-Customer/);
  const p = await addEndpoint(admin, id, {
    purpose: 'Needs q', url: `${env('ECHO_URL')}/echo`, sample_data: '{"empty": ""}',
    'param[0][key]': 'q', 'param[0][value]': '{{empty}}', 'param[0][required]': '1',
  });
  html = await runTest(admin, id, p);
  assert.match(errorOf(html), /^Query parameter "q": The required value "empty" is missing or empty\./);
  // Not required: an empty value is sent as it is.
  const opt = await addEndpoint(admin, id, {
    purpose: 'Optional', url: `${env('ECHO_URL')}/echo`, sample_data: '{"empty": ""}',
    'header[0][key]': 'X-Opt', 'header[0][value]': 'a{{missing}}b',
  });
  html = await runTest(admin, id, opt);
  assert.equal(responseJson(html).headers['x-opt'], 'ab');
});

test('context escaping: {{x}} percent-encoded in the URL, raw with {{{x}}}; a JSON body stays JSON', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, {
    purpose: 'Escape', method: 'POST', url: `${env('ECHO_URL')}/echo/{{seg}}?q={{q}}&raw={{{raw}}}`,
    sample_data: JSON.stringify({ seg: 'a/b c', q: 'x&y=z', raw: 'p%20q', msg: 'say "hi"\n<b>' }),
    body: '{"msg": "{{msg}}"}',
  });
  const html = await runTest(admin, id, eid);
  const echo = responseJson(html);
  assert.equal(echo.path, '/echo/a%2Fb%20c');
  assert.equal(echo.query.q, 'x&y=z');
  assert.equal(echo.query.raw, 'p q');
  assert.deepEqual(echo.json, { msg: 'say "hi"\n<b>' });
  assert.ok(!html.includes('<b>"'), 'the page escapes what it shows');
});

test('escaping by context: a ".." path value stays a segment; a body is escaped by its Content-Type; the form says how', async () => {
  const id = await connector(admin);
  const form = await admin.get(`/data-connectors/${id}/endpoints/new`);
  assert.match(textOf(form.text, 'body-hint', 'p'), /form-urlencoded → percent-encoded, JSON → JSON-escaped, XML .* → XML-escaped, any other type \(e\.g\. text\/plain\) → inserted as it is/);
  const dots = await addEndpoint(admin, id, {
    purpose: 'Dots', url: `${env('ECHO_URL')}/customers/{{id}}/orders`, sample_data: '{"id": ".."}',
  });
  assert.equal(responseJson(await runTest(admin, id, dots)).url, '/customers/%2E%2E/orders');
  const sample = JSON.stringify({ n: 'a&role=admin', x: '</v><admin/>', t: 'a&b <c>' });
  const cases = [
    ['application/x-www-form-urlencoded', 'name={{n}}&x=1', 'name=a%26role%3Dadmin&x=1'],
    [null, 'name={{n}}&x=1', 'name=a%26role%3Dadmin&x=1'],
    ['application/xml', '<v>{{x}}</v>', '<v>&lt;/v&gt;&lt;admin/&gt;</v>'],
    ['text/xml; charset=utf-8', '<v>{{x}}</v>', '<v>&lt;/v&gt;&lt;admin/&gt;</v>'],
    ['application/soap+xml', '<v>{{x}}</v>', '<v>&lt;/v&gt;&lt;admin/&gt;</v>'],
    ['text/plain', 'say {{t}} and {{{t}}}', 'say a&b <c> and a&b <c>'],
  ];
  for (const [type, body, want] of cases) {
    const fields = { purpose: `Body ${type}`, method: 'POST', url: `${env('ECHO_URL')}/echo`, body, sample_data: sample };
    if (type) Object.assign(fields, { 'header[0][key]': 'Content-Type', 'header[0][value]': type });
    const eid = await addEndpoint(admin, id, fields);
    const echo = responseJson(await runTest(admin, id, eid));
    assert.equal(echo.body, want, `${type}: ${body}`);
    if (!type) assert.equal(echo.headers['content-type'], 'application/x-www-form-urlencoded');
  }
});

test('a slow upstream ends with the timeout message, and the server answers meanwhile', async () => {
  const sockets = new Set();
  const slow = http.createServer(() => { /* never answers */ });
  slow.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((res) => slow.listen(0, '127.0.0.1', res));
  try {
    const id = await connector(admin);
    const eid = await addEndpoint(admin, id, { purpose: 'Slow', url: `http://127.0.0.1:${slow.address().port}/slow`, timeout: '1' });
    const started = Date.now();
    const pending = runTest(admin, id, eid);
    const other = await admin.get('/data-connectors');
    assert.equal(other.status, 200, 'another page answers while the test waits');
    const html = await pending;
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 5000 * SLOW, `ended after the 1 s timeout (took ${took} ms)`);
    assert.match(errorOf(html), /did not answer within 1 second/);
    assert.match(errorOf(html), /ETIMEOUT/);
  } finally {
    for (const s of sockets) s.destroy();
    slow.close();
  }
});

/** A key of the running dcgate's config file ("section", "key"), or def. */
function confValue(section, key, def) {
  const text = require('node:fs').readFileSync(env('DCGATE_CONF'), 'utf8');
  let cur = '';
  for (const line of text.split('\n')) {
    const sec = /^\s*\[([^\]]+)\]/.exec(line);
    if (sec) { cur = sec[1].trim(); continue; }
    const kv = /^\s*([A-Za-z0-9_.]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (kv && cur === section && kv[1] === key) return kv[2];
  }
  return def;
}

test('a denied destination address gets its own plain message', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'Metadata', url: 'http://169.254.169.254/latest/meta-data/', timeout: '1' });
  const started = Date.now();
  const html = await runTest(admin, id, eid);
  assert.ok(Date.now() - started < 5000 * SLOW);
  assert.match(errorOf(html), /not allowed by this server's outbound policy/);
  assert.match(errorOf(html), /EDENIED/);
  const zero = await addEndpoint(admin, id, { purpose: 'Zero', url: 'http://0.0.0.0:9/', timeout: '1' });
  assert.match(errorOf(await runTest(admin, id, zero)), /EDENIED/);
});

test('a response over the cap is cut with a notice', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'Big', url: `${env('ECHO_URL')}/big?bytes=1500000` });
  const html = await runTest(admin, id, eid, { timeout: 60000 });
  assert.equal(statusOf(html), 200);
  assert.match(textOf(html, 'response-truncated', 'p'), /cut at 1048576 bytes/);
});

/** dcgate's resident memory in kB (VmRSS of /proc/DCGATE_PID/status). */
function rssKb() {
  const status = require('node:fs').readFileSync(`/proc/${env('DCGATE_PID')}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)[1]);
}

// Six nested sections over a 40-item list: 40^6 (4.1 billion) passes without a budget.
const NESTED = '{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}x{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}';
const FORTY = { a: Array.from({ length: 40 }, (_, i) => i) };

test('the render budget: nested sections over a 40-item list answer 422 at once from save, Test and execute; memory stays flat', async (t) => {
  const id = await connector(admin);
  const { adminToken } = require('./apitokens.js');
  const { Client } = require('./lib.js');
  const token = await adminToken();
  const rss0 = rssKb();
  // Save: the URL is rendered over the sample data.
  let started = Date.now();
  const saved = await postEndpoint(admin, id, {
    purpose: 'Nested URL', url: `${env('ECHO_URL')}/echo/${NESTED}`, sample_data: JSON.stringify(FORTY),
  });
  const saveMs = Date.now() - started;
  assert.equal(saved.status, 422);
  assert.match(fieldError(saved.text, 'url'), /^The template produces too much output/);
  // Test: the body is rendered when sent; another page answers meanwhile.
  const eid = await addEndpoint(admin, id, {
    purpose: 'Nested body', method: 'POST', url: `${env('ECHO_URL')}/echo`, body: `{"x": "${NESTED}"}`,
    sample_data: JSON.stringify(FORTY),
  });
  const page = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  started = Date.now();
  const pending = admin.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) });
  const other = await admin.get('/data-connectors');
  assert.equal(other.status, 200, 'another page answers meanwhile');
  const tested = await pending;
  const testMs = Date.now() - started;
  assert.equal(tested.status, 422);
  assert.match(errorOf(tested.text), /^The request body cannot be built: The template produces too much output/);
  // Execute: the caller sends the long list (the sample data has one item).
  const eid2 = await addEndpoint(admin, id, {
    purpose: 'Nested exec', method: 'POST', url: `${env('ECHO_URL')}/echo`, body: `{"x": "${NESTED}"}`,
    sample_data: '{"a": [1]}',
  });
  assert.ok(eid2);
  started = Date.now();
  const ex = await new Client().api('POST', `/api/1.0/data-connectors/${id}/endpoints/Nested%20exec/execute`, { data: FORTY }, token);
  const execMs = Date.now() - started;
  assert.equal(ex.status, 422, ex.text);
  assert.match(ex.json().message, /The template produces too much output/);
  assert.equal(ex.json().code, 'ETEMPLATE');
  const rss1 = rssKb();
  t.diagnostic(`time to 422: save ${saveMs} ms, Test ${testMs} ms, execute ${execMs} ms; RSS ${rss0} kB before, ${rss1} kB after`);
  // Flat means no growth; the process may give pages back meanwhile (it did: 24056 -> 21100 kB).
  assert.ok(rss1 - rss0 <= rss0 * 0.1, `RSS grows by at most 10%: ${rss0} kB -> ${rss1} kB`);
});

test('a view-only user sees the list and an endpoint but cannot change or test it', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'Viewed', url: `${env('ECHO_URL')}/` });
  const { Client } = require('./lib.js');
  const name = `viewer${Date.now().toString(36)}`;
  const pw = 'viewer-password-123';
  execAdmin(['create-user', name], pw);
  sql(`INSERT INTO user_permissions (user_id, permission) SELECT id, 'view-data-connectors' FROM users WHERE username = '${name}'`);
  const v = new Client();
  assert.equal((await v.login(name, pw)).status, 303);
  const list = await v.get(`/data-connectors/${id}/endpoints`);
  assert.equal(list.status, 200);
  assert.doesNotMatch(list.text, /\+Endpoint/);
  assert.doesNotMatch(list.text, /\/test"/);
  const one = await v.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.equal(one.status, 200);
  assert.match(one.text, /<fieldset class="plain" disabled>/);
  const test403 = await v.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(one.text) });
  assert.equal(test403.status, 403);
  assert.equal((await v.get(`/data-connectors/${id}/endpoints/new`)).status, 403);
});

function execAdmin(args, password) {
  const { execFileSync } = require('node:child_process');
  execFileSync(env('DCGATE_ADMIN_BIN'), args, { env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF'), DCGATE_PASSWORD: password }, encoding: 'utf8' });
}
