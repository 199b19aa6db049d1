'use strict';
// Privileges: started as root with [server] user = nobody, dcgate opens its socket (in a
// folder only root may write), reads its config and key, then serves as nobody — checked
// in /proc/PID/status and by serving through its own nginx. conf/dcgate.service passes
// systemd-analyze verify. The root-only test is skipped (TAP skip, with the reason) when
// the suite does not run as root: nobody else can switch users.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { Client, env } = require('./lib.js');
const ops = require('../ops/lib.js');

const isRoot = process.getuid() === 0;

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

test('started as root with server.user = nobody, dcgate serves as nobody', { skip: isRoot ? false : `not root (uid ${process.getuid()}): only root can switch to another user; run scripts/test as root to check this` }, async () => {
  const nobody = account('nobody');
  // The socket's folder belongs to root, mode 0755: dcgate creates the socket as root
  // before switching; as nobody it could not.
  const runDir = path.join(ops.opsDir(), 'priv-run');
  fs.mkdirSync(runDir, { recursive: true });
  fs.chmodSync(runDir, 0o755);
  const conf = ops.confCopy('privileges', { 'server.user': 'nobody', 'server.socket': path.join(runDir, 'dcgate.sock') });
  assert.equal(fs.statSync(conf).mode & 0o777, 0o600, 'the config copy is readable by root only');
  assert.equal(fs.statSync(ops.iniGet(conf, 'security', 'key_file')).uid, 0, 'the key file belongs to root');

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

    web = await ops.startNginx('privileges', [app.socket]);
    const h = await new Client(web.url).get('/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.json().database.reachable, true);
    // Signing in needs the database and the key loaded as root: both still work as nobody.
    const c = new Client(web.url);
    const login = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
    assert.equal(login.status, 303);
    // Templates are read again on HUP, as nobody.
    const count = () => (fs.readFileSync(app.log, 'utf8').match(/templates loaded from/g) || []).length;
    const n = count();
    process.kill(app.pid, 'SIGHUP');
    await ops.until(() => count() > n, { timeout: 5000, what: 'the template reload', proc: app });
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
