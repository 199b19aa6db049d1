'use strict';
// The outbound engine on the real stack: a private dcgate (database.timeout = 2,
// outbound.connector_concurrency = 4, outbound.queue_timeout_ms = 1000) behind its own
// nginx, slow data sources written here, and the suite's MariaDB frozen with SIGSTOP.
// Runs as its own suite (suites run one after another), so a frozen database disturbs no
// other test.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, env, unique, sql, decode, csrfFrom } = require('./lib.js');
const ops = require('../ops/lib.js');
const { userToken } = require('./apitokens.js');

const DB_TIMEOUT = 2;
let app;
let web;
let token;
let cat;

/** A data source on loopback that answers after delay ms; .hits counts requests. */
async function slowSource(delay) {
  const s = http.createServer((req, res) => {
    s.hits++;
    req.resume();
    setTimeout(() => {
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    }, delay);
  });
  s.hits = 0;
  s.keepAliveTimeout = 30000;
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${s.address().port}`;
  return s;
}

function api(method, p, body) {
  return new Client(web.url).api(method, p, body, token);
}

/** A connector with one endpoint "Call" at url; resolves to the connector id. */
async function connectorAt(url, timeout = 30) {
  const c = await api('POST', '/api/1.0/data-connectors', { name: unique('engine'), category_ids: [cat] });
  assert.equal(c.status, 201, c.text);
  const id = c.json().id;
  const e = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: 'Call', url: `${url}/x`, timeout });
  assert.equal(e.status, 201, e.text);
  return id;
}

async function execute(id) {
  const started = performance.now();
  const r = await api('POST', `/api/1.0/data-connectors/${id}/endpoints/Call/execute`, { data: {} });
  return { status: r.status, ms: performance.now() - started, retryAfter: r.headers.get('retry-after'), text: r.text };
}

/** execute through node's http module on AGENT: the measured callers and a flood do not
 * share one client connection pool (what they measure is the gateway, not the client). */
function executeOn(agent, id) {
  const started = performance.now();
  const u = new URL(`${web.url}/api/1.0/data-connectors/${id}/endpoints/Call/execute`);
  const body = JSON.stringify({ data: {} });
  return new Promise((resolve, reject) => {
    const req = http.request(u, {
      method: 'POST', agent,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function p99(values) {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.ceil(v.length * 0.99) - 1)];
}

function dbPid() {
  return Number(fs.readFileSync(path.join(env('TEST_TMP'), 'run', 'mariadbd.pid'), 'utf8').trim());
}

test.before(async () => {
  const conf = ops.confCopy('engine', {
    'server.socket': ops.sockPath('engine'),
    'database.timeout': DB_TIMEOUT,
    'outbound.connector_concurrency': 4,
    'outbound.queue_timeout_ms': 1000,
  });
  app = await ops.startDcgate('engine', conf);
  web = await ops.startNginx('engine', [app.socket]);
  const u = userToken('engine', []);
  sql(`UPDATE users SET is_super_admin = 1 WHERE id = ${u.id}`);
  token = u.token;
  const c = await api('POST', '/api/1.0/data-connector-categories', { name: unique('engine cat') });
  assert.equal(c.status, 201, c.text);
  cat = c.json().id;
});

test.after(async () => {
  if (web) await web.proc.stop();
  if (app) await app.stop('SIGTERM', 30000);
});

test('callers past a connector cap queue; past the queue timeout they get 503 with Retry-After naming the limit', async () => {
  const src = await slowSource(2500);
  try {
    const id = await connectorAt(src.url);
    const calls = await Promise.all(Array.from({ length: 8 }, () => execute(id)));
    const ok = calls.filter((c) => c.status === 200);
    const busy = calls.filter((c) => c.status === 503);
    assert.equal(ok.length, 4, JSON.stringify(calls.map((c) => c.status)));
    assert.equal(busy.length, 4, JSON.stringify(calls.map((c) => c.status)));
    for (const b of busy) {
      assert.ok(Number(b.retryAfter) >= 1, `Retry-After on a 503: ${b.retryAfter}`);
      assert.match(b.text, /already has 4 calls in flight/);
      assert.ok(b.ms >= 900, `a refused caller waited its queue timeout first (${b.ms} ms)`);
    }
    assert.equal(src.hits, 4, 'the refused calls sent nothing');
  } finally {
    src.close();
  }
});

test('a connector\'s own Max concurrent calls overrides the default, and a bad value is refused beside its field', async () => {
  const src = await slowSource(1500);
  try {
    const c = await api('POST', '/api/1.0/data-connectors', { name: unique('engine own cap'), category_ids: [cat], max_concurrency: 2 });
    assert.equal(c.status, 201, c.text);
    const id = c.json().id;
    const got = await api('GET', `/api/1.0/data-connectors/${id}`);
    assert.equal(got.json().max_concurrency, 2);
    const e = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: 'Call', url: `${src.url}/x`, timeout: 30 });
    assert.equal(e.status, 201, e.text);
    const calls = await Promise.all(Array.from({ length: 5 }, () => execute(id)));
    assert.deepEqual(calls.map((x) => x.status).sort(), [200, 200, 503, 503, 503]);
    assert.match(calls.find((x) => x.status === 503).text, /already has 2 calls in flight/);
    // The Details form: a value that is not a whole number comes back with the input kept.
    const admin = new Client(web.url);
    assert.equal((await admin.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
    const page = await admin.get(`/data-connectors/${id}`);
    assert.match(page.text, /id="max_concurrency"[^>]*value="2"/);
    const name = got.json().name;
    const bad = await admin.post(`/data-connectors/${id}`, { _csrf: csrfFrom(page.text), name, description: '',
      max_concurrency: 'lots', category_ids: String(cat), version: String(got.json().version) });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /max concurrent calls must be a whole number from 1 to 100000/);
    assert.match(bad.text, /id="max_concurrency"[^>]*value="lots"/);
  } finally {
    src.close();
  }
});

test('with every slot of a connector stuck, its next Test waits the queue timeout, says busy, and pages still answer', async () => {
  const sockets = new Set();
  const stuck = http.createServer(() => { /* never answers */ });
  stuck.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => stuck.listen(0, '127.0.0.1', r));
  const admin = new Client(web.url);
  assert.equal((await admin.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  try {
    const id = await connectorAt(`http://127.0.0.1:${stuck.address().port}`, 3);
    const [{ id: eid }] = sql(`SELECT id FROM endpoints WHERE connector_id = ${id}`);
    const page = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
    const csrf = csrfFrom(page.text);
    const testPath = `/data-connectors/${id}/endpoints/${eid}/test`;
    const pending = Array.from({ length: 4 }, () => admin.post(testPath, { _csrf: csrf }));
    await ops.until(() => sockets.size >= 4, { timeout: 5000, what: 'four stuck connections' });
    let started = performance.now();
    const busy = await admin.post(testPath, { _csrf: csrf });
    const waited = performance.now() - started;
    const m = /id="test-error">([\s\S]*?)<\/div>/.exec(busy.text);
    const error = m ? decode(m[1].replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()) : '';
    assert.match(error, /already has 4 calls in flight/);
    assert.match(error, /EBUSY/);
    assert.ok(waited >= 900 && waited < 2900, `the busy answer came after the queue timeout (${waited.toFixed(0)} ms)`);
    started = performance.now();
    const other = await admin.get('/data-connectors');
    assert.equal(other.status, 200);
    assert.ok(performance.now() - started < 1000, 'other pages answer at once');
    for (const r of await Promise.all(pending)) assert.match(r.text, /did not answer within 3 seconds/);
  } finally {
    for (const s of sockets) s.destroy();
    stuck.close();
  }
});

test('a connector at its cap does not slow another connector, and every call has its log row', async () => {
  const slow = await slowSource(1500);
  const fast = await slowSource(200);
  try {
    const slowId = await connectorAt(slow.url);
    const fastId = await connectorAt(fast.url);
    const measured = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const flooding = new http.Agent({ keepAlive: true });
    const round = async () => {
      const lat = [];
      for (let i = 0; i < 10; i++) {
        const rs = await Promise.all(Array.from({ length: 4 }, () => executeOn(measured, fastId)));
        for (const r of rs) {
          assert.equal(r.status, 200, r.text);
          lat.push(r.ms);
        }
      }
      return lat;
    };
    await round(); // connections to the fast source are open
    const alone = p99(await round());
    // 12 callers on the slow connector: 4 in flight, 8 queued, the rest of the process free.
    const flood = Promise.all(Array.from({ length: 12 }, () => executeOn(flooding, slowId)));
    await new Promise((r) => setTimeout(r, 200));
    const beside = p99(await round());
    const floodResults = await flood;
    measured.destroy();
    flooding.destroy();
    assert.ok(beside <= alone * 1.2, `p99 beside a capped connector ${beside.toFixed(0)} ms, alone ${alone.toFixed(0)} ms`);
    const statuses = floodResults.map((r) => r.status).sort();
    assert.ok(statuses.every((s) => s === 200 || s === 503), JSON.stringify(statuses));
    assert.ok(statuses.filter((s) => s === 200).length >= 4);
    // Every call that reached the data source has its execution-log row.
    await new Promise((r) => setTimeout(r, 2500)); // the batched writer flushes
    const [{ n: fastRows }] = sql(`SELECT COUNT(*) AS n FROM execution_logs WHERE connector_id = ${fastId}`);
    assert.equal(Number(fastRows), fast.hits, 'one row per call of the fast connector');
    const [{ n: slowRows }] = sql(`SELECT COUNT(*) AS n FROM execution_logs WHERE connector_id = ${slowId} AND status = 200`);
    assert.equal(Number(slowRows), slow.hits, 'one row per call of the slow connector that was sent');
  } finally {
    slow.close();
    fast.close();
  }
});

test('a connection killed mid-transaction: the save answers 503, nothing of it is kept, the next save works', async () => {
  const id = await connectorAt('http://127.0.0.1:9');
  const trigger = `engine_slow_${process.pid}`;
  sql(`CREATE TRIGGER ${trigger} BEFORE INSERT ON endpoint_headers FOR EACH ROW
       SET @engine_slept = IF(NEW.name = 'slow-kill', SLEEP(1.5), 0)`);
  try {
    const body = {
      purpose: 'Killed', url: 'http://127.0.0.1:9/k', timeout: 5,
      headers: [{ key: 'first', value: '1' }, { key: 'slow-kill', value: '2' }, { key: 'third', value: '3' }],
    };
    const saving = api('POST', `/api/1.0/data-connectors/${id}/endpoints`, body);
    let victim;
    await ops.until(() => {
      const rows = sql("SELECT id FROM information_schema.processlist WHERE info LIKE 'SET @engine_slept%' AND state = 'User sleep'");
      victim = rows[0] && rows[0].id;
      return Boolean(victim);
    }, { timeout: 5000, what: 'the save sleeping in its header insert' });
    sql(`KILL CONNECTION ${victim}`);
    const r = await saving;
    assert.equal(r.status, 503, r.text);
    const [{ n: eps }] = sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${id} AND purpose = 'Killed'`);
    assert.equal(Number(eps), 0, 'no endpoint row kept');
    const [{ n: orphans }] = sql(`SELECT COUNT(*) AS n FROM endpoint_headers h LEFT JOIN endpoints e ON e.id = h.endpoint_id WHERE e.id IS NULL`);
    assert.equal(Number(orphans), 0, 'no header row kept');
    const again = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { ...body, headers: body.headers.filter((h) => h.key !== 'slow-kill') });
    assert.equal(again.status, 201, again.text);
    const [{ n: hs }] = sql(`SELECT COUNT(*) AS n FROM endpoint_headers WHERE endpoint_id = ${again.json().id}`);
    assert.equal(Number(hs), 2);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
});

test('a transaction whose connection is killed between statements fails whole, even when its caller goes on', () => {
  const root = path.resolve(__dirname, '..', '..');
  const bin = ['build', 'build-asan'].map((d) => path.join(root, d, 'tests', 'unit', 'db_probe')).find((p) => fs.existsSync(p));
  assert.ok(bin, 'db_probe is built by make check');
  const out = JSON.parse(execFileSync(bin, ['killed', env('DCGATE_CONF')], { encoding: 'utf8', timeout: 30000 }));
  assert.equal(out.begin, 0);
  assert.equal(out.first, 0);
  assert.equal(out.killed, 0, 'the second connection killed the first');
  assert.notEqual(out.second, 0, 'the statement after the loss fails');
  assert.notEqual(out.third, 0, 'the transaction does not go on in autocommit');
  assert.notEqual(out.commit, 0, 'COMMIT reports the failure');
  assert.equal(out.rows, 0, 'nothing of it is kept');
});

test('TERM while calls are in flight: they finish, their rows are written, the process exits 0', async () => {
  const src = await slowSource(800);
  const conf = ops.confCopy('engine-term', { 'server.socket': ops.sockPath('engine-term') });
  const app2 = await ops.startDcgate('engine-term', conf);
  const web2 = await ops.startNginx('engine-term', [app2.socket]);
  try {
    const id = await connectorAt(src.url);
    const c = new Client(web2.url);
    const calls = Array.from({ length: 30 }, () =>
      c.api('POST', `/api/1.0/data-connectors/${id}/endpoints/Call/execute`, { data: {} }, token).then((r) => r.status, () => 0));
    await ops.until(() => src.hits >= 30, { timeout: 10000, what: '30 calls in flight' });
    const stopped = app2.stop('SIGTERM', 30000);
    const statuses = await Promise.all(calls);
    const exit = await stopped;
    assert.equal(exit.killed, false);
    assert.equal(exit.code, 0, app2.tail());
    assert.deepEqual(statuses, Array(30).fill(200), 'every call in flight was answered');
    const [{ n }] = sql(`SELECT COUNT(*) AS n FROM execution_logs WHERE connector_id = ${id}`);
    assert.equal(Number(n), 30, 'every call has its row');
  } finally {
    await web2.proc.stop();
    await app2.stop('SIGKILL', 1000);
    src.close();
  }
});

test('a hung database: /healthz 503 within 2 s, pages 503 within database.timeout + 1 s, all back after', async () => {
  const admin = new Client(web.url);
  const login = await admin.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(login.status, 303);
  assert.equal((await admin.get('/data-connectors')).status, 200);
  const pid = dbPid();
  process.kill(pid, 'SIGSTOP');
  let health;
  let page;
  let many;
  try {
    let t = performance.now();
    const h = await admin.get('/healthz', { timeout: 10000 });
    health = { status: h.status, ms: performance.now() - t, json: h.json() };
    t = performance.now();
    const p = await admin.get('/data-connectors', { timeout: 15000 });
    page = { status: p.status, ms: performance.now() - t };
    t = performance.now();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => admin.get(i % 2 ? '/data-connectors' : '/api/1.0/data-connectors', { timeout: 15000 })));
    many = { statuses: rs.map((r) => r.status), ms: performance.now() - t };
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  assert.equal(health.status, 503);
  assert.equal(health.json.database.reachable, false);
  assert.ok(health.ms < 2000, `/healthz answered in ${health.ms.toFixed(0)} ms`);
  assert.equal(page.status, 503);
  assert.ok(page.ms < (DB_TIMEOUT + 1) * 1000, `the page answered in ${page.ms.toFixed(0)} ms`);
  assert.ok(many.statuses.every((s) => s === 503 || s === 401), JSON.stringify(many.statuses));
  assert.ok(many.ms < (DB_TIMEOUT + 1) * 1000, `20 requests answered in ${many.ms.toFixed(0)} ms`);
  const back = await ops.until(async () => (await admin.get('/healthz')).status === 200, { timeout: 15000, what: 'healthz 200' });
  assert.ok(back);
  const again = await admin.get('/data-connectors');
  assert.equal(again.status, 200, 'the session survived');
  assert.ok(app.alive());
});

