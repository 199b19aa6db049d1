'use strict';
// dcgate on a 3-node MariaDB Galera cluster (scripts/galera.sh, started by scripts/test for
// this suite only): three dcgate processes, process i on node i, one key file, behind one
// nginx upstream (round robin) plus one server per process (soloUrls[i]) to reach one.
//
// What must hold (README "Scaling out"):
//   - 100 concurrent saves across the nodes (different connectors, and one connector from
//     several browsers): every answer tells the truth (303 = applied whole; 409 or 503 =
//     nothing changed), no partial row after the run, and saves of different connectors
//     through different nodes do not conflict at all (no hot counter row, sql/009);
//   - a revoked token, a deactivated user and a fresh sign-in are seen at once through
//     every node (200 tries each; needs database.sync_wait);
//   - one OAuth token fetch per connector across the nodes (the lease of sql/008);
//   - a connector's rate limit holds for processes on two nodes calling it at once (the
//     shared bucket of sql/024 retried on certification conflicts, no process's own);
//   - /healthz tells the truth while a node is cut off (non-Primary), and a valid token is
//     never answered 401;
//   - a node killed: the processes on it fail over within 10 s (needs database.hosts).
// Each process has database.hosts (its node first, then the others) and database.sync_wait on.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { Client, env, unique, sqlString, arrivalUpstream } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');

const ROOT = path.resolve(__dirname, '../..');
const NODES = env('GALERA_HOSTS').split(',');
const SOCKETS = env('GALERA_SOCKETS').split(',');
const ADMIN_PW = 'galera admin pw 1';

let apps = [];
let web;
let via = []; // soloUrls: via[i] reaches process i (on node i)
let admins = []; // a signed-in admin Client per process

/** Rows of a statement run as root on node N (0-based) in the dcgate database. */
function gsql(n, query) {
  const out = execFileSync('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${SOCKETS[n]}`, '-uroot',
    '--batch', '--default-character-set=utf8mb4', env('DCGATE_DB_NAME'), '-e', query], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const lines = out.split('\n').filter((l) => l !== '');
  if (!lines.length) return [];
  const cols = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const v = l.split('\t');
    return Object.fromEntries(cols.map((c, i) => [c, v[i] === 'NULL' ? null : v[i]]));
  });
}

function ctl(...args) {
  return execFileSync(env('GALERA_CTL'), args.map(String), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180000 });
}

/** Certification failures and brute-force aborts summed over the nodes that answer. */
function conflicts() {
  let n = 0;
  for (let i = 0; i < SOCKETS.length; i++) {
    try {
      for (const r of gsql(i, "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')")) n += Number(r.v);
    } catch { /* a node that is down */ }
  }
  return n;
}

function admin(conf, ...args) {
  return execFileSync(env('DCGATE_ADMIN_BIN'), args, { encoding: 'utf8', env: { ...process.env, DCGATE_CONF: conf, DCGATE_PASSWORD: ADMIN_PW } });
}

/** The config of process i: its node first (then the others, when database.hosts exists). */
function confFor(i) {
  const [host, port] = NODES[i].split(':');
  const changes = {
    'server.socket': ops.sockPath(`galera-${i}`),
    'database.socket': '',
    'database.host': host,
    'database.port': port,
    'security.scrypt_log_n': 10,
  };
  changes['database.hosts'] = [...NODES.slice(i), ...NODES.slice(0, i)].join(',');
  changes['database.sync_wait'] = 'on';
  return ops.confCopy(`galera-${i}`, changes);
}

test.before(async () => {
  const confs = NODES.map((_, i) => confFor(i));
  admin(confs[0], 'migrate');
  admin(confs[0], 'create-user', 'admin', '--super-admin');
  for (let i = 0; i < NODES.length; i++) apps.push(await ops.startDcgate(`galera-${i}`, confs[i]));
  web = await ops.startNginx('galera', apps.map((a) => a.socket), { solo: true });
  via = web.soloUrls;
  for (const u of via) {
    const c = new Client(u);
    const r = await c.login('admin', ADMIN_PW);
    assert.equal(r.status, 303, flow.where(r));
    await c.get('/profile'); // its _csrf, for the token revocations
    admins.push(c);
  }
});

test.after(async () => {
  if (web) await web.proc.stop();
  for (const a of apps) await a.stop('SIGTERM', 30000);
});

test('every process answers /healthz 200 on a synced node', async () => {
  for (const u of via) {
    const r = await new Client(u).get('/healthz');
    assert.equal(r.status, 200, r.text);
    const d = r.json().database;
    assert.equal(d.galera, true);
    assert.equal(d.synced, true);
    assert.equal(d.reachable, true);
  }
});

/** Connectors made by SQL on node 1 (fast fixtures): ids. */
function makeConnectors(prefix, n) {
  const ids = [];
  for (let k = 0; k < n; k++) {
    const name = unique(`${prefix} ${k}`);
    gsql(0, `INSERT INTO connectors (name, description) VALUES (${sqlString(name)}, 'start')`);
    ids.push(Number(gsql(0, `SELECT id FROM connectors WHERE name = ${sqlString(name)}`)[0].id));
  }
  return ids;
}

// The category links a save with number K asks for: a subset of cats chosen by K's bits
// (never empty), so a save applied in part (description without its links) shows.
function catsOf(k, cats) {
  const set = cats.filter((_, b) => k & (1 << b));
  return set.length ? set : [cats[0]];
}

test('100 concurrent saves across the nodes: every answer tells the truth, no partial row', async (t) => {
  const cats = [];
  for (let b = 0; b < 3; b++) {
    const name = unique(`Gal cat ${b}`);
    gsql(0, `INSERT INTO categories (name, status) VALUES (${sqlString(name)}, 'active')`);
    cats.push(Number(gsql(0, `SELECT id FROM categories WHERE name = ${sqlString(name)}`)[0].id));
  }
  const own = makeConnectors('Gal own', 6); // one worker each: different connectors
  const [shared] = makeConnectors('Gal shared', 1); // four workers: the same connector
  const all = [...own, shared];
  const before = Object.fromEntries(all.map((id) => [id, Number(gsql(0, `SELECT version FROM connectors WHERE id = ${id}`)[0].version)]));
  const answers = []; // {id, k, node, status}
  let seq = 0;
  const save = async (w, id, n) => {
    const node = (w + n) % via.length;
    const c = new Client(via[node]);
    c.cookies = admins[node].cookies;
    const p = `/data-connectors/${id}`;
    const form = await c.get(p);
    if (form.status !== 200) {
      answers.push({ id, k: -1, node, status: form.status, form: true, text: flow.where(form).slice(0, 200) });
      return;
    }
    const k = ++seq;
    const hidden = ops.hiddenFields(form.text, p);
    const r = await c.post(p, { ...hidden, name: `Gal ${id} save ${k}`, description: `save ${k}`, category_ids: catsOf(k, cats) });
    answers.push({ id, k, node, status: r.status, text: r.status === 303 ? '' : flow.where(r).slice(0, 200) });
  };
  const c0 = conflicts();
  const workers = [];
  own.forEach((id, w) => workers.push((async () => { for (let n = 0; n < 10; n++) await save(w, id, n); })()));
  for (let w = 0; w < 4; w++) workers.push((async () => { for (let n = 0; n < 10; n++) await save(w, shared, n); })());
  await Promise.all(workers);
  const c1 = conflicts();

  const count = (f) => answers.filter(f).length;
  t.diagnostic(`${answers.length} saves: ${count((a) => a.status === 303)} x 303, ${count((a) => a.status === 409)} x 409, ${count((a) => a.status === 503)} x 503, ${count((a) => ![303, 409, 503].includes(a.status))} other; cluster conflicts (cert failures + BF aborts) ${c1 - c0}`);
  const ownAnswers = answers.filter((a) => a.id !== shared);
  t.diagnostic(`different connectors: ${count((a) => a.id !== shared && a.status === 303)}/${ownAnswers.length} x 303`);

  // Every finding, so that one run shows them all.
  const problems = [];
  for (const a of answers.filter((x) => ![303, 409, 503].includes(x.status))) {
    problems.push(`a valid save answered ${a.status} (not 303, 409 or 503): connector ${a.id} save ${a.k} through ${a.node}: ${a.text}`);
  }
  for (const id of all) {
    const row = gsql(1, `SELECT description, version FROM connectors WHERE id = ${id}`)[0];
    const applied = answers.filter((a) => a.id === id && a.status === 303);
    if (Number(row.version) - before[id] !== applied.length) {
      problems.push(`connector ${id}: version moved ${Number(row.version) - before[id]} times for ${applied.length} answers 303`);
    }
    if (applied.length === 0) {
      if (row.description !== 'start') problems.push(`connector ${id}: changed (${row.description}) without any 303`);
      continue;
    }
    const m = /^save (\d+)$/.exec(row.description);
    const k = m ? Number(m[1]) : -1;
    if (!applied.some((a) => a.k === k)) problems.push(`connector ${id}: keeps "${row.description}", not a save answered 303`);
    const links = gsql(2, `SELECT category_id FROM connector_categories WHERE connector_id = ${id} ORDER BY category_id`).map((r) => Number(r.category_id));
    const want = catsOf(k, cats).sort((a, b) => a - b);
    if (JSON.stringify(links) !== JSON.stringify(want)) problems.push(`connector ${id}: partial save: description of save ${k}, links ${links} instead of ${want}`);
  }
  // Saves of different connectors through different nodes share no row: none may fail.
  for (const a of ownAnswers.filter((x) => x.status !== 303)) {
    problems.push(`different connectors conflicted: connector ${a.id} save ${a.k} through ${a.node} answered ${a.status}`);
  }
  if (!answers.some((a) => a.id === shared && a.status === 303)) problems.push('the shared connector took no save');
  assert.deepEqual(problems, [], 'every answer tells the truth, nothing partial, no conflict between different connectors');
});

/** Through node i, then node j != i: [i, j] pairs over the three processes. */
function pair(n) {
  const i = n % via.length;
  return [i, (i + 1 + (Math.floor(n / via.length) % (via.length - 1))) % via.length];
}

test('a fresh sign-in is seen at once through every node (200 tries)', async () => {
  const username = unique('gal_fresh').replace(/[^A-Za-z0-9_]/g, '_');
  const pw = 'fresh horse 1';
  const made = await flow.submitForm(admins[0], '/admin/users/new', '/admin/users', {
    username, password: pw, display_name: 'Fresh', email: '', is_active: '1', permissions: ['view-data-connectors'],
  });
  assert.equal(made.status, 303, flow.where(made));
  const bad = [];
  for (let n = 0; n < 200; n++) {
    const [i, j] = pair(n);
    const a = new Client(via[i]);
    const r = await a.login(username, pw);
    if (r.status !== 303) { bad.push(`try ${n}: sign-in through ${i}: ${r.status}`); continue; }
    const b = new Client(via[j]);
    b.cookies = a.cookies;
    const page = await b.get('/data-connectors');
    if (page.status !== 200) bad.push(`try ${n}: signed in through ${i}, ${page.status} through ${j}`);
  }
  assert.deepEqual(bad, [], 'the new session works at once through another node');
});

test('a revoked API token is refused at once through every node (200 tries)', async () => {
  const uid = Number(gsql(0, "SELECT id FROM users WHERE username = 'admin'")[0].id);
  const bad = [];
  for (let n = 0; n < 200; n++) {
    const [i, j] = pair(n);
    const token = `dcg_${crypto.randomBytes(32).toString('base64url')}`;
    const hash = crypto.createHash('sha256').update(token).digest('hex');
    const name = `gal ${n} ${Date.now()}`;
    gsql(i, `INSERT INTO api_tokens (user_id, name, token_hash) VALUES (${uid}, ${sqlString(name)}, '${hash}')`);
    const id = Number(gsql(i, `SELECT id FROM api_tokens WHERE token_hash = '${hash}'`)[0].id);
    const ok = await new Client(via[j]).api('GET', '/api/1.0/users/me', null, token);
    if (ok.status !== 200) bad.push(`try ${n}: a new token (made on node ${i}) answered ${ok.status} through ${j}`);
    const del = await admins[i].post(`/profile/tokens/${id}/delete`, { _csrf: admins[i].csrf });
    if (![302, 303].includes(del.status)) { bad.push(`try ${n}: revoke through ${i}: ${flow.where(del).slice(0, 200)}`); continue; }
    const gone = await new Client(via[j]).api('GET', '/api/1.0/users/me', null, token);
    if (gone.status !== 401) bad.push(`try ${n}: revoked through ${i}, ${gone.status} through ${j}`);
  }
  assert.deepEqual(bad, [], 'a revoked token is refused at once through another node');
});

test('a deactivated user is refused at once through every node (200 tries)', async () => {
  const username = unique('gal_off').replace(/[^A-Za-z0-9_]/g, '_');
  const pw = 'off horse 1';
  const made = await flow.submitForm(admins[0], '/admin/users/new', '/admin/users', {
    username, password: pw, display_name: 'Off', email: '', is_active: '1', permissions: ['view-data-connectors'],
  });
  assert.equal(made.status, 303, flow.where(made));
  const uid = Number(gsql(0, `SELECT id FROM users WHERE username = ${sqlString(username)}`)[0].id);
  const edit = (i, fields) => flow.submitForm(admins[i], `/admin/users/${uid}`, `/admin/users/${uid}`, {
    username, display_name: 'Off', email: '', password: '', permissions: ['view-data-connectors'], ...fields,
  });
  const bad = [];
  for (let n = 0; n < 200; n++) {
    const [i, j] = pair(n);
    const k = 3 - i - j; // the third process
    if (n > 0) {
      const on = await edit(k, { is_active: '1' });
      if (on.status !== 303) { bad.push(`try ${n}: activate through ${k}: ${flow.where(on).slice(0, 200)}`); continue; }
    }
    const u = new Client(via[k]);
    const login = await u.login(username, pw);
    if (login.status !== 303) { bad.push(`try ${n}: sign-in through ${k}: ${login.status}`); continue; }
    const off = await edit(i, {});
    if (off.status !== 303) { bad.push(`try ${n}: deactivate through ${i}: ${flow.where(off).slice(0, 200)}`); continue; }
    const b = new Client(via[j]);
    b.cookies = u.cookies;
    const r = await b.get('/data-connectors');
    if (r.status !== 302) bad.push(`try ${n}: deactivated through ${i}, ${r.status} through ${j}`);
  }
  assert.deepEqual(bad, [], 'a deactivated user is refused at once through another node');
});

/** Token requests the oauth2 mock server logged for CLIENT_ID. */
function tokenRequests(clientId) {
  return fs.readFileSync(env('OAUTH_LOG'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.path === '/token' && (e.body.client_id === clientId));
}

test('one OAuth token fetch per connector across the nodes', async (t) => {
  const counts = [];
  for (let round = 0; round < 3; round++) {
    const [id] = makeConnectors('Gal oauth', 1);
    const clientId = `galera-${round}-${Date.now()}`;
    await flow.setAuthorization(admins[0], id, {
      auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
      client_id: clientId, client_secret: 'galera-secret', scope: 'read', client_auth: 'body',
    });
    gsql(0, `INSERT INTO endpoints (connector_id, purpose, description, method, url, timeout, body, sample_data) VALUES (${id}, 'Resource', '', 'GET', ${sqlString(`${env('OAUTH_URL')}/resource`)}, 10, '', '')`);
    const eid = Number(gsql(0, `SELECT id FROM endpoints WHERE connector_id = ${id}`)[0].id);
    // Two Tests through each node at once.
    const results = await Promise.all([0, 1, 2, 0, 1, 2].map(async (i) => {
      const c = new Client(via[i]);
      c.cookies = admins[i].cookies;
      const p = `/data-connectors/${id}/endpoints/${eid}`;
      const r = await flow.submitForm(c, p, `${p}/test`, {});
      return { i, status: r.status, ok: /"ok"\s*:\s*true/.test(ops.pageText(r.text)) };
    }));
    assert.deepEqual(results.filter((r) => r.status !== 200 || !r.ok), [], 'every Test reached the resource');
    counts.push(tokenRequests(clientId).length);
  }
  t.diagnostic(`token requests per connector: ${counts.join(', ')}`);
  assert.deepEqual(counts, [1, 1, 1], 'one token request per connector for six concurrent Tests through three nodes');
});

/** GET /api/1.0/users/me with TOKEN through process i: the status. */
async function me(i, token) {
  try {
    const r = await new Client(via[i]).api('GET', '/api/1.0/users/me', null, token);
    return r.status;
  } catch (e) {
    return `error ${e.name}`;
  }
}

function adminToken() {
  const uid = Number(gsql(0, "SELECT id FROM users WHERE username = 'admin'")[0].id);
  const token = `dcg_${crypto.randomBytes(32).toString('base64url')}`;
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  gsql(0, `INSERT INTO api_tokens (user_id, name, token_hash) VALUES (${uid}, 'galera', '${hash}')`);
  return token;
}

/** Lines of a dcgate log written since OFFSET bytes that match RE. */
function logLines(file, offset, re) {
  return fs.readFileSync(file, 'utf8').slice(offset).split('\n').filter((l) => re.test(l));
}

test('a connector\'s rate limit holds for processes on two nodes calling it at once', async (t) => {
  const { server: upstream, arrivals } = await arrivalUpstream();
  try {
    const token = adminToken();
    const L = 4;
    const N = 12; // half through process 0 (node 1), half through process 1 (node 2); the last turn at 2.75 s is inside outbound.queue_timeout_ms
    const api = (i, method, p, body) => new Client(via[i]).api(method, p, body, token);
    const cat = await api(0, 'POST', '/api/1.0/data-connector-categories', { name: unique('Gal rate cat').replace(/[^A-Za-z0-9 ]/g, '') });
    assert.equal(cat.status, 201, cat.text);
    const conn = await api(0, 'POST', '/api/1.0/data-connectors', {
      name: unique('Gal rate').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id], rate_limit: L,
    });
    assert.equal(conn.status, 201, conn.text);
    const id = conn.json().id;
    const url = `http://127.0.0.1:${upstream.address().port}/hit`;
    const ep = await api(1, 'POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: 'Hit', method: 'GET', url, timeout: 10 });
    assert.equal(ep.status, 201, ep.text);
    // The endpoint seen through both nodes before the race (database.sync_wait).
    for (const i of [0, 1]) assert.equal((await api(i, 'GET', `/api/1.0/data-connectors/${id}/endpoints/${ep.json().id}`)).status, 200);
    const offs = apps.map((a) => fs.statSync(a.log).size);
    const c0 = conflicts();
    const answers = await Promise.all(Array.from({ length: N }, (_, k) =>
      api(k % 2, 'POST', `/api/1.0/data-connectors/${id}/endpoints/Hit/execute`, {})));
    const fallbackRe = new RegExp(`shared rate limit of connector ${id}\\b`);
    const warned = [0, 1].map((i) => logLines(apps[i].log, offs[i], fallbackRe).length);
    const at = arrivals.slice().sort((x, y) => x - y);
    const gaps = at.slice(1).map((x, k) => x - at[k]);
    t.diagnostic(`hits (ms from the first): ${at.map((x) => x - at[0]).join(', ')}; gaps: ${gaps.join(', ')}; ` +
      `certification conflicts: ${conflicts() - c0}; fallback warnings per process: ${warned.join(', ')}`);
    assert.deepEqual(answers.map((a) => a.status), Array(N).fill(200), answers.map((a) => a.text.slice(0, 200)).join('\n'));
    assert.equal(at.length, N, 'every call reached the upstream once');
    // Each process with a bucket of its own would let both processes' calls in at once (2L a second).
    for (let k = 1; k < N; k++) {
      assert.ok(at[k] - at[k - 1] >= 800 / L, `hit ${k} came ${at[k] - at[k - 1]} ms after the one before: ${at.map((x) => x - at[0]).join(', ')}`);
    }
    for (let k = 0; k < N; k++) {
      const inWindow = at.filter((x) => x >= at[k] && x < at[k] + 1000).length;
      assert.ok(inWindow <= L + 1, `${inWindow} hits in the second from hit ${k}`);
    }
    assert.deepEqual(warned, [0, 0], 'the shared bucket answered every call: no process fell back to its own');
    assert.equal(gsql(1, `SELECT COUNT(*) AS n FROM connector_rate WHERE connector_id = ${id}`)[0].n, '1', 'one shared bucket row');
  } finally {
    upstream.close();
  }
});

test('a partitioned node: /healthz says 503 there, 200 elsewhere; no valid token gets 401', async (t) => {
  const token = adminToken();
  for (let i = 0; i < via.length; i++) await ops.until(async () => (await me(i, token)) === 200, { timeout: 5000, what: `token through ${i}` });
  ctl('isolate', 3);
  try {
    const t0 = Date.now();
    const h = await ops.until(async () => {
      const r = await new Client(via[2]).get('/healthz');
      return r.status === 503 ? r : null;
    }, { timeout: 10000, what: '/healthz 503 on the cut-off node' });
    t.diagnostic(`/healthz on the cut-off node: 503 after ${Date.now() - t0} ms: ${h.text}`);
    assert.equal(h.json().database.synced, false);
    for (const i of [0, 1]) {
      const r = await new Client(via[i]).get('/healthz');
      assert.equal(r.status, 200, `process ${i} on a synced node: ${r.text}`);
    }
    const seen = {};
    for (let n = 0; n < 30; n++) {
      for (let i = 0; i < via.length; i++) {
        const s = await me(i, token);
        seen[`${i}:${s}`] = (seen[`${i}:${s}`] || 0) + 1;
      }
    }
    t.diagnostic(`answers during the partition (process:status): ${JSON.stringify(seen)}`);
    assert.ok(!Object.keys(seen).some((k) => k.endsWith(':401')), `no valid token answered 401: ${JSON.stringify(seen)}`);
    assert.ok(Object.keys(seen).filter((k) => /^[01]:/.test(k)).every((k) => k.endsWith(':200')), 'the processes on synced nodes answer 200');
  } finally {
    ctl('heal', 3);
  }
  await ops.until(async () => (await new Client(via[2]).get('/healthz')).status === 200, { timeout: 20000, what: '/healthz 200 after the partition healed' });
});

test('a node killed: the process on it fails over within 10 s, no valid token gets 401', async (t) => {
  const token = adminToken();
  for (let i = 0; i < via.length; i++) await ops.until(async () => (await me(i, token)) === 200, { timeout: 5000, what: `token through ${i}` });
  ctl('kill', 2);
  const t0 = Date.now();
  const log = [];
  let back = null;
  while (Date.now() - t0 < 15000) {
    for (let i = 0; i < via.length; i++) {
      const s = await me(i, token);
      log.push({ i, s, at: Date.now() - t0 });
      if (i === 1 && s === 200 && back === null) back = Date.now() - t0;
    }
    if (back !== null && Date.now() - t0 > back + 1000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const summary = {};
  for (const e of log) summary[`${e.i}:${e.s}`] = (summary[`${e.i}:${e.s}`] || 0) + 1;
  t.diagnostic(`after the kill (process:status): ${JSON.stringify(summary)}; process 1 answered 200 again after ${back} ms`);
  assert.deepEqual(log.filter((e) => e.s === 401), [], 'no valid token answered 401');
  assert.ok(back !== null && back <= 10000, `the process on the killed node answered 200 again within 10 s (${back} ms)`);
  const late = log.filter((e) => e.at > 10000 && e.s !== 200);
  assert.deepEqual(late, [], 'every process answers 200 from 10 s after the kill');
});
