'use strict';
// Privileges: started as root with [server] user = nobody, dcgate opens its socket (in a
// folder only root may write), reads its config and key, then serves as nobody — checked
// in /proc/PID/status and by serving through its own nginx. What it reads again on SIGHUP
// stays readable as nobody: dcgate-admin init-key and rotate-key, run as root, give the key
// files nobody's group (0640), so after rotate-key and SIGHUP a stored credential still
// opens its data source; the templates are scripts/test's world-readable copy.
// conf/dcgate.service passes systemd-analyze verify. The root-only tests are skipped (TAP
// skip, with the reason) when the suite does not run as root: nobody else can switch users.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync, spawnSync } = require('node:child_process');
const { Client, env, sql, sqlString, unique } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');

const isRoot = process.getuid() === 0;
// Its own database and key file: the key rotated here is not the shared stack's.
const PRIV_DB = `${env('DCGATE_DB_NAME')}_priv`;

test.after(() => {
  if (!isRoot) return;
  try { sql(`DROP DATABASE IF EXISTS \`${PRIV_DB}\``); } catch { /* best effort */ }
});

/** {uid: [real, effective, saved, fs], gid: [...], groups: [...]} of a running process. */
function ids(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const nums = (k) => (new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(s)?.[1] || '').trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: nums('Uid'), gid: nums('Gid'), groups: nums('Groups') };
}

function account(name) {
  const out = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
  return { uid: Number(out[2]), gid: Number(out[3]) };
}

/** Owner, group and permission bits of a file. */
function owner(file) {
  const st = fs.statSync(file);
  return { uid: st.uid, gid: st.gid, mode: `0${(st.mode & 0o777).toString(8)}` };
}

test('started as root with server.user = nobody, dcgate serves as nobody; rotate-key and SIGHUP work with it', { skip: isRoot ? false : `not root (uid ${process.getuid()}): only root can switch to another user; run scripts/test as root to check this` }, async () => {
  const nobody = account('nobody');
  // The socket's folder belongs to root, mode 0755: dcgate creates the socket as root
  // before switching; as nobody it could not.
  const runDir = path.join(ops.opsDir(), 'priv-run');
  fs.mkdirSync(runDir, { recursive: true });
  fs.chmodSync(runDir, 0o755);
  const keyDir = path.join(ops.opsDir(), 'priv-keys');
  fs.mkdirSync(keyDir, { recursive: true });
  fs.chmodSync(keyDir, 0o755);
  const keyFile = path.join(keyDir, 'secret.key');
  for (const f of [keyFile, `${keyFile}.prev`, `${keyFile}.new`]) fs.rmSync(f, { force: true });
  sql(`DROP DATABASE IF EXISTS \`${PRIV_DB}\`; CREATE DATABASE \`${PRIV_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const conf = ops.confCopy('privileges', {
    'server.user': 'nobody', 'server.socket': path.join(runDir, 'dcgate.sock'),
    'database.name': PRIV_DB, 'security.key_file': keyFile,
  });
  assert.equal(fs.statSync(conf).mode & 0o777, 0o600, 'the config copy is readable by root only');
  const admin = (...args) => execFileSync(env('DCGATE_ADMIN_BIN'), args, {
    env: { ...process.env, DCGATE_CONF: conf, DCGATE_PASSWORD: env('DCGATE_ADMIN_PASSWORD') },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  // README's deploy steps, as root: the key, the schema, the first user.
  assert.match(admin('init-key'), /key file .* mode 0640, group \S+ \(server\.user nobody\)/);
  const shared = { uid: 0, gid: nobody.gid, mode: '0640' };
  assert.deepEqual(owner(keyFile), shared, "the key file belongs to root, readable by nobody's group");
  admin('migrate');
  admin('create-user', env('DCGATE_ADMIN_USER'), '--super-admin');

  const app = await ops.startDcgate('privileges', conf);
  let web;
  try {
    const got = await ops.until(() => {
      const i = ids(app.pid);
      return i.uid.length === 4 && i.uid[0] !== 0 ? i : null;
    }, { timeout: 10000, what: 'dcgate to switch users', proc: app });
    assert.deepEqual(got.uid, [nobody.uid, nobody.uid, nobody.uid, nobody.uid], 'real, effective, saved and fs uid are nobody');
    assert.deepEqual(got.gid, [nobody.gid, nobody.gid, nobody.gid, nobody.gid], "gids are nobody's group");
    assert.deepEqual(got.groups, [], 'no supplementary groups kept from root');
    assert.equal(fs.statSync(app.socket).uid, 0, 'the socket was created by root, before the switch');
    assert.match(fs.readFileSync(app.log, 'utf8'), /running as user nobody/);
    assert.doesNotMatch(fs.readFileSync(app.log, 'utf8'), /cannot be read/, 'as nobody, the key file and the templates are readable');

    web = await ops.startNginx('privileges', [app.socket]);
    const h = await new Client(web.url).get('/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json().database.reachable, true);
    // Signing in needs the database and the key loaded as root: both still work as nobody.
    const c = new Client(web.url);
    const login = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    assert.equal(login.status, 303);

    // A stored credential: Basic auth against the echo server, which answers 401 unless it matches.
    const catName = unique('Priv cat').replace(/[^A-Za-z0-9 ]/g, '');
    const cr = await flow.submitForm(c, '/data-connector-categories/new', '/data-connector-categories', { name: catName, status: 'active' });
    assert.equal(cr.status, 303, `create category: ${flow.where(cr)}`);
    const catId = sql(`SELECT id FROM categories WHERE name = ${sqlString(catName)}`, { database: PRIV_DB })[0].id;
    const id = await flow.createConnector(c, { name: unique('Priv').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [catId] });
    const user = 'priv-user';
    const pass = `pw-${crypto.randomBytes(6).toString('hex')}`;
    await flow.setAuthorization(c, id, { auth_type: 'basic', verify_ssl: '1', username: user, password: pass, allowed_origins: env('ECHO_URL') });
    const eid = await flow.addEndpoint(c, id, { purpose: 'Check', method: 'GET', url: `${env('ECHO_URL')}/auth/basic?user=${user}&pass=${pass}` });
    const opens = async () => {
      const text = ops.pageText((await flow.testEndpoint(c, id, eid)).text);
      return /"path"\s*:\s*"\/auth\/basic"/.test(text) && !/unauthorized/.test(text) ? true : text.slice(0, 600);
    };
    assert.equal(await opens(), true, 'the stored credential opens its data source');
    const sealedUnder = () => /^v1:([0-9a-f]{16}):/.exec(
      sql(`SELECT auth_password FROM connectors WHERE id = ${Number(id)}`, { database: PRIV_DB })[0].auth_password || '')?.[1];
    const before = sealedUnder();
    assert.ok(before, 'the password is stored sealed');

    // rotate-key as root (README: then systemctl reload, i.e. SIGHUP): the new key and the
    // old one (KEY.prev) both readable by nobody's group.
    assert.match(admin('rotate-key'), /re-sealed \d+ values under key [0-9a-f]{16}/);
    const after = sealedUnder();
    assert.ok(after && after !== before, 'the password is re-sealed under the new key');
    assert.deepEqual(owner(keyFile), shared, 'the new key: root, group nobody, 0640');
    assert.deepEqual(owner(`${keyFile}.prev`), shared, 'the old key, KEY.prev: root, group nobody, 0640');

    // Templates and keys are read again on HUP, as nobody.
    const count = (re) => (fs.readFileSync(app.log, 'utf8').match(re) || []).length;
    const tmpl = /templates loaded from/g;
    const keys = /SIGHUP: keys reloaded/g;
    const keyFailed = /SIGHUP: the key file could not be loaded/g;
    const n = { tmpl: count(tmpl), keys: count(keys), failed: count(keyFailed) };
    process.kill(app.pid, 'SIGHUP');
    await ops.until(() => count(tmpl) > n.tmpl && (count(keys) > n.keys || count(keyFailed) > n.failed),
      { timeout: 5000, what: 'the template and key reload', proc: app });
    assert.equal(count(keyFailed), n.failed, `the keys reload as nobody:\n${app.tail(10)}`);
    assert.doesNotMatch(fs.readFileSync(app.log, 'utf8'), /Permission denied/);
    assert.equal(await opens(), true, 'after rotate-key and SIGHUP the stored credential still opens, as nobody');
    assert.equal((await new Client(web.url).get('/login')).status, 200);
  } finally {
    if (web) await web.proc.stop();
    const r = await app.stop('SIGTERM', 30000);
    assert.equal(r.code, 0, `dcgate as nobody exits 0 on TERM (${JSON.stringify(r)})\n${app.tail()}`);
  }
});

test('an unknown server.user stops dcgate before it serves', { skip: isRoot ? false : `not root (uid ${process.getuid()}): the user switch only happens for root` }, async () => {
  const sock = ops.sockPath('priv-bad');
  const conf = ops.confCopy('privileges-bad', { 'server.user': 'no-such-user-dcgate', 'server.socket': sock });
  const p = new ops.Proc('privileges-bad', env('DCGATE_BIN'), [], { env: { DCGATE_CONF: conf } });
  const r = await ops.waitExit(p, 15000);
  if (!r) await p.stop('SIGKILL');
  assert.ok(r, 'dcgate exits by itself');
  assert.notEqual(r.code, 0);
  assert.match(p.tail(), /no-such-user-dcgate does not exist/);
});

test('conf/dcgate.service passes systemd-analyze verify', async (t) => {
  const sa = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  assert.equal(sa.status, 0, 'systemd-analyze is installed (Debian package systemd)');
  // verify checks that the programs exist: point them at this build.
  const dir = path.join(ops.opsDir(), 'systemd');
  fs.mkdirSync(dir, { recursive: true });
  let unit = fs.readFileSync(path.join(ops.ROOT, 'conf/dcgate.service'), 'utf8');
  for (const [from, to] of [['/usr/local/bin/dcgate-admin', env('DCGATE_ADMIN_BIN')], ['/usr/local/bin/dcgate', env('DCGATE_BIN')]]) {
    assert.ok(unit.includes(from), `the unit runs ${from}`);
    unit = unit.split(from).join(to);
  }
  const file = path.join(dir, 'dcgate.service');
  fs.writeFileSync(file, unit);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
  const out = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/Failed to (connect|open|prepare filename).*(bus|\/run|ignoring)/i.test(l));
  assert.equal(r.status, 0, `systemd-analyze verify: ${out.join('\n')}`);
  assert.deepEqual(out, [], 'no warning');
  // What the hardening promises: its own user, no way back to root.
  assert.match(unit, /^User=\S+/m);
  assert.match(unit, /^NoNewPrivileges=yes/m);
  assert.match(unit, /^CapabilityBoundingSet=$/m);
  t.diagnostic('systemd-analyze verify: no error, no warning');
});
