'use strict';
// Accounts hardening (the Secrets issue, Accounts part): a lockout an outsider cannot turn
// against a real user, the per-address slow-down and rate limit of POST /login, the current
// password on every own-password form, sessions ended by a password change or reset, API
// tokens that expire, the __Host- cookie over HTTPS and the socket's default mode.
//
// The sign-in limits are checked on a dcgate of its own (same database, low limits in a
// copy of the suite's config) behind a private nginx with two server blocks: the example's,
// and one that adds `fastcgi_param HTTPS on;` (how dcgate learns that a request came over
// HTTPS: the FastCGI param, never a header). Two client addresses are two local addresses
// of the loopback: the client socket binds 127.0.0.x (node http's localAddress) and nginx
// passes $remote_addr as REMOTE_ADDR (the stock fastcgi_params).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, fieldError, inputTag, setCookies } = require('./lib.js');
const ops = require('../ops/lib.js');

const PW = 'correct horse 1';
const LIMITS = {
  'security.login_max_failures': 3,
  'security.login_window': 900,
  'security.lockout': 900,
  'security.login_address_failures': 3,
  'security.login_address_max_wait': 60,
  'security.login_rate': 8,
};

/** A Client whose connections leave from localAddress (127.0.0.x): dcgate's REMOTE_ADDR. */
class AddrClient extends Client {
  constructor(base, localAddress) {
    super(base);
    this.localAddress = localAddress;
  }

  async request(method, p, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.cookies.size) headers.Cookie = this.cookieHeader();
    let body = opts.body;
    if (opts.form !== undefined) {
      body = new URLSearchParams(Object.entries(opts.form).filter(([, v]) => v !== undefined)).toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body);
    const url = new URL(this.base + p);
    const res = await new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers,
        localAddress: this.localAddress, agent: false, timeout: 30000,
      }, (r) => {
        const chunks = [];
        r.on('data', (d) => chunks.push(d));
        r.on('end', () => resolve({ r, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      if (body !== undefined) req.write(body);
      req.end();
    });
    const h = new Headers();
    for (const [k, v] of Object.entries(res.r.headers)) {
      for (const x of [].concat(v)) h.append(k, x);
    }
    this.keepCookies(h);
    if (/text\/html/.test(h.get('content-type') || '')) this.csrf = csrfFrom(res.text) || this.csrf;
    return { status: res.r.statusCode, headers: h, text: res.text, location: h.get('location') };
  }
}

function loginError(html) {
  const m = /id="login-error"[^>]*>([^<]*)</.exec(html);
  return m ? decode(m[1]) : null;
}

function newToken(html) {
  const m = /id="new-api-token"[^>]*>([^<]+)</.exec(html);
  return m ? m[1].trim() : null;
}

function userRow(name) {
  return sql(`SELECT * FROM users WHERE username = ${sqlString(name)}`)[0];
}

function count(q) {
  return Number(sql(q)[0].n);
}

let admin;
let app; // the private dcgate
let web; // {url, httpsUrl, proc}

async function createUser(fields) {
  const r = await admin.submit('/admin/users/new', '/admin/users', { password: PW, is_active: '1', ...fields });
  assert.equal(r.status, 303, `create ${fields.username}: ${r.status}`);
  return userRow(fields.username);
}

/** nginx from conf/nginx.conf.example in front of SOCKET, plus a copy of its server block on
 * another port that sends the FastCGI param HTTPS=on. */
async function startNginxHttps(name, socket) {
  const prefix = path.join(ops.opsDir(), `nginx-${name}`);
  for (const d of ['conf', 'logs', 'tmp']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const port = ops.freePort();
  const httpsPort = ops.freePort();
  const file = path.join(prefix, 'conf', 'nginx.conf');
  const user = ops.webUser(path.join(ops.ROOT, 'static'), path.dirname(socket), prefix);
  ops.libsh('dc_render', path.join(ops.ROOT, 'conf/nginx.conf.example'), file, `PREFIX=${prefix}`, 'ADDR=127.0.0.1',
    `PORT=${port}`, `SOCKET=${socket}`, `STATIC=${path.join(ops.ROOT, 'static')}`, `USER=${user}`);
  let text = fs.readFileSync(file, 'utf8');
  if (process.getuid() !== 0) text = text.replace(/^user .*$/m, '# user: not root');
  const server = /\n    server \{\n[\s\S]*?\n    \}\n/.exec(text);
  assert.ok(server, 'the example has a server { } block');
  const include = 'include /etc/nginx/fastcgi_params;';
  assert.ok(server[0].includes(include));
  const https = server[0].replace(`listen 127.0.0.1:${port};`, `listen 127.0.0.1:${httpsPort};`)
    .replaceAll(include, `${include}\n            fastcgi_param HTTPS on;`);
  text = text.replace(server[0], server[0] + https);
  fs.writeFileSync(file, text);
  const proc = new ops.Proc(`nginx-${name}`, 'nginx', ['-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-e', 'logs/error.log', '-g', 'daemon off;'],
    { log: path.join(prefix, 'logs', 'stderr.log') });
  const url = `http://127.0.0.1:${port}`;
  const httpsUrl = `http://127.0.0.1:${httpsPort}`;
  await ops.waitHttp(`${url}/favicon.ico`, { proc });
  await ops.waitHttp(`${httpsUrl}/favicon.ico`, { proc });
  return { url, httpsUrl, proc };
}

test.before(async () => {
  admin = await adminClient();
  const conf = ops.confCopy('hardening', { 'server.socket': ops.sockPath('hardening'), ...LIMITS });
  app = await ops.startDcgate('hardening', conf);
  web = await startNginxHttps('hardening', app.socket);
});

test.after(async () => {
  if (web) await web.proc.stop();
  if (app) await app.stop('SIGTERM', 30000);
  // The pairs and addresses of this suite only: the admin signs in from 127.0.0.1 elsewhere.
  sql("DELETE FROM login_locks WHERE remote_addr LIKE '127.0.0.%' AND remote_addr <> '127.0.0.1'");
});

// ------------------------------------------------------------------- sign-in limits

test('failures from address A lock admin for A only: admin still signs in from B', async () => {
  const adminUser = env('DCGATE_ADMIN_USER');
  const a = new AddrClient(web.url, '127.0.0.2');
  const seen = await a.get('/login');
  assert.equal(seen.status, 200);
  let last;
  for (let i = 0; i < LIMITS['security.login_max_failures']; i++) last = await a.login(adminUser, `wrong-${i}-password`);
  assert.equal(last.status, 429, 'the last failure locks the pair');
  assert.match(loginError(last.text), /locked for your address.*15 minutes/);
  assert.ok(Number(last.headers.get('retry-after')) > 800, `Retry-After ${last.headers.get('retry-after')}`);
  const right = await a.login(adminUser, env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(right.status, 429, 'A: not even the right password');
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_failures WHERE username = ${sqlString(adminUser)} AND remote_addr = '127.0.0.2'`),
    LIMITS['security.login_max_failures'], 'dcgate saw address A as REMOTE_ADDR');

  const b = new AddrClient(web.url, '127.0.0.3');
  const ok = await b.login(adminUser, env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(ok.status, 303, `B signs in: ${loginError(ok.text)}`);
  assert.equal((await b.get('/profile')).status, 200);
  assert.equal(count(`SELECT COUNT(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ${sqlString(adminUser)} AND s.remote_addr = '127.0.0.3'`) >= 1, true);
  // The suite's own admin, from 127.0.0.1 on the main stack, is not locked either.
  assert.equal((await new Client().login(adminUser, env('DCGATE_ADMIN_PASSWORD'))).status, 303);
});

test('an address failing on many names is slowed down (429, Retry-After), others are not', async () => {
  const tag = unique('spray').replace(/\s/g, '_');
  // Rows no check reads any more (a failure past the window, a lock that ended before it)
  // go with the next failure.
  sql(`INSERT INTO login_failures (username, remote_addr, failed_at) VALUES (${sqlString(`${tag}_old`)}, '127.0.0.9', UTC_TIMESTAMP() - INTERVAL 2 DAY)`);
  sql(`INSERT INTO login_locks (username, remote_addr, locked_until) VALUES (${sqlString(`${tag}_old`)}, '127.0.0.9', UTC_TIMESTAMP() - INTERVAL 2 DAY)`);
  const c = new AddrClient(web.url, '127.0.0.4');
  let slowed = null;
  let failures = 0;
  for (let i = 0; i < LIMITS['security.login_address_failures'] + 3 && !slowed; i++) {
    const r = await c.login(`${tag}_${i}`, 'not a password');
    if (r.status === 429) slowed = r;
    else {
      assert.equal(r.status, 422);
      failures++;
    }
  }
  assert.ok(slowed, 'a 429 came');
  assert.ok(failures >= LIMITS['security.login_address_failures'], `after ${failures} failures`);
  assert.match(loginError(slowed.text), /^Too many sign-in attempts from this address; wait \d+ seconds?\.$/);
  const wait = Number(slowed.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= LIMITS['security.login_address_max_wait'], `Retry-After ${wait}`);
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'login.slowed' AND remote_addr = '127.0.0.4'`), 1,
    'the slow-down (not the rate limit) answered');
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_failures WHERE remote_addr = '127.0.0.4'`), failures,
    'unknown names count too; the slowed attempt checked no password');
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_locks WHERE remote_addr = '127.0.0.4'`), 0, 'no name is locked');
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_failures WHERE remote_addr = '127.0.0.9'`), 0, 'old failures deleted');
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_locks WHERE remote_addr = '127.0.0.9'`), 0, 'old locks deleted');
  // The slow-down holds the address, not the names: a real user elsewhere signs in.
  const name = unique('sprayed').replace(/\s/g, '_');
  await createUser({ username: name });
  assert.equal((await new AddrClient(web.url, '127.0.0.5').login(name, PW)).status, 303);
});

test('POST /login past security.login_rate per address: 429 with Retry-After, no password checked', async () => {
  const name = unique('rate').replace(/\s/g, '_');
  await createUser({ username: name });
  const c = new AddrClient(web.url, '127.0.0.6');
  const rate = LIMITS['security.login_rate'];
  // Blank passwords: each attempt takes a token from the bucket without any scrypt.
  for (let i = 0; i < rate; i++) {
    const r = await c.post('/login', { username: name, password: '' });
    assert.equal(r.status, 422, `attempt ${i + 1} of ${rate}`);
  }
  const flood = await c.post('/login', { username: name, password: 'a wrong one' });
  assert.equal(flood.status, 429);
  assert.match(loginError(flood.text), /^Too many sign-in attempts from this address; wait \d+ seconds?\.$/);
  assert.ok(Number(flood.headers.get('retry-after')) >= 1);
  assert.equal(count(`SELECT COUNT(*) AS n FROM login_failures WHERE remote_addr = '127.0.0.6'`), 0,
    'the wrong password was never checked (a check records a failure)');
  assert.equal((await c.post('/login', { username: name, password: PW })).status, 429, 'nor the right one');
  assert.equal((await new AddrClient(web.url, '127.0.0.7').login(name, PW)).status, 303, 'another address is not limited');
});

// ------------------------------------------------------------------- own password

test('your own password changes only with the current one: Profile and /admin/users/{your id}', async () => {
  const name = unique('self').replace(/\s/g, '_');
  const u = await createUser({ username: name, permissions: ['view-users', 'edit-users'] });
  const c = new Client();
  assert.equal((await c.login(name, PW)).status, 303);

  // Profile.
  await c.get('/profile');
  const p = await c.post('/profile/password', { _csrf: c.csrf, password: 'taken over 1' });
  assert.equal(p.status, 422);
  assert.equal(fieldError(p.text, 'current_password'), 'The current password field is required.');

  // The users admin, editing oneself: the form asks for it, the server insists.
  const form = await c.get(`/admin/users/${u.id}`);
  assert.ok(inputTag(form.text, 'current_password'), 'the own edit form has a current password field');
  const other = await createUser({ username: `${name}_o` });
  assert.equal(inputTag((await c.get(`/admin/users/${other.id}`)).text, 'current_password'), null, 'not for someone else');
  await c.get(`/admin/users/${u.id}`);
  const fields = { _csrf: c.csrf, username: name, is_active: '1', permissions: ['view-users', 'edit-users'], password: 'taken over 1' };
  const none = await c.post(`/admin/users/${u.id}`, fields);
  assert.equal(none.status, 422);
  assert.equal(fieldError(none.text, 'current_password'), 'Enter your current password to change your own password.');
  const wrong = await c.post(`/admin/users/${u.id}`, { ...fields, current_password: 'not it at all' });
  assert.equal(wrong.status, 422);
  assert.equal(fieldError(wrong.text, 'current_password'), 'The current password is incorrect.');
  assert.equal(userRow(name).password_hash, u.password_hash, 'nothing saved');
  assert.equal((await new Client().login(name, 'taken over 1')).status, 422);
  // Other fields save without it.
  const plain = await c.post(`/admin/users/${u.id}`, { ...fields, password: '', display_name: 'Self' });
  assert.equal(plain.status, 303);
  assert.equal(userRow(name).display_name, 'Self');
  const ok = await c.post(`/admin/users/${u.id}`, { ...fields, current_password: PW });
  assert.equal(ok.status, 303);
  assert.equal((await new Client().login(name, 'taken over 1')).status, 303);
  assert.equal((await c.get('/profile')).status, 200, 'the session that changed it stays');
});

test('a password change or reset signs out the other sessions; the changing one and API tokens stay', async () => {
  const name = unique('sess').replace(/\s/g, '_');
  const u = await createUser({ username: name, permissions: ['view-users', 'edit-users'] });
  const c1 = new Client();
  const c2 = new Client();
  assert.equal((await c1.login(name, PW)).status, 303);
  assert.equal((await c2.login(name, PW)).status, 303);
  await c1.get('/profile');
  const token = newToken((await c1.post('/profile/tokens', { _csrf: c1.csrf, name: 'stays' })).text);
  assert.ok(token);

  // Own change on the Profile page.
  await c1.get('/profile');
  const ch = await c1.post('/profile/password', { _csrf: c1.csrf, current_password: PW, password: 'second pass 2' });
  assert.equal(ch.status, 303);
  assert.equal((await c1.get('/profile')).status, 200, 'the changing session stays');
  assert.equal((await c2.get('/profile')).status, 302, 'the other session is signed out');

  // Own change on the users admin form.
  const c3 = new Client();
  assert.equal((await c3.login(name, 'second pass 2')).status, 303);
  await c1.get(`/admin/users/${u.id}`);
  const self = await c1.post(`/admin/users/${u.id}`, {
    _csrf: c1.csrf, username: name, is_active: '1', permissions: ['view-users', 'edit-users'],
    password: 'third pass 33', current_password: 'second pass 2',
  });
  assert.equal(self.status, 303);
  assert.equal((await c1.get('/profile')).status, 200);
  assert.equal((await c3.get('/profile')).status, 302);

  // A reset by an administrator ends every session of the user, not the administrator's.
  const c4 = new Client();
  assert.equal((await c4.login(name, 'third pass 33')).status, 303);
  await admin.get(`/admin/users/${u.id}`);
  const reset = await admin.post(`/admin/users/${u.id}`, {
    _csrf: admin.csrf, username: name, is_active: '1', permissions: ['view-users', 'edit-users'], password: 'reset pass 44',
  });
  assert.equal(reset.status, 303);
  assert.equal((await c1.get('/profile')).status, 302);
  assert.equal((await c4.get('/profile')).status, 302);
  assert.equal((await admin.get('/profile')).status, 200, "the administrator's session stays");
  assert.equal(count(`SELECT COUNT(*) AS n FROM sessions WHERE user_id = ${u.id}`), 0);

  // API tokens are not sessions: they stay until revoked (README, Security).
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, token)).status, 200);
});

// ------------------------------------------------------------------- token expiry

test('API tokens can expire: Profile "Expires after (days)", API expires_in_days, 401 "API token expired"', async () => {
  const name = unique('exp').replace(/\s/g, '_');
  const u = await createUser({ username: name });
  const c = new Client();
  assert.equal((await c.login(name, PW)).status, 303);
  await c.get('/profile');
  const bad = await c.post('/profile/tokens', { _csrf: c.csrf, name: 'bad', expires_in_days: '0' });
  assert.equal(bad.status, 422);
  assert.equal(fieldError(bad.text, 'token-expires'), 'The expiry must be a whole number of days from 1 to 3650.');
  const page = await c.post('/profile/tokens', { _csrf: c.csrf, name: 'week', expires_in_days: '7' });
  assert.equal(page.status, 200);
  const weekly = newToken(page.text);
  const row = sql(`SELECT id, TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), expires_at) AS h FROM api_tokens WHERE user_id = ${u.id} AND name = 'week'`)[0];
  assert.ok(Number(row.h) >= 167 && Number(row.h) <= 168, `expires in ${row.h} h`);
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, weekly)).status, 200);

  // The JSON API makes one too, with or without an expiry.
  const api = new Client();
  const made = await api.api('POST', '/api/1.0/users/me/tokens', { name: 'from api', expires_in_days: 2 }, weekly);
  assert.equal(made.status, 201, made.text);
  const j = made.json();
  assert.equal(j.name, 'from api');
  assert.match(j.token, /^dcg_/);
  assert.match(j.expires_at, /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/);
  assert.equal((await api.api('GET', '/api/1.0/users/me', null, j.token)).status, 200);
  // A token that expires cannot make one that outlives it; one that does not expire can.
  for (const body of [{ name: 'forever' }, { name: 'month', expires_in_days: 30 }]) {
    const r = await api.api('POST', '/api/1.0/users/me/tokens', body, weekly);
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.match(r.json().errors.expires_in_days[0], /^This API token expires in [67] days: a token it makes must expire within as many/);
  }
  const lasting = newToken((await c.post('/profile/tokens', { _csrf: c.csrf, name: 'lasting' })).text);
  const forever = await api.api('POST', '/api/1.0/users/me/tokens', { name: 'forever' }, lasting);
  assert.equal(forever.status, 201);
  assert.equal(forever.json().expires_at, null);
  assert.equal((await api.api('POST', '/api/1.0/users/me/tokens', { name: 'month', expires_in_days: 30 }, lasting)).status, 201);
  for (const v of [0, 3651, 'soon', 1.5]) {
    const r = await api.api('POST', '/api/1.0/users/me/tokens', { name: 'x', expires_in_days: v }, weekly);
    assert.equal(r.status, 422, `expires_in_days ${JSON.stringify(v)}`);
    assert.ok(r.json().errors.expires_in_days, JSON.stringify(r.json()));
  }

  // Past its expiry: refused, and told why.
  sql(`UPDATE api_tokens SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE id = ${row.id}`);
  const gone = await new Client().api('GET', '/api/1.0/users/me', null, weekly);
  assert.equal(gone.status, 401);
  assert.equal(gone.json().message, 'API token expired');
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, `${weekly}x`)).json().message, 'Invalid API token');
  const listed = await c.get('/profile');
  assert.match(listed.text, /Expired \d{4}-/, 'the Profile list says it expired');
});

// ------------------------------------------------------------------- cookie over HTTPS

test('over HTTPS (FastCGI HTTPS=on) the session cookie is __Host-<name>: Secure, Path=/, no Domain', async () => {
  // From an address of its own: the slow-down counts the failures other suites make on
  // purpose from 127.0.0.1 (the database is shared; this dcgate's limits are low).
  const c = new AddrClient(web.httpsUrl, '127.0.0.8');
  const r = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(r.status, 303, loginError(r.text));
  const set = setCookies(r.headers).find((x) => /dcgate_session=/.test(x));
  assert.match(set, /^__Host-dcgate_session=[A-Za-z0-9_-]{43};/);
  assert.match(set, /;\s*Secure(;|$)/);
  assert.match(set, /;\s*Path=\/(;|$)/);
  assert.doesNotMatch(set, /Domain=/i);
  assert.match(set, /;\s*HttpOnly/);
  assert.equal((await c.get('/profile')).status, 200, 'the __Host- cookie signs in');
  // Under HTTPS only the __Host- name is read: the same value under the plain name is not.
  const value = c.cookies.get('__Host-dcgate_session');
  const plain = new AddrClient(web.httpsUrl, '127.0.0.8');
  plain.cookies.set('dcgate_session', value);
  assert.equal((await plain.get('/profile')).status, 302);
  const out = await c.post('/logout', { _csrf: c.csrf });
  assert.equal(out.status, 303);
  assert.match(setCookies(out.headers).join('\n'), /^__Host-dcgate_session=;.*Max-Age=0.*Secure/m);
  // Plain HTTP keeps the plain name, without Secure.
  const h = await new AddrClient(web.url, '127.0.0.8').login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  const hs = setCookies(h.headers).find((x) => /dcgate_session=/.test(x));
  assert.match(hs, /^dcgate_session=/);
  assert.doesNotMatch(hs, /Secure/);
});

// ------------------------------------------------------------------- socket mode

test('server.socket_mode defaults to 0660 (code and example); the suite config sets 0666 only for a web server as nobody', async () => {
  const example = fs.readFileSync(path.join(ops.ROOT, 'conf/dcgate.conf.example'), 'utf8');
  assert.match(example, /^socket_mode = 0660$/m);
  const conf = ops.confCopy('sockmode', { 'server.socket': ops.sockPath('sockmode') });
  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^socket_mode\s*=.*\n/m, ''));
  assert.equal(ops.iniGet(conf, 'server', 'socket_mode'), '', 'no socket_mode in this copy');
  const p = await ops.startDcgate('sockmode', conf);
  try {
    assert.equal(fs.statSync(p.socket).mode & 0o777, 0o660);
  } finally {
    await p.stop('SIGTERM', 30000);
  }
  const suite = ops.iniGet(env('DCGATE_CONF'), 'server', 'socket_mode');
  assert.equal(suite, process.getuid() === 0 ? '0666' : '0660');
});
