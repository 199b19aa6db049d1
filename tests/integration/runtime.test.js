'use strict';
// Issue 18, the connector runtime, on the real stack: response mapping (root array and root
// object, a pointer that matches nothing), error_statuses -> 502, retries (an upstream that
// answers 503 + Retry-After twice, then 200: three execution-log rows; 429 + Retry-After in
// seconds and 503 + Retry-After as an HTTP-date, each then 200, the retry no sooner than asked;
// connect errors: a closed port refused on every attempt, and one that opens after the first
// refused attempt and answers a later one, one row per attempt), the connector's rate
// limit (arrivals spaced by at least 0.8/L s), pagination against json-server's _page/_limit
// and Link headers and small node upstreams for offset and cursor, body types checked by
// the echo upstream (tests/fixtures/echo-server.js), and the Test of an unsaved draft
// (edit permission; nothing saved; credentials only to allowed origins).
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const { Client, adminClient, env, sql, unique, inputValue, csrfFrom } = require('./lib.js');

let keys = 0;
/** A key for the upstream's counters, safe in a URL. */
function ukey(p) {
  keys += 1;
  return `${p}${process.pid}x${keys}x${Date.now()}`;
}
const { adminToken, userToken } = require('./apitokens.js');

let token;
let upstream; // { url, origin, arrivals: {key: [ms]}, hits: {key: n}, retryDates: {key: [HTTP-date]} }

function api(method, path, body, tok = token) {
  return new Client().api(method, path, body, tok);
}

async function sqlLogRows(query, n = 1) {
  for (let i = 0; ; i++) {
    const rows = sql(query);
    if (rows.length >= n || i >= 100) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ITEMS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: `item ${i + 1}`, meta: { rank: 10 - i } }));

/** The test's own data source on 127.0.0.1: flaky, offset, cursor, rate, status and shapes. */
function startUpstream() {
  const arrivals = {};
  const hits = {};
  const retryDates = {};
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const key = u.searchParams.get('key') || '';
    const json = (status, obj, headers = {}) => {
      const body = JSON.stringify(obj);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    (arrivals[`${u.pathname}:${key}`] ||= []).push(Date.now());
    hits[`${u.pathname}:${key}`] = (hits[`${u.pathname}:${key}`] || 0) + 1;
    const n = hits[`${u.pathname}:${key}`];
    switch (u.pathname) {
      case '/flaky': // 503 + Retry-After: 1 twice, then 200
        if (n <= 2) return json(503, { error: 'busy' }, { 'Retry-After': '1' });
        return json(200, { ok: true, attempt: n });
      case '/always503':
        return json(503, { error: 'down' }, { 'Retry-After': '0' });
      case '/busy429': // 429 + Retry-After: 1 (delta-seconds) once, then 200
        if (n <= 1) return json(429, { error: 'slow down' }, { 'Retry-After': '1' });
        return json(200, { ok: true, attempt: n });
      case '/down503date': { // 503 + Retry-After: an HTTP-date about 2 s ahead once, then 200
        if (n > 1) return json(200, { ok: true, attempt: n });
        const until = new Date(Date.now() + 2000).toUTCString();
        (retryDates[`${u.pathname}:${key}`] ||= []).push(until);
        return json(503, { error: 'maintenance' }, { 'Retry-After': until });
      }
      case '/offset': {
        const off = Number(u.searchParams.get('offset') || 0);
        const lim = Number(u.searchParams.get('limit') || 3);
        return json(200, { results: ITEMS.slice(off, off + lim), offset: off });
      }
      case '/cursor': {
        const at = Number(u.searchParams.get('cursor') || 0);
        const next = at + 3 < ITEMS.length ? String(at + 3) : null;
        return json(200, { data: ITEMS.slice(at, at + 3), paging: { next } });
      }
      case '/rate':
        return json(200, { n });
      case '/status':
        res.writeHead(Number(u.searchParams.get('code')), { 'Content-Type': 'text/html' });
        return res.end('<html><body>Not here: the page you asked for is gone</body></html>');
      case '/object':
        return json(200, { user: { id: 7, profile: { email: 'a@example.com' } }, tags: ['x', 'y'] });
      case '/list':
        return json(200, { data: { items: ITEMS.slice(0, 3) } });
      default:
        return json(404, { error: 'no route' });
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ server, url: origin, origin, arrivals, hits, retryDates });
    });
  });
}

async function makeConnector(extra = {}) {
  const cat = await api('POST', '/api/1.0/data-connector-categories', { name: unique('Rt Cat').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(cat.status, 201, cat.text);
  const r = await api('POST', '/api/1.0/data-connectors', {
    name: unique('Rt Conn').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id], ...extra,
  });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

async function makeEndpoint(cid, body) {
  const r = await api('POST', `/api/1.0/data-connectors/${cid}/endpoints`, { method: 'GET', timeout: 10, ...body });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

function execute(cid, purpose, body = {}) {
  return api('POST', `/api/1.0/data-connectors/${cid}/endpoints/${encodeURIComponent(purpose)}/execute`, body);
}

test.before(async () => {
  token = await adminToken();
  upstream = await startUpstream();
});

test.after(() => upstream && upstream.server.close());

test('mapping: a root array maps every item; a pointer that matches nothing is null with a note', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, {
    purpose: 'List', url: `${upstream.url}/list`, response_root: '/data/items',
    response_map: [{ name: 'key', pointer: '/id' }, { name: 'rank', pointer: '/meta/rank' }, { name: 'gone', pointer: '/nope' }],
  });
  const r = await execute(conn.id, 'List');
  assert.equal(r.status, 200, r.text);
  const j = r.json();
  assert.deepEqual(j.data, [
    { key: 1, rank: 10, gone: null }, { key: 2, rank: 9, gone: null }, { key: 3, rank: 8, gone: null },
  ]);
  assert.equal(j.body.data.items.length, 3, 'the raw body is there beside data');
  assert.equal(j.notes.length, 1);
  assert.match(j.notes[0], /"\/nope" of "gone" matched nothing in 3 of 3 items/);
});

test('mapping: a root object maps relative to the root; a root that matches nothing is null', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, {
    purpose: 'Me', url: `${upstream.url}/object`,
    response_map: [{ name: 'id', pointer: '/user/id' }, { name: 'email', pointer: '/user/profile/email' }, { name: 'second_tag', pointer: '/tags/1' }],
  });
  let j = (await execute(conn.id, 'Me')).json();
  assert.deepEqual(j.data, { id: 7, email: 'a@example.com', second_tag: 'y' });
  assert.deepEqual(j.notes, []);
  await makeEndpoint(conn.id, { purpose: 'Nothing', url: `${upstream.url}/object`, response_root: '/missing' });
  j = (await execute(conn.id, 'Nothing')).json();
  assert.equal(j.data, null);
  assert.match(j.notes[0], /response root "\/missing" matched nothing/);
});

test('mapping: a bad pointer is refused beside its field, nothing saved', async () => {
  const conn = await makeConnector();
  const r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints`, {
    purpose: 'Bad', method: 'GET', url: `${upstream.url}/object`, response_root: 'data',
    response_map: [{ name: 'x', pointer: 'id' }], error_statuses: '600', retries: 9, pagination: 'pages',
  });
  assert.equal(r.status, 422, r.text);
  const e = r.json().errors;
  for (const f of ['response_root', 'map[0][pointer]', 'error_statuses', 'retries', 'pagination']) {
    assert.ok(e[f], `an error for ${f}: ${JSON.stringify(e)}`);
  }
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${conn.id}`)[0].n, '0');
});

test('error_statuses: execute answers 502 with the upstream status and a body excerpt', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, { purpose: 'Gone', url: `${upstream.url}/status?code=404` });
  await makeEndpoint(conn.id, { purpose: 'Tolerant', url: `${upstream.url}/status?code=404`, error_statuses: '500-599' });
  const r = await execute(conn.id, 'Gone');
  assert.equal(r.status, 502, r.text);
  const j = r.json();
  assert.equal(j.code, 'ESTATUS');
  assert.equal(j.upstream_status, 404);
  assert.match(j.body_excerpt, /Not here: the page you asked for is gone/);
  const t = await execute(conn.id, 'Tolerant');
  assert.equal(t.status, 200, 'a 404 outside the endpoint\'s error statuses is an answer');
  assert.equal(t.json().status, 404);
});

test('retries: 503 + Retry-After twice then 200 gives success, three log rows, waits honoured', async () => {
  const conn = await makeConnector();
  const key = ukey('flaky');
  const ep = await makeEndpoint(conn.id, { purpose: 'Flaky', url: `${upstream.url}/flaky?key=${key}`, retries: 3, retry_backoff_ms: 50 });
  const r = await execute(conn.id, 'Flaky');
  assert.equal(r.status, 200, r.text);
  const j = r.json();
  assert.deepEqual(j.body, { ok: true, attempt: 3 });
  assert.equal(j.attempts, 3);
  const at = upstream.arrivals[`/flaky:${key}`];
  assert.equal(at.length, 3);
  assert.ok(at[1] - at[0] >= 900 && at[2] - at[1] >= 900, `Retry-After: 1 was honoured: ${at[1] - at[0]}, ${at[2] - at[1]} ms`);
  const rows = await sqlLogRows(`SELECT status FROM execution_logs WHERE endpoint_id = ${ep.id} ORDER BY id`, 3);
  assert.deepEqual(rows.map((x) => x.status), ['503', '503', '200']);
});

test('retries: none by default, POST only with retry_unsafe, at most retries + 1 attempts', async () => {
  const conn = await makeConnector();
  const k1 = ukey('a'); const k2 = ukey('b'); const k3 = ukey('c');
  await makeEndpoint(conn.id, { purpose: 'Default', url: `${upstream.url}/always503?key=${k1}` });
  await makeEndpoint(conn.id, { purpose: 'Post', method: 'POST', url: `${upstream.url}/always503?key=${k2}`, retries: 2, retry_backoff_ms: 10 });
  await makeEndpoint(conn.id, { purpose: 'PostUnsafe', method: 'POST', url: `${upstream.url}/always503?key=${k3}`, retries: 2, retry_backoff_ms: 10, retry_unsafe: true });
  assert.equal((await execute(conn.id, 'Default')).status, 502);
  assert.equal(upstream.hits[`/always503:${k1}`], 1);
  await execute(conn.id, 'Post');
  assert.equal(upstream.hits[`/always503:${k2}`], 1, 'POST is not retried without retry_unsafe');
  const r = await execute(conn.id, 'PostUnsafe');
  assert.equal(r.status, 502);
  assert.equal(upstream.hits[`/always503:${k3}`], 3, 'retries 2 -> 3 attempts');
  assert.equal(r.json().attempts, 3);
});

/** The rows of an endpoint's execution log, oldest first, once there are n of them. */
function attemptRows(eid, n) {
  return sqlLogRows(`SELECT status, error FROM execution_logs WHERE endpoint_id = ${eid} ORDER BY id`, n);
}

test('retries: 429 + Retry-After: 1 (seconds) then 200 gives success, one row per attempt, the wait honoured', async () => {
  const conn = await makeConnector();
  const key = ukey('busy');
  // A backoff of 50 ms: only Retry-After can make the wait a second.
  const ep = await makeEndpoint(conn.id, { purpose: 'Busy', url: `${upstream.url}/busy429?key=${key}`, retries: 2, retry_backoff_ms: 50 });
  const r = await execute(conn.id, 'Busy');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().body, { ok: true, attempt: 2 });
  assert.equal(r.json().attempts, 2);
  const at = upstream.arrivals[`/busy429:${key}`];
  assert.equal(at.length, 2);
  // Date.now() is whole milliseconds: a real 1000 ms gap reads as at least 999.
  assert.ok(at[1] - at[0] >= 999, `Retry-After: 1 was honoured: ${at[1] - at[0]} ms apart`);
  const rows = await attemptRows(ep.id, 2);
  assert.deepEqual(rows.map((x) => x.status), ['429', '200']);
  assert.deepEqual(rows.map((x) => x.error), ['', '']);
});

test('retries: 503 + Retry-After as an HTTP-date then 200: the retry comes no sooner than that date', async () => {
  const conn = await makeConnector();
  const key = ukey('date');
  const ep = await makeEndpoint(conn.id, { purpose: 'Dated', url: `${upstream.url}/down503date?key=${key}`, retries: 2, retry_backoff_ms: 50 });
  const r = await execute(conn.id, 'Dated');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().body, { ok: true, attempt: 2 });
  assert.equal(r.json().attempts, 2);
  const at = upstream.arrivals[`/down503date:${key}`];
  const [until] = upstream.retryDates[`/down503date:${key}`];
  assert.equal(at.length, 2);
  const untilMs = Date.parse(until);
  assert.ok(untilMs - at[0] >= 1000, `the date asked for a wait of at least a second: ${until}, ${untilMs - at[0]} ms`);
  assert.ok(at[1] >= untilMs, `the retry came ${untilMs - at[1]} ms before Retry-After: ${until}`);
  const rows = await attemptRows(ep.id, 2);
  assert.deepEqual(rows.map((x) => x.status), ['503', '200']);
});

/** A TCP port on 127.0.0.1 that nothing listens on (just now). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

test('retries: connect errors are retried, one row each naming the refused connection; a port that opens later answers', async () => {
  const conn = await makeConnector();
  // Nothing ever listens: retries + 1 attempts, each refused, the call fails with EREFUSED.
  const dead = await closedPort();
  const never = await makeEndpoint(conn.id, { purpose: 'Never', url: `http://127.0.0.1:${dead}/x`, retries: 2, retry_backoff_ms: 20 });
  let r = await execute(conn.id, 'Never');
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json().code, 'EREFUSED', r.text);
  assert.equal(r.json().attempts, 3);
  let rows = await attemptRows(never.id, 3);
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.status, '0');
    assert.equal(row.error, 'The connection was refused by the data source.');
  }

  // The port opens only once the first refused attempt is logged: a later attempt gets in.
  const B = 1000;
  const port = await closedPort();
  const late = await makeEndpoint(conn.id, { purpose: 'Late', url: `http://127.0.0.1:${port}/late`, retries: 3, retry_backoff_ms: B });
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(Date.now());
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"late":true}');
  });
  const started = Date.now();
  const call = execute(conn.id, 'Late');
  try {
    rows = await sqlLogRows(`SELECT status, error FROM execution_logs WHERE endpoint_id = ${late.id} ORDER BY id`, 1);
    assert.equal(rows[0].status, '0', 'the first attempt found the port closed');
    await new Promise((resolve, reject) => {
      server.on('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    r = await call;
  } finally {
    server.close();
  }
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().body, { late: true });
  assert.equal(seen.length, 1, 'the upstream saw one request: the attempt after it opened');
  rows = await attemptRows(late.id, r.json().attempts);
  const failed = rows.length - 1;
  assert.ok(failed >= 1, `at least the first attempt was refused: ${JSON.stringify(rows)}`);
  assert.equal(rows.length, r.json().attempts, 'one row per attempt');
  assert.deepEqual(rows.slice(0, failed).map((x) => x.error), Array(failed).fill('The connection was refused by the data source.'));
  assert.deepEqual(rows[failed], { status: '200', error: '' });
  // The waits before attempt k are at least half of B, 2B, 4B... (backoff with jitter).
  let least = 0;
  for (let i = 0; i < failed; i++) least += (B * 2 ** i) / 2;
  assert.ok(seen[0] - started >= least, `${failed} backoff wait(s) of at least ${least} ms in all: ${seen[0] - started} ms`);
});

test('rate limit: parallel calls at L per second reach the upstream spaced by at least 0.8/L s', async () => {
  const L = 4;
  const N = 5;
  const conn = await makeConnector({ rate_limit: L });
  const shown = await api('GET', `/api/1.0/data-connectors/${conn.id}`);
  assert.equal(shown.json().rate_limit, L);
  const key = ukey('rate');
  await makeEndpoint(conn.id, { purpose: 'Rated', url: `${upstream.url}/rate?key=${key}` });
  const answers = await Promise.all(Array.from({ length: N }, () => execute(conn.id, 'Rated')));
  assert.deepEqual(answers.map((a) => a.status), Array(N).fill(200));
  const at = upstream.arrivals[`/rate:${key}`].slice().sort((a, b) => a - b);
  assert.equal(at.length, N);
  for (let i = 1; i < N; i++) {
    assert.ok(at[i] - at[i - 1] >= 800 / L, `arrival ${i} came ${at[i] - at[i - 1]} ms after the one before`);
  }
  const bad = await api('PUT', `/api/1.0/data-connectors/${conn.id}`, { name: conn.name, category_ids: conn.category_ids, version: shown.json().version, rate_limit: 'fast' });
  assert.equal(bad.status, 422);
  assert.ok(bad.json().errors.rate_limit);
});

test('rate limit: a caller whose turn lies past the queue timeout gets 503 + Retry-After', async () => {
  // 0.5 per second: turns at 0, 2, 4 and 6 s; outbound.queue_timeout_ms is 5000 in the test config.
  const conn = await makeConnector({ rate_limit: 0.5 });
  const key = ukey('slow');
  await makeEndpoint(conn.id, { purpose: 'Slow Rate', url: `${upstream.url}/rate?key=${key}` });
  const answers = await Promise.all(Array.from({ length: 4 }, () => execute(conn.id, 'Slow Rate')));
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 503]);
  const refused = answers.find((a) => a.status === 503);
  assert.equal(refused.json().code, 'EBUSY');
  assert.match(refused.json().message, /rate limit \(0\.5 requests per second\)/);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal(upstream.hits[`/rate:${key}`], 3, 'the refused call sent nothing');
});

test('pagination: page (json-server _page/_limit) walks every page and concatenates mapped items', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, {
    purpose: 'Customers', url: `${env('JSON_SERVER_URL')}/customers`,
    pagination: 'page', page_param: '_page', size_param: '_limit', first_page: 1, page_size: 2,
    response_map: [{ name: 'name', pointer: '/name' }],
  });
  const one = (await execute(conn.id, 'Customers')).json();
  assert.equal(one.pages, 1);
  assert.deepEqual(one.data, [{ name: 'Ada Lovelace' }, { name: 'Grace Hopper' }]);
  const all = (await execute(conn.id, 'Customers', { all_pages: true })).json();
  assert.equal(all.pages, 3);
  assert.deepEqual(all.data.map((x) => x.name), ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra']);
});

test('pagination: link follows json-server\'s Link rel="next"; max_pages stops with a note', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, {
    purpose: 'Linked', url: `${env('JSON_SERVER_URL')}/customers?_page=1&_limit=2`, pagination: 'link',
    response_map: [{ name: 'id', pointer: '/id' }],
  });
  const all = (await execute(conn.id, 'Linked', { all_pages: true })).json();
  assert.equal(all.pages, 3);
  assert.deepEqual(all.data.map((x) => x.id), [1, 2, 3, 4, 5]);
  await makeEndpoint(conn.id, {
    purpose: 'Capped', url: `${env('JSON_SERVER_URL')}/customers?_page=1&_limit=2`, pagination: 'link', max_pages: 2,
  });
  const capped = (await execute(conn.id, 'Capped', { all_pages: true })).json();
  assert.equal(capped.pages, 2);
  assert.equal(capped.data.length, 4);
  assert.ok(capped.notes.some((n) => /Stopped after 2 pages/.test(n)), JSON.stringify(capped.notes));
});

test('pagination: offset and cursor against small upstreams', async () => {
  const conn = await makeConnector();
  await makeEndpoint(conn.id, {
    purpose: 'Offset', url: `${upstream.url}/offset`, pagination: 'offset', offset_param: 'offset', limit_param: 'limit', page_size: 3,
    response_root: '/results', response_map: [{ name: 'id', pointer: '/id' }],
  });
  let j = (await execute(conn.id, 'Offset', { all_pages: true })).json();
  assert.equal(j.pages, 3);
  assert.deepEqual(j.data.map((x) => x.id), [1, 2, 3, 4, 5, 6, 7]);
  await makeEndpoint(conn.id, {
    purpose: 'Cursor', url: `${upstream.url}/cursor`, pagination: 'cursor', cursor_pointer: '/paging/next', cursor_param: 'cursor',
    response_root: '/data', response_map: [{ name: 'id', pointer: '/id' }],
  });
  j = (await execute(conn.id, 'Cursor', { all_pages: true })).json();
  assert.equal(j.pages, 3);
  assert.deepEqual(j.data.map((x) => x.id), [1, 2, 3, 4, 5, 6, 7]);
  const bad = await execute(conn.id, 'Cursor', { all_pages: 'yes' });
  assert.equal(bad.status, 422);
});

test('body types: json, form rows and multipart rows reach the echo upstream escaped for their type', async () => {
  const conn = await makeConnector();
  const echo = env('ECHO_URL');
  await makeEndpoint(conn.id, { purpose: 'Json', method: 'POST', url: `${echo}/j`, body_type: 'json', body: '{"name": "{{name}}"}' });
  await makeEndpoint(conn.id, {
    purpose: 'Form', method: 'POST', url: `${echo}/f`, body_type: 'form',
    body_fields: [{ name: 'name', value: '{{name}}' }, { name: 'a b', value: 'x&y' }],
  });
  await makeEndpoint(conn.id, {
    purpose: 'Multi', method: 'POST', url: `${echo}/m`, body_type: 'multipart',
    body_fields: [{ name: 'name', value: '{{name}}' }, { name: 'note', value: 'two\nlines' }],
  });
  const data = { name: 'Ann "Q" & <Co>' };
  let b = (await execute(conn.id, 'Json', { data })).json().body;
  assert.equal(b.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(b.body), { name: 'Ann "Q" & <Co>' });
  b = (await execute(conn.id, 'Form', { data })).json().body;
  assert.equal(b.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(b.body, 'name=Ann+%22Q%22+%26+%3CCo%3E&a+b=x%26y');
  assert.deepEqual(Object.fromEntries(new URLSearchParams(b.body)), { name: 'Ann "Q" & <Co>', 'a b': 'x&y' });
  b = (await execute(conn.id, 'Multi', { data })).json().body;
  const m = /^multipart\/form-data; boundary=(\S+)$/.exec(b.headers['content-type']);
  assert.ok(m, b.headers['content-type']);
  const fd = await new Response(b.body, { headers: { 'Content-Type': b.headers['content-type'] } }).formData();
  assert.equal(fd.get('name'), 'Ann "Q" & <Co>');
  assert.equal(fd.get('note'), 'two\nlines');
  const broken = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, {
    endpoint: { method: 'POST', url: `${echo}/j`, body_type: 'json', body: '{"n": {{{name}}} }' }, data,
  });
  assert.equal(broken.status, 422, 'a JSON body that is not JSON once rendered');
});

test('draft Test: runs the unsaved endpoint in execute\'s shape, saves nothing, needs edit', async () => {
  const conn = await makeConnector();
  const before = sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${conn.id}`)[0].n;
  const draft = {
    method: 'GET', url: `${upstream.url}/list`, response_root: '/data/items',
    response_map: [{ name: 'n', pointer: '/name' }], sample_data: '{}',
  };
  const r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, { endpoint: draft, data: {} });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json().data, [{ n: 'item 1' }, { n: 'item 2' }, { n: 'item 3' }]);
  assert.equal(r.json().body.data.items.length, 3);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${conn.id}`)[0].n, before, 'nothing saved');
  const logs = await sqlLogRows(`SELECT kind FROM execution_logs WHERE connector_id = ${conn.id}`, 1);
  assert.equal(logs[0].kind, 'test');
  const viewer = userToken('rt executor', ['view-data-connectors', 'execute-data-connectors']);
  const denied = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, { endpoint: draft }, viewer.token);
  assert.equal(denied.status, 403);
  const invalid = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, { endpoint: { ...draft, url: 'nope' } });
  assert.equal(invalid.status, 422);
  assert.ok(invalid.json().errors.url);
});

test('draft Test: credentials go only to the connector\'s allowed origins', async () => {
  const conn = await makeConnector();
  const admin = await adminClient();
  const page = await admin.get(`/data-connectors/${conn.id}/authorization`);
  const saved = await admin.post(`/data-connectors/${conn.id}/authorization`, {
    _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', verify_ssl: '1', auth_type: 'bearer', token: 'draft-secret-token-1234',
    allowed_origins: upstream.origin,
  });
  assert.equal(saved.status, 303, saved.text.slice(0, 300));
  const key = ukey('echoed');
  const elsewhere = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, {
    endpoint: { method: 'GET', url: `${env('ECHO_URL')}/steal?key=${key}` },
  });
  assert.equal(elsewhere.status, 403, elsewhere.text);
  assert.equal(elsewhere.json().code, 'EORIGIN');
  assert.ok(!elsewhere.text.includes('draft-secret-token-1234'));
  const ok = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints/test`, {
    endpoint: { method: 'GET', url: `${upstream.url}/object` },
  });
  assert.equal(ok.status, 200, ok.text);
});

test('runtime fields round-trip through the API, export and import', async () => {
  const conn = await makeConnector({ rate_limit: 2.5 });
  const fields = {
    purpose: 'Everything', method: 'POST', url: `${upstream.url}/object`,
    response_root: '/data', response_map: [{ name: 'a', pointer: '/x/0' }, { name: 'b', pointer: '/y~1z' }],
    error_statuses: '400-499, 503', retries: 2, retry_backoff_ms: 250, retry_unsafe: true,
    pagination: 'cursor', page_param: 'p', size_param: 's', first_page: 0, page_size: 25,
    offset_param: 'o', limit_param: 'l', cursor_pointer: '/next', cursor_param: 'after', max_pages: 7,
    body_type: 'form', body_fields: [{ name: 'q', value: '{{q}}' }],
  };
  const ep = await makeEndpoint(conn.id, fields);
  const pick = (o) => Object.fromEntries(Object.keys(fields).map((k) => [k, o[k]]));
  assert.deepEqual(pick(ep), fields);
  const exp = await api('GET', `/api/1.0/data-connectors/${conn.id}/export`);
  assert.equal(exp.status, 200);
  const doc = exp.json();
  assert.equal(doc.rate_limit, 2.5);
  const imp = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name: unique('Rt Copy').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(imp.status, 201, imp.text);
  const copyId = imp.json().id;
  const copy = await api('GET', `/api/1.0/data-connectors/${copyId}`);
  assert.equal(copy.json().rate_limit, 2.5);
  const eps = (await api('GET', `/api/1.0/data-connectors/${copyId}/endpoints`)).json();
  const list = eps.data;
  assert.deepEqual(pick(list[0]), fields);
});

test('the editor: runtime fields saved from the form and shown again; Test this form runs the form unsaved', async () => {
  const conn = await makeConnector();
  const admin = await adminClient();
  const page = await admin.get(`/data-connectors/${conn.id}/endpoints/new`);
  assert.equal(page.status, 200);
  assert.match(page.text, /id="test-draft"[^>]*>Test this form</);
  assert.match(page.text, /formaction="\/data-connectors\/\d+\/endpoints\/test"/);
  const fields = {
    _csrf: csrfFrom(page.text), purpose: 'Form Made', method: 'GET', timeout: '10', url: `${upstream.url}/list`,
    sample_data: '{"x": 1}', response_root: '/data/items', 'map[0][name]': 'who', 'map[0][pointer]': '/name',
    'map[1][name]': 'missing', 'map[1][pointer]': '/nope', error_statuses: '500-599', retries: '2',
    retry_backoff_ms: '100', pagination: 'offset', offset_param: 'o', limit_param: 'l', page_size: '3', max_pages: '4',
    body_type: 'raw',
  };
  // Test this form: the draft as it stands, over the Test data box, nothing saved.
  const t = await admin.post(`/data-connectors/${conn.id}/endpoints/test`, { ...fields, test_data: '{"x": 2}' });
  assert.equal(t.status, 200, t.text.slice(0, 500));
  assert.match(t.text, /unsaved draft/);
  assert.match(t.text, /id="response-data"[^>]*>[\s\S]*&quot;who&quot;: &quot;item 1&quot;/);
  assert.match(t.text, /id="mapping-notes"[\s\S]*\/nope/);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${conn.id}`)[0].n, '0', 'nothing saved');
  const bad = await admin.post(`/data-connectors/${conn.id}/endpoints/test`, { ...fields, response_root: 'x', test_data: '[1]' });
  assert.equal(bad.status, 422);
  assert.match(bad.text, /The draft cannot be tested/);
  assert.match(bad.text, /test_data/);
  // Save from the form and see the values again.
  const saved = await admin.post(`/data-connectors/${conn.id}/endpoints`, fields);
  assert.equal(saved.status, 303, saved.text.slice(0, 300));
  const shown = await admin.get(saved.location);
  assert.match(shown.text, /id="response_root"[^>]*value="\/data\/items"/);
  assert.match(shown.text, /name="map\[0\]\[pointer\]"[^>]*value="\/name"/);
  assert.match(shown.text, /<option value="offset" selected>/);
  assert.match(shown.text, /id="retries"[^>]*value="2"/);
  assert.match(shown.text, /id="test_data"[^>]*>\{&quot;x&quot;: 1\}</, 'Test data prefilled from Sample Data');
  // The saved Test with Fetch all pages.
  const eid = /\/endpoints\/(\d+)$/.exec(saved.location)[1];
  const all = await admin.post(`/data-connectors/${conn.id}/endpoints/${eid}/test`, { _csrf: csrfFrom(shown.text), all_pages: '1' });
  assert.equal(all.status, 200);
  assert.match(all.text, /4 page\(s\)/, '/list ignores the offset: full pages until Max pages');
  assert.match(all.text, /Stopped after 4 pages \(Max pages\)/);
  // A view + execute user may not test a draft.
  const viewer = new Client();
  const u = userToken('rt html viewer', ['view-data-connectors', 'execute-data-connectors']);
  sql(`UPDATE users SET password_hash = (SELECT password_hash FROM (SELECT password_hash FROM users WHERE username = ${JSON.stringify(env('DCGATE_ADMIN_USER')).replace(/"/g, "'")}) x) WHERE id = ${u.id}`);
  const login = await viewer.login(u.username, env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(login.status, 303);
  const vp = await viewer.get(`/data-connectors/${conn.id}/endpoints/${eid}`);
  assert.doesNotMatch(vp.text, /id="test-draft"/);
  const denied = await viewer.post(`/data-connectors/${conn.id}/endpoints/test`, { ...fields, _csrf: csrfFrom(vp.text) });
  assert.equal(denied.status, 403);
});
