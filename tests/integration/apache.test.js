'use strict';
// Apache 2.4 with mod_proxy_fcgi in front of the same dcgate socket, configured from
// conf/apache.conf.example (its <VirtualHost> with this run's paths): static files from
// Apache, everything else through dcgate; the smoke flow of the nginx suites runs through it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Client, env, unique } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');

let apache;

test.before(async () => {
  apache = await ops.startApache('smoke', env('DCGATE_SOCKET'));
});

test.after(async () => {
  if (!apache) return;
  const r = await apache.proc.stop('SIGTERM', 15000);
  assert.equal(r.killed, false, 'Apache stops on TERM');
});

test('Apache serves the static files itself', async () => {
  const logBefore = fs.statSync(env('DCGATE_APP_LOG')).size;
  const r = await new Client(apache.url).get('/static/dcgate.css');
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^text\/css/);
  assert.match(r.headers.get('server') || '', /Apache/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.text, fs.readFileSync(path.join(ops.ROOT, 'static/dcgate.css'), 'utf8'));
  const fd = fs.openSync(env('DCGATE_APP_LOG'), 'r');
  const buf = Buffer.alloc(Math.max(0, fs.fstatSync(fd).size - logBefore));
  fs.readSync(fd, buf, 0, buf.length, logBefore);
  fs.closeSync(fd);
  assert.doesNotMatch(buf.toString(), /\/static\//, 'no static request reached dcgate');
});

test('dcgate sees the same paths, queries and statuses through Apache as through nginx', async () => {
  const paths = [
    '/healthz', '/login', '/login?next=%2Fdata-connectors', '/%6Cogin', '/no-such-page',
    '/data-connectors', '/data-connectors?q=a%20b&page=2', '/login%20x', '/static-not',
  ];
  for (const p of paths) {
    const viaNginx = await new Client().get(p);
    const viaApache = await new Client(apache.url).get(p);
    assert.equal(viaApache.status, viaNginx.status, `${p}: Apache ${viaApache.status}, nginx ${viaNginx.status}`);
    if (viaNginx.location) assert.equal(viaApache.location, viaNginx.location, `${p}: Location`);
  }
  const h = await new Client(apache.url).get('/healthz');
  assert.match(h.contentType, /^application\/json/);
  assert.equal(h.json().database.reachable, true);
  // A body over dcgate's max_body (1 MiB) but under Apache's LimitRequestBody: dcgate's 413.
  const big = await new Client(apache.url).post('/login', { username: 'x', password: 'y'.repeat(1536 * 1024) });
  assert.equal(big.status, 413);
  assert.match(big.contentType, /text\/html/);
  assert.match(ops.pageText(big.text), /dcgate/, 'the 413 page is dcgate\'s, not Apache\'s');
});

test('sign in, create a connector, add an endpoint, test it, delete it — through Apache', async () => {
  const c = new Client(apache.url);
  const login = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(login.status, 303, flow.where(login));
  const home = await c.get('/data-connectors');
  assert.equal(home.status, 200, `signed in through Apache: ${flow.where(home)}`);

  const cat = await flow.createCategory(c, unique('Apache cat'));
  const name = unique('Apache smoke').replace(/[^A-Za-z0-9 ]/g, '');
  const id = await flow.createConnector(c, { name, description: 'through Apache', category_ids: [cat] });
  const show = await c.get(`/data-connectors/${id}`);
  assert.equal(show.status, 200);
  assert.match(ops.pageText(show.text), /The Data Connector was created/);

  const url = `${env('JSON_SERVER_URL')}/customers`;
  const eid = await flow.addEndpoint(c, id, { purpose: 'List', description: 'customers', method: 'GET', url, timeout: 10 });
  const result = await flow.testEndpoint(c, id, eid);
  const text = ops.pageText(result.text);
  assert.match(text, /\b200\b/, 'the Test screen shows the status');
  assert.match(text, /Ada Lovelace/, 'the Test screen shows the json-server answer');
  assert.match(text, /Grace Hopper/);

  await flow.deleteConnector(c, id);
  const gone = await c.get(`/data-connectors/${id}`);
  assert.equal(gone.status, 404);
});
