'use strict';
// A Test is a record and every execution-log row opens (issue 20, items 1, 2 and 4):
// POST .../test answers 303 to /data-connector-logs/{id} at once, the row is there while it
// runs, and the page shows the request as sent with secrets masked, the data used, the
// response status, headers and timings; a view-only user can open it but not run it again;
// Run again repeats the call with the same data; Cancel stops waiting; a {{var}} in the URL
// path with no value stops the request naming the variable (Test and API execute); one
// elsewhere is a warning.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, fieldError, inputValue } = require('./lib.js');
const { adminToken, userToken } = require('./apitokens.js');

const SECRET = 'tok-LOGS-very-secret-42';
let admin;
let categoryId;

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

function text(html) {
  return decode(html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '));
}

function byId(html, id) {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:pre|p|dd|div|textarea|code|ul|table)>`).exec(html);
  return m ? decode(m[1].replace(/<[^>]*>/g, ' ')) : null;
}

async function connector(c, auth) {
  if (!categoryId) {
    const name = alnum(unique('Logs Cat'));
    const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
    assert.equal(r.status, 303);
    categoryId = sql(`SELECT id FROM categories WHERE name = '${name}'`)[0].id;
  }
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('Logs Conn')), description: 'logs test', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  const id = /\/data-connectors\/(\d+)$/.exec(r.location)[1];
  if (auth) {
    const page = await c.get(`/data-connectors/${id}/authorization`);
    const s = await c.post(`/data-connectors/${id}/authorization`,
      { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', verify_ssl: '1', ...auth });
    assert.equal(s.status, 303, `authorization saved: ${s.status} ${s.text.slice(0, 400)}`);
  }
  return id;
}

async function addEndpoint(c, id, fields) {
  const page = await c.get(`/data-connectors/${id}/endpoints/new`);
  const r = await c.post(`/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'List', method: 'GET', timeout: '10', ...fields });
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${fieldError(r.text, 'url') || ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

/** Presses Test; returns {location, started ms} without waiting for the result. */
async function pressTest(c, id, eid) {
  const page = await c.get(`/data-connectors/${id}/endpoints/${eid}`);
  const t0 = Date.now();
  const r = await c.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(page.text) }, { followTest: false });
  assert.equal(r.status, 303, `Test answers 303: ${r.status}`);
  assert.match(r.location, /^\/data-connector-logs\/\d+$/);
  return { location: r.location, ms: Date.now() - t0, id: /(\d+)$/.exec(r.location)[1] };
}

test.before(async () => {
  admin = await adminClient();
});

test('Test: 303 to its log entry at once, progress while running, the result with secrets masked', async () => {
  const id = await connector(admin, { auth_type: 'bearer', token: SECRET, allowed_origins: env('ECHO_URL') });
  const eid = await addEndpoint(admin, id, {
    url: `${env('ECHO_URL')}/echo/{{item}}?delay=1200`,
    'header[0][key]': 'X-Trace', 'header[0][value]': 'trace-{{trace}}', 'header[0][description]': '',
    sample_data: JSON.stringify({ item: 'a b' }),
  });
  const t = await pressTest(admin, id, eid);
  assert.ok(t.ms < 1000, `the 303 came before the upstream answered (${t.ms} ms)`);
  const row = sql(`SELECT state, kind, connector_id FROM execution_logs WHERE id = ${t.id}`)[0];
  assert.equal(row.kind, 'test');
  const running = await admin.get(t.location);
  assert.equal(running.status, 200);
  assert.match(running.text, /data-state="running"/, 'progress is shown while the upstream waits');
  assert.match(running.text, /id="test-progress"/);
  assert.match(running.text, /<noscript><meta http-equiv="refresh" content="1"><\/noscript>/, 'refreshes itself without JavaScript');
  assert.match(running.text, /id="test-cancel"/, 'Cancel is offered');

  const done = await admin.testResult(t.location);
  assert.equal(done.status, 200);
  assert.match(done.text, /data-state="done"/);
  assert.match(byId(done.text, 'response-status') || '', /200/);
  assert.match(done.text, /id="response-headers"/);
  assert.match(done.text, /id="response-timings"/);
  assert.match(byId(done.text, 'request-line'), /GET .*\/echo\/a%20b\?delay=1200/);
  assert.match(byId(done.text, 'request-headers'), /Authorization\s+Bearer \*+/, 'the token is masked');
  assert.ok(!done.text.includes(SECRET), 'the secret is nowhere on the page');
  const warn = /id="test-warnings"[^>]*>([\s\S]*?)<\/div>/.exec(done.text);
  assert.ok(warn, 'warnings are shown');
  assert.match(text(warn[1]), /\{\{trace\}\} in header X-Trace has no value/, 'a missing header variable is a warning');
  assert.match(done.text, /id="test-data"/, 'the data used is shown');
  assert.match(text(done.text), /"item": "a b"/);
  // The echo answer (a body, kept for the Test's page) holds the masked header too.
  const body = byId(done.text, 'response-body');
  assert.ok(body && body.includes('"path"'), 'the response body is shown');
  assert.ok(!body.includes(SECRET));

  // Reloadable: the same answer again; and the API shows the same row.
  const again = await admin.get(t.location);
  assert.equal(again.status, 200);
  assert.match(again.text, /data-state="done"/);
  const token = await adminToken();
  const api = await admin.api('GET', `/api/1.0/data-connector-logs/${t.id}`, null, token);
  assert.equal(api.status, 200);
  const j = api.json();
  assert.equal(j.state, 'done');
  assert.equal(j.status, 200);
  assert.ok(j.detail.request.headers.some((h) => h.name === 'Authorization' && /\*/.test(h.value)));
  assert.ok(!api.text.includes(SECRET), 'the API masks the secret too');
  assert.ok(Array.isArray(j.detail.response.headers) && j.detail.response.headers.length > 0);
  assert.ok(j.detail.response.timings.total);
  // The list links the row.
  const list = await admin.get(`/data-connectors/${id}/logs`);
  assert.equal(list.status, 200);

  // A view-only user may open it, not run it again or cancel.
  const viewer = userToken('logs viewer', ['view-data-connectors']);
  const vshow = await new Client().api('GET', `/api/1.0/data-connector-logs/${t.id}`, null, viewer.token);
  assert.equal(vshow.status, 200);
  const vrun = await new Client().api('POST', `/api/1.0/data-connector-logs/${t.id}/run-again`, {}, viewer.token);
  assert.equal(vrun.status, 403);

  // Run again (API): same data, a new row.
  const exec = userToken('logs exec', ['view-data-connectors', 'execute-data-connectors']);
  const ra = await new Client().api('POST', `/api/1.0/data-connector-logs/${t.id}/run-again`, {}, exec.token);
  assert.equal(ra.status, 200, ra.text);
  const rj = ra.json();
  assert.notEqual(String(rj.id), String(t.id));
  assert.equal(rj.state, 'done');
  assert.match(rj.url, /\/echo\/a%20b/);
  assert.ok(!ra.text.includes(SECRET));
});

test('Run again and Cancel from the page; Back to the log never resubmits', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { url: `${env('ECHO_URL')}/echo?delay=3000`, sample_data: '{"n": 1}' });
  const t = await pressTest(admin, id, eid);
  const running = await admin.get(t.location);
  const c = await admin.post(`/data-connector-logs/${t.id}/cancel`, { _csrf: csrfFrom(running.text) });
  assert.equal(c.status, 303);
  const after = await admin.get(c.location);
  assert.match(after.text, /data-state="cancelled"/);
  assert.match(after.text, /id="test-cancelled"/);
  // The run finishing later does not overwrite the cancel.
  await new Promise((ok) => setTimeout(ok, 3500));
  assert.equal(sql(`SELECT state FROM execution_logs WHERE id = ${t.id}`)[0].state, 'cancelled');

  const r = await admin.post(`/data-connector-logs/${t.id}/run-again`, { _csrf: csrfFrom(after.text) });
  assert.equal(r.status, 303);
  assert.notEqual(r.location, t.location);
  const res = await admin.testResult(r.location);
  assert.match(byId(res.text, 'response-status') || '', /200/);
  assert.match(text(res.text), /"n": 1/, 'the same data');
  const newId = /(\d+)$/.exec(r.location)[1];
  assert.ok(sql(`SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), body_expires_at) AS m FROM execution_logs WHERE id = ${newId}`)[0].m <= 60,
    'a Test keeps its bodies an hour by default');

  // Keep bodies for N days: beside the result, checked, then used by the next run.
  assert.match(res.text, /id="keep_bodies_days"[^>]*value="0"/);
  const bad = await admin.post(`/data-connector-logs/${newId}/keep-bodies`, { _csrf: csrfFrom(res.text), keep_bodies_days: '99' });
  assert.equal(bad.status, 422);
  assert.match(text(bad.text), /The number of days to keep bodies must be a whole number from 0 to 30/);
  assert.match(bad.text, /id="keep_bodies_days"[^>]*value="99"/, 'the input is kept');
  const ok = await admin.post(`/data-connector-logs/${newId}/keep-bodies`, { _csrf: csrfFrom(res.text), keep_bodies_days: '3' });
  assert.equal(ok.status, 303);
  assert.equal(Number(sql(`SELECT keep_bodies_days AS d FROM endpoints WHERE id = ${eid}`)[0].d), 3);
  const again = await admin.post(`/data-connector-logs/${newId}/run-again`, { _csrf: csrfFrom(res.text) });
  await admin.testResult(again.location);
  const kept = /(\d+)$/.exec(again.location)[1];
  const days = sql(`SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), body_expires_at) AS h, response_body IS NOT NULL AS b FROM execution_logs WHERE id = ${kept}`)[0];
  assert.ok(Number(days.h) >= 70, `kept about three days (${days.h} h)`);
  assert.equal(String(days.b), '1');
});

test('a {{var}} in the URL path with no value stops the request and names it', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, {
    purpose: 'Order', url: `${env('ECHO_URL')}/orders/{{orderId}}`, sample_data: '{}',
  });
  const t = await pressTest(admin, id, eid);
  const res = await admin.testResult(t.location);
  assert.match(byId(res.text, 'test-error') || '', /The URL path needs a value for \{\{orderId\}\}/);
  assert.doesNotMatch(res.text, /id="response-status"/, 'nothing was sent');
  const row = sql(`SELECT status, error FROM execution_logs WHERE id = ${t.id}`)[0];
  assert.equal(Number(row.status), 0);
  assert.match(row.error, /orderId/);
  // The API's execute refuses it the same way: 422 naming the variable.
  const token = await adminToken();
  const ex = await admin.api('POST', `/api/1.0/data-connectors/${id}/endpoints/Order/execute`, { data: {} }, token);
  assert.equal(ex.status, 422, ex.text);
  assert.match(ex.json().message, /\{\{orderId\}\}/);
  const ok = await admin.api('POST', `/api/1.0/data-connectors/${id}/endpoints/Order/execute`, { data: { orderId: 7 } }, token);
  assert.equal(ok.status, 200, ok.text);
});

/** The newest execution-log row of connector id (the Logs page flushes the batch writer). */
async function newestRow(c, id, kind = 'execute') {
  const list = await c.get(`/data-connectors/${id}/logs`);
  assert.equal(list.status, 200);
  const r = sql(`SELECT id FROM execution_logs WHERE connector_id = ${id} AND kind = '${kind}' ORDER BY id DESC LIMIT 1`);
  assert.equal(r.length, 1, 'the row is written');
  return r[0].id;
}

test('an API call\'s row opens like a Test\'s: request as sent (masked), data, response, error; bodies only when kept', async () => {
  const id = await connector(admin, { auth_type: 'bearer', token: SECRET, allowed_origins: env('ECHO_URL') });
  const eid = await addEndpoint(admin, id, {
    purpose: 'Echo', url: `${env('ECHO_URL')}/echo/{{item}}`,
    'header[0][key]': 'X-Trace', 'header[0][value]': 'trace-{{trace}}', 'header[0][description]': '',
  });
  const plain = await connector(admin);
  await addEndpoint(admin, plain, { purpose: 'Closed', url: 'http://127.0.0.1:9/x' });
  const token = await adminToken();
  const call = (purpose, data, cid = id) => new Client().api('POST',
    `/api/1.0/data-connectors/${cid}/endpoints/${purpose}/execute`, { data }, token);
  let r = await call('Echo', { item: 'x y', trace: 'T1', note: SECRET });
  assert.equal(r.status, 200, r.text);
  let row = await newestRow(admin, id);
  let page = await admin.get(`/data-connector-logs/${row}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1[^>]*>API call: Echo/);
  assert.match(byId(page.text, 'request-line'), /GET .*\/echo\/x%20y/);
  assert.match(byId(page.text, 'request-headers'), /Authorization\s+Bearer \*+/, 'the token is masked');
  assert.match(byId(page.text, 'request-headers'), /X-Trace\s+trace-T1/);
  assert.match(byId(page.text, 'response-status') || '', /200/);
  assert.match(page.text, /id="response-headers"/);
  assert.match(page.text, /id="response-timings"/);
  assert.match(text(page.text), /"item": "x y"/, 'the caller\'s data is shown');
  assert.match(text(page.text), /API call: the caller's data/);
  assert.match(page.text, /id="response-body-not-kept"/, 'no body: the endpoint does not keep them');
  assert.ok(!page.text.includes(SECRET), 'the secret is masked everywhere on the page, the data included');
  const api = await admin.api('GET', `/api/1.0/data-connector-logs/${row}`, null, token);
  assert.equal(api.status, 200);
  assert.equal(api.json().detail.request.method, 'GET');
  assert.ok(!api.text.includes(SECRET));
  assert.equal(sql(`SELECT response_body IS NULL AS n FROM execution_logs WHERE id = ${row}`)[0].n, '1');

  // Opted in: the next call's bodies are kept, masked, for the days chosen.
  const ok = await admin.post(`/data-connector-logs/${row}/keep-bodies`, { _csrf: csrfFrom(page.text), keep_bodies_days: '2' });
  assert.equal(ok.status, 303);
  r = await call('Echo', { item: 'kept', trace: 'T2' });
  assert.equal(r.status, 200, r.text);
  row = await newestRow(admin, id);
  page = await admin.get(`/data-connector-logs/${row}`);
  const body = byId(page.text, 'response-body');
  assert.ok(body && body.includes('/echo/kept'), 'the kept response body is shown');
  assert.ok(!page.text.includes(SECRET));
  const kept = sql(`SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), body_expires_at) AS h FROM execution_logs WHERE id = ${row}`)[0];
  assert.ok(Number(kept.h) >= 46 && Number(kept.h) <= 48, `kept two days (${kept.h} h)`);

  // Calls that fail: the error in plain words on the page, the request as it would have gone.
  r = await call('Closed', {}, plain);
  assert.equal(r.status, 502, r.text);
  row = await newestRow(admin, plain);
  page = await admin.get(`/data-connector-logs/${row}`);
  assert.equal(byId(page.text, 'test-error').trim(), r.json().message, 'the error as the caller got it');
  assert.match(byId(page.text, 'request-line'), /GET\s+http:\/\/127\.0\.0\.1:9\/x/);
  await addEndpoint(admin, id, { purpose: 'Elsewhere', url: 'http://127.0.0.1:9/x' });
  r = await call('Elsewhere', {});
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json().code, 'EORIGIN');
  row = await newestRow(admin, id);
  page = await admin.get(`/data-connector-logs/${row}`);
  assert.match(byId(page.text, 'test-error'), /may only be sent to/, 'a refused call says why');
});

test('Keep bodies for N days on the endpoint form: checked like the log entry\'s, saved, shown again, used by Test and execute', async () => {
  const id = await connector(admin);
  const eid = await addEndpoint(admin, id, { purpose: 'Keep', url: `${env('ECHO_URL')}/echo/{{item}}`, sample_data: '{"item": "k"}' });
  let form = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.match(form.text, /id="keep_bodies_days"[^>]*value="0"/, 'a new endpoint keeps no bodies');
  const fields = { purpose: 'Keep', method: 'GET', timeout: '10', url: `${env('ECHO_URL')}/echo/{{item}}`, sample_data: '{"item": "k"}' };
  // The same check as the log entry's control: 0-30, the input kept, nothing saved.
  const bad = await admin.post(`/data-connectors/${id}/endpoints/${eid}`, { _csrf: csrfFrom(form.text), ...fields, keep_bodies_days: '31' });
  assert.equal(bad.status, 422);
  assert.equal(fieldError(bad.text, 'keep_bodies_days'), 'The number of days to keep bodies must be a whole number from 0 to 30.');
  assert.match(bad.text, /id="keep_bodies_days"[^>]*value="31"/, 'the input is kept');
  assert.equal(Number(sql(`SELECT keep_bodies_days AS d FROM endpoints WHERE id = ${eid}`)[0].d), 0, 'nothing saved');
  const ok = await admin.post(`/data-connectors/${id}/endpoints/${eid}`, { _csrf: csrfFrom(form.text), ...fields, keep_bodies_days: '5' });
  assert.equal(ok.status, 303, fieldError(ok.text, 'keep_bodies_days') || ok.text.slice(0, 300));
  assert.equal(Number(sql(`SELECT keep_bodies_days AS d FROM endpoints WHERE id = ${eid}`)[0].d), 5);
  form = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.match(form.text, /id="keep_bodies_days"[^>]*value="5"/, 'the form shows the saved value');
  // The JSON API and the export carry it.
  const token = await adminToken();
  const one = await admin.api('GET', `/api/1.0/data-connectors/${id}/endpoints/${eid}`, null, token);
  assert.equal(one.status, 200, one.text);
  assert.equal((one.json().data || one.json()).keep_bodies_days, 5);
  const exp = await admin.api('GET', `/api/1.0/data-connectors/${id}/export`, null, token);
  assert.equal(exp.status, 200, exp.text);
  assert.equal(exp.json().endpoints.find((e) => e.purpose === 'Keep').keep_bodies_days, 5);
  // A Test of the endpoint keeps its bodies five days, not the hour of a Test.
  const t = await pressTest(admin, id, eid);
  const res = await admin.testResult(t.location);
  assert.match(byId(res.text, 'response-status') || '', /200/);
  assert.match(res.text, /id="keep_bodies_days"[^>]*value="5"/, 'the log entry\'s control shows the same setting');
  const kept = sql(`SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), body_expires_at) AS h, response_body IS NOT NULL AS b FROM execution_logs WHERE id = ${t.id}`)[0];
  assert.ok(Number(kept.h) >= 118 && Number(kept.h) <= 120, `a Test's bodies kept about five days (${kept.h} h)`);
  assert.equal(String(kept.b), '1');
  // An execute too.
  const ex = await new Client().api('POST', `/api/1.0/data-connectors/${id}/endpoints/Keep/execute`, { data: { item: 'e' } }, token);
  assert.equal(ex.status, 200, ex.text);
  const row = await newestRow(admin, id);
  const exRow = sql(`SELECT TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), body_expires_at) AS h, response_body AS b FROM execution_logs WHERE id = ${row}`)[0];
  assert.ok(Number(exRow.h) >= 118 && Number(exRow.h) <= 120, `an execute's bodies kept about five days (${exRow.h} h)`);
  assert.match(exRow.b, /\/echo\/e/);
  // Back to 0 through the JSON API: an execute keeps nothing, a Test its hour only.
  const put = await admin.api('PUT', `/api/1.0/data-connectors/${id}/endpoints/${eid}`, { ...fields, keep_bodies_days: 0 }, token);
  assert.equal(put.status, 200, put.text);
  assert.equal(Number(sql(`SELECT keep_bodies_days AS d FROM endpoints WHERE id = ${eid}`)[0].d), 0);
  const bad2 = await admin.api('PUT', `/api/1.0/data-connectors/${id}/endpoints/${eid}`, { ...fields, keep_bodies_days: 99 }, token);
  assert.equal(bad2.status, 422, bad2.text);
  assert.ok(bad2.json().errors.keep_bodies_days, bad2.text);
  const t2 = await pressTest(admin, id, eid);
  await admin.testResult(t2.location);
  const hour = sql(`SELECT TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(), body_expires_at) AS m FROM execution_logs WHERE id = ${t2.id}`)[0];
  assert.ok(Number(hour.m) <= 60, `a Test's bodies an hour (${hour.m} min)`);
  const ex2 = await new Client().api('POST', `/api/1.0/data-connectors/${id}/endpoints/Keep/execute`, { data: { item: 'f' } }, token);
  assert.equal(ex2.status, 200, ex2.text);
  const row2 = await newestRow(admin, id);
  assert.equal(sql(`SELECT response_body IS NULL AS n FROM execution_logs WHERE id = ${row2}`)[0].n, '1', 'an execute keeps nothing');
});
