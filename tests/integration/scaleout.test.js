'use strict';
// Two dcgate processes on one database behind one nginx: the process scripts/test started
// (A, DCGATE_SOCKET) and a second one started here (B: the same config with another
// socket). nginx balances both with an `upstream` (round robin) and, for steps that must
// reach one process, has one extra server per process. Sessions, versions and the OAuth
// token cache live in MariaDB, so it does not matter which process answers. So does a
// connector's rate limit: calls through both processes together keep to it.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Client, env, unique, sql, sqlString, arrivalUpstream } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');
const { userToken, adminToken } = require('./apitokens.js');

let appB;
let web;
let viaA;
let viaB;

test.before(async () => {
  const conf = ops.confCopy('scaleout-b', { 'server.socket': ops.sockPath('scaleout-b') });
  appB = await ops.startDcgate('scaleout-b', conf);
  web = await ops.startNginx('scaleout', [env('DCGATE_SOCKET'), appB.socket], { solo: true });
  [viaA, viaB] = web.soloUrls;
});

test.after(async () => {
  if (web) await web.proc.stop();
  if (appB) {
    const r = await appB.stop('SIGTERM', 30000);
    assert.equal(r.killed, false, 'the second dcgate stops on TERM');
    assert.equal(r.code, 0, `the second dcgate exits 0 on TERM (${JSON.stringify(r)})\n${appB.tail()}`);
  }
});

/** Access-log lines "access METHOD PATH STATUS" a dcgate wrote since OFFSET bytes. */
function accessSince(log, offset) {
  const text = fs.readFileSync(log, 'utf8').slice(offset);
  return text.split('\n').filter((l) => / access [A-Z]+ /.test(l));
}

function logSize(log) {
  return fs.statSync(log).size;
}

/** The user name of an "Authorization: Basic ..." header, or null. */
function basicUser(h) {
  const m = /^Basic\s+(\S+)/i.exec(h || '');
  return m ? decodeURIComponent(Buffer.from(m[1], 'base64').toString('utf8').split(':')[0]) : null;
}

/** A Client on BASE sharing the cookies of OTHER (the same browser, another process). */
function sameBrowser(other, base) {
  const c = new Client(base);
  c.cookies = other.cookies;
  return c;
}

test('sign in through one process and go on through the other', async () => {
  const a = new Client(viaA);
  const offA = logSize(env('DCGATE_APP_LOG'));
  const offB = logSize(appB.log);
  const login = await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(login.status, 303, flow.where(login));
  assert.ok(accessSince(env('DCGATE_APP_LOG'), offA).some((l) => / access POST \/login 303 /.test(l)), 'A signed in');

  const b = sameBrowser(a, viaB);
  const page = await b.get('/data-connectors');
  assert.equal(page.status, 200, `B knows the session A made: ${flow.where(page)}`);
  assert.ok(accessSince(appB.log, offB).some((l) => / access GET \/data-connectors 200 .*user=[1-9]/.test(l)), 'B served it to the signed-in user');

  // Signing out through B ends the session for A too.
  const out = await flow.submitForm(b, '/data-connectors', '/logout', {});
  assert.ok([302, 303].includes(out.status), flow.where(out));
  const after = await a.get('/data-connectors');
  assert.equal(after.status, 302, 'A no longer accepts the session B ended');
  assert.match(after.location || '', /\/login/);
});

test('saves through both processes land in one database; a stale save is refused', async () => {
  const a = new Client(viaA);
  assert.equal((await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  const b = sameBrowser(a, viaB);

  const cat = await flow.createCategory(a, unique('Scale cat'));
  const name = unique('Scale out');
  const id = await flow.createConnector(b, { name, description: 'made by B', category_ids: [cat] });
  assert.equal(sql(`SELECT description FROM connectors WHERE id = ${Number(id)}`)[0].description, 'made by B');

  // Both open the edit form at the same version; A saves first, B's save is then stale.
  const formA = await a.get(`/data-connectors/${id}`);
  const formB = await b.get(`/data-connectors/${id}`);
  const hA = ops.hiddenFields(formA.text, `/data-connectors/${id}`);
  const hB = ops.hiddenFields(formB.text, `/data-connectors/${id}`);
  assert.ok(hA.version, 'the Details form carries the version');
  assert.equal(hA.version, hB.version);
  const saveA = await a.post(`/data-connectors/${id}`, { ...hA, name, description: 'saved by A', category_ids: [cat] });
  assert.equal(saveA.status, 303, flow.where(saveA));
  const saveB = await b.post(`/data-connectors/${id}`, { ...hB, name, description: 'saved by B', category_ids: [cat] });
  assert.equal(saveB.status, 409, flow.where(saveB));
  assert.match(ops.pageText(saveB.text), /changed by someone else/);
  assert.match(saveB.text, /saved by B/, "B's input is kept in the form");
  const row = sql(`SELECT description, version FROM connectors WHERE id = ${Number(id)}`)[0];
  assert.equal(row.description, 'saved by A');
  assert.equal(Number(row.version), Number(hA.version) + 1);

  // B reloads and saves on top of A's change.
  const again = await flow.submitForm(b, `/data-connectors/${id}`, `/data-connectors/${id}`, { name, description: 'saved by B', category_ids: [cat] });
  assert.equal(again.status, 303, flow.where(again));
  assert.equal(sql(`SELECT description FROM connectors WHERE id = ${Number(id)}`)[0].description, 'saved by B');
  await flow.deleteConnector(a, id);
});

test('the upstream spreads requests over both processes', async () => {
  const offA = logSize(env('DCGATE_APP_LOG'));
  const offB = logSize(appB.log);
  const c = new Client(web.url);
  for (let i = 0; i < 20; i++) {
    const r = await c.get(`/healthz?n=${i}`);
    assert.equal(r.status, 200);
  }
  const nA = accessSince(env('DCGATE_APP_LOG'), offA).filter((l) => / GET \/healthz 200 /.test(l)).length;
  const nB = accessSince(appB.log, offB).filter((l) => / GET \/healthz 200 /.test(l)).length;
  assert.equal(nA + nB, 20);
  assert.ok(nA >= 5 && nB >= 5, `round robin: A served ${nA}, B served ${nB}`);
});

test('an OAuth token fetched by one process is used by the other', async () => {
  const a = new Client(viaA);
  assert.equal((await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  const b = sameBrowser(a, viaB);
  const cat = await flow.createCategory(a, unique('Token cat'));
  const id = await flow.createConnector(a, { name: unique('Shared token'), category_ids: [cat] });
  const clientId = `scaleout-${Date.now()}`;
  await flow.setAuthorization(a, id, {
    auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: clientId, client_secret: 'scaleout-secret', scope: 'read', client_auth: 'body',
  });
  const eid = await flow.addEndpoint(a, id, { purpose: 'Resource', method: 'GET', url: `${env('OAUTH_URL')}/resource` });

  const tokenRequests = () => fs.readFileSync(env('OAUTH_LOG'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.path === '/token' && (e.body.client_id === clientId || basicUser(e.headers.authorization) === clientId));

  const first = await flow.testEndpoint(a, id, eid);
  assert.match(ops.pageText(first.text), /"ok"\s*:\s*true/, `A's test reached the resource: ${ops.pageText(first.text).slice(0, 600)}`);
  assert.equal(tokenRequests().length, 1, 'A fetched one token');
  const second = await flow.testEndpoint(b, id, eid);
  assert.match(ops.pageText(second.text), /"ok"\s*:\s*true/, `B's test reached the resource: ${ops.pageText(second.text).slice(0, 600)}`);
  assert.equal(tokenRequests().length, 1, 'B used the token A fetched: still one token request');
  await flow.deleteConnector(a, id);
});

test('a connector\'s rate limit holds for both processes together; a connector without one has no bucket row', async () => {
  const { server: upstream, arrivals } = await arrivalUpstream();
  try {
    const tok = await adminToken(unique('scaleout rate'));
    const L = 4;
    const N = 8; // half through each process; outbound.queue_timeout_ms (5 s) covers the last turn at 1.75 s
    const api = (base, method, path, body) => new Client(base).api(method, path, body, tok);
    const cat = await api(viaA, 'POST', '/api/1.0/data-connector-categories', { name: unique('Rate cat').replace(/[^A-Za-z0-9 ]/g, '') });
    assert.equal(cat.status, 201, cat.text);
    const conn = await api(viaA, 'POST', '/api/1.0/data-connectors', {
      name: unique('Shared rate').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id], rate_limit: L,
    });
    assert.equal(conn.status, 201, conn.text);
    const id = conn.json().id;
    const url = `http://127.0.0.1:${upstream.address().port}/hit`;
    const ep = await api(viaB, 'POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: 'Hit', method: 'GET', url, timeout: 10 });
    assert.equal(ep.status, 201, ep.text);
    const offA = logSize(env('DCGATE_APP_LOG'));
    const offB = logSize(appB.log);
    const answers = await Promise.all(Array.from({ length: N }, (_, i) =>
      api(i % 2 ? viaB : viaA, 'POST', `/api/1.0/data-connectors/${id}/endpoints/Hit/execute`, {})));
    assert.deepEqual(answers.map((a) => a.status), Array(N).fill(200), answers.map((a) => a.text.slice(0, 200)).join('\n'));
    const served = (log, off) => accessSince(log, off).filter((l) => / access POST \/api\/1\.0\/data-connectors\/\d+\/endpoints\/Hit\/execute 200 /.test(l)).length;
    assert.equal(served(env('DCGATE_APP_LOG'), offA), N / 2, 'A made half the calls');
    assert.equal(served(appB.log, offB), N / 2, 'B made the other half');
    const at = arrivals.slice().sort((x, y) => x - y);
    assert.equal(at.length, N);
    // Two buckets of their own would let both processes' first calls in at once (2L a second).
    for (let i = 1; i < N; i++) {
      assert.ok(at[i] - at[i - 1] >= 800 / L, `hit ${i} came ${at[i] - at[i - 1]} ms after the one before: ${at.map((x) => x - at[0]).join(', ')}`);
    }
    for (let i = 0; i < N; i++) {
      const inWindow = at.filter((x) => x >= at[i] && x < at[i] + 1000).length;
      assert.ok(inWindow <= L + 1, `${inWindow} hits in the second from hit ${i}`);
    }
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connector_rate WHERE connector_id = ${id}`)[0].n, '1', 'one shared bucket row');

    const free = await api(viaA, 'POST', '/api/1.0/data-connectors', {
      name: unique('No rate').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id],
    });
    const fid = free.json().id;
    await api(viaA, 'POST', `/api/1.0/data-connectors/${fid}/endpoints`, { purpose: 'Hit', method: 'GET', url, timeout: 10 });
    const freeAnswers = await Promise.all([viaA, viaB].map((b) => api(b, 'POST', `/api/1.0/data-connectors/${fid}/endpoints/Hit/execute`, {})));
    assert.deepEqual(freeAnswers.map((a) => a.status), [200, 200]);
    assert.equal(sql(`SELECT COUNT(*) AS n FROM connector_rate WHERE connector_id = ${fid}`)[0].n, '0', 'no rate limit: no row, no statement');
  } finally {
    upstream.close();
  }
});

test('concurrent saves through both processes: every one is kept, none fails', async (t) => {
  const a = new Client(viaA);
  assert.equal((await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  const cat = await flow.createCategory(a, unique('Busy cat'));
  const headers = Array.from({ length: 20 }, (_, i) => ({ key: `X-Busy-${i}`, value: `v${i}` }));
  // Eight users, each with a connector and an endpoint of its own, half through A, half through B.
  const users = [];
  for (let k = 0; k < 8; k++) {
    const c = k % 2 ? sameBrowser(a, viaB) : sameBrowser(a, viaA);
    const id = await flow.createConnector(c, { name: unique(`Busy ${k}`), category_ids: [cat] });
    const eid = await flow.addEndpoint(c, id, { purpose: 'Busy', method: 'GET', url: `${env('ECHO_URL')}/busy/${k}`, headers });
    users.push({ k, c, id, eid });
  }
  const failures = [];
  let saves = 0;
  await Promise.all(users.map(async ({ k, c, id, eid }) => {
    const p = `/data-connectors/${id}/endpoints/${eid}`;
    for (let n = 0; n < 15; n++) {
      const page = await c.get(p);
      const fields = { ...ops.hiddenFields(page.text, p), purpose: 'Busy', description: `save ${n}`, method: 'GET', url: `${env('ECHO_URL')}/busy/${k}`, timeout: 10 };
      headers.forEach((h, i) => { fields[`header[${i}][key]`] = h.key; fields[`header[${i}][value]`] = `${h.value}-${n}`; });
      const r = await c.post(p, fields);
      saves++;
      if (r.status !== 303) failures.push(`user ${k} save ${n}: ${flow.where(r).slice(0, 200)}`);
    }
  }));
  t.diagnostic(`${saves} saves, ${failures.length} failed`);
  assert.deepEqual(failures, [], 'every concurrent save answered 303');
  for (const { id, eid } of users) {
    const rows = sql(`SELECT description, (SELECT COUNT(*) FROM endpoint_headers h WHERE h.endpoint_id = e.id AND h.value LIKE '%-14') AS n FROM endpoints e WHERE e.id = ${Number(eid)}`);
    assert.deepEqual(rows, [{ description: 'save 14', n: '20' }], 'the last save is the one kept, whole');
    await flow.deleteConnector(a, id);
  }
});

// Each process keeps recent connector list pages and the category list in memory, keyed by
// change counters it reads with every session or token check (sql/005_generations.sql): a
// change made through one process, or by SQL, shows through the other on the next request.
test('list caches: a change through one process shows at once through the other', async () => {
  const a = new Client(viaA);
  assert.equal((await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  const b = sameBrowser(a, viaB);
  const tag = unique('Cachetag').replace(/[^A-Za-z0-9]/g, '');
  const catName = unique('Cache cat');
  const cat = await flow.createCategory(a, catName);
  const id = await flow.createConnector(a, { name: `${tag} first`, description: 'cached', category_ids: [cat] });
  const api = userToken('cache reader', ['view-data-connectors']);
  const listB = async (path) => {
    const r = await b.get(path);
    assert.equal(r.status, 200, flow.where(r));
    return ops.pageText(r.text);
  };
  const apiB = async (query) => {
    const r = await fetch(`${viaB}/api/1.0/data-connectors?${query}`, { headers: { Authorization: `Bearer ${api.token}` } });
    assert.equal(r.status, 200);
    return r.json();
  };
  const search = `/data-connectors?q=${encodeURIComponent(tag)}`;
  const byCat = `/data-connectors?category=${Number(cat)}`;
  // Twice each through B, so that B answers the second from its cache.
  for (let i = 0; i < 2; i++) {
    assert.match(await listB(search), new RegExp(`${tag} first`));
    assert.match(await listB(byCat), new RegExp(`${tag} first`));
    assert.deepEqual((await apiB(`filter=${tag}`)).data.map((r) => r.name), [`${tag} first`]);
  }

  // Rename through A: B's search, category filter and API list show the new name.
  const save = await flow.submitForm(a, `/data-connectors/${id}`, `/data-connectors/${id}`, { name: `${tag} second`, description: 'cached', category_ids: [cat] });
  assert.equal(save.status, 303, flow.where(save));
  for (const path of [search, byCat]) {
    const text = await listB(path);
    assert.match(text, new RegExp(`${tag} second`), `B shows the new name on ${path}`);
    assert.doesNotMatch(text, new RegExp(`${tag} first`), `B forgot the old name on ${path}`);
  }
  assert.deepEqual((await apiB(`filter=${tag}`)).data.map((r) => r.name), [`${tag} second`], 'the API list through B shows the new name');

  // A category renamed through A: its new name in B's rows and filter (and search by it).
  const catNew = unique('Cache cat renamed');
  const ren = await flow.submitForm(a, `/data-connector-categories/${cat}`, `/data-connector-categories/${cat}`, { name: catNew, status: 'active' });
  assert.equal(ren.status, 303, flow.where(ren));
  assert.ok((await listB(byCat)).includes(catNew), 'B shows the renamed category');
  assert.match(await listB(`/data-connectors?q=${encodeURIComponent(catNew)}`), new RegExp(`${tag} second`), 'B finds the connector by its category\'s new name');

  // An endpoint added through A moves the API list's endpoint count through B.
  assert.equal((await apiB(`filter=${tag}`)).data[0].endpoints, 0);
  await flow.addEndpoint(a, id, { purpose: 'Cached', method: 'GET', url: 'https://example.com/x' });
  assert.equal((await apiB(`filter=${tag}`)).data[0].endpoints, 1, 'B counts the new endpoint');

  // A change made by SQL (no dcgate at all) shows too: the triggers count every writer.
  sql(`UPDATE connectors SET name = ${sqlString(`${tag} third`)} WHERE id = ${Number(id)}`);
  assert.match(await listB(search), new RegExp(`${tag} third`), 'B shows a change made by SQL');

  // Deleted through A: gone from B's list at once.
  await flow.deleteConnector(a, id);
  assert.doesNotMatch(await listB(search), new RegExp(tag), 'B no longer lists the deleted connector');
  assert.equal((await apiB(`filter=${tag}`)).data.length, 0);
});

test('a revoked permission, a deactivation or a sign-out through one process counts at once in the other', async () => {
  const a = new Client(viaA);
  assert.equal((await a.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'))).status, 303);
  const username = unique('scale_user').replace(/[^A-Za-z0-9_]/g, '_');
  const pw = 'correct horse 1';
  const made = await flow.submitForm(a, '/admin/users/new', '/admin/users', {
    username, password: pw, display_name: 'Scale', email: '', is_active: '1',
    permissions: ['view-data-connectors', 'view-data-connector-categories'],
  });
  assert.equal(made.status, 303, flow.where(made));
  const uid = Number(sql(`SELECT id FROM users WHERE username = ${sqlString(username)}`)[0].id);
  const u = new Client(viaB);
  assert.equal((await u.login(username, pw)).status, 303);
  for (let i = 0; i < 2; i++) assert.equal((await u.get('/data-connectors')).status, 200, 'B lets the user list');

  // Revoke "view" through A: B refuses the next request.
  const edit = (fields) => flow.submitForm(a, `/admin/users/${uid}`, `/admin/users/${uid}`, {
    username, display_name: 'Scale', email: '', password: '', ...fields,
  });
  let r = await edit({ is_active: '1', permissions: ['view-data-connector-categories'] });
  assert.equal(r.status, 303, flow.where(r));
  assert.equal((await u.get('/data-connectors')).status, 403, 'B refuses at once after the revocation');
  assert.equal((await u.get('/data-connector-categories')).status, 200, 'the other permission still holds');

  // Grant it back, then deactivate through A: B treats the session as gone.
  r = await edit({ is_active: '1', permissions: ['view-data-connectors'] });
  assert.equal(r.status, 303, flow.where(r));
  assert.equal((await u.get('/data-connectors')).status, 200, 'B lets the user list again');
  r = await edit({ permissions: ['view-data-connectors'] });
  assert.equal(r.status, 303, flow.where(r));
  const off = await u.get('/data-connectors');
  assert.equal(off.status, 302, 'B refuses a deactivated user at once');
  assert.match(off.location || '', /\/login/);

  // Sign out through A: B refuses the cookie at once.
  const b = sameBrowser(a, viaB);
  assert.equal((await b.get('/data-connectors')).status, 200);
  const out = await flow.submitForm(a, '/data-connectors', '/logout', {});
  assert.ok([302, 303].includes(out.status), flow.where(out));
  const after = await b.get('/data-connectors');
  assert.equal(after.status, 302, 'B no longer accepts the session A ended');
  assert.match(after.location || '', /\/login/);
});
