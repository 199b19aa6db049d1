'use strict';
// Helpers for the operations suites (apache, scaleout, killsave, privileges, backup, and
// tests/bench/soak): start extra dcgate processes, nginx and Apache instances next to the
// stack scripts/test started, each as a child of the test, on free loopback ports, with
// every file under TEST_TMP/ops/. The shell helpers of scripts/lib.sh (free ports, INI
// editing, template rendering, the nginx worker user) are reused through bash, so the
// suites render the same files the scripts do.
//
//   const ops = require('../ops/lib.js');
//   const conf = ops.confCopy('second', { 'server.socket': ops.sockPath('second') });
//   const app = await ops.startDcgate('second', conf);      // waits for its socket
//   const web = await ops.startNginx('second', [app.socket]); // {url, proc}
//   ...; await web.proc.stop(); const { code } = await app.stop();
//
// Every process started here is killed when the test process exits, whatever happens.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { decode } = require('../integration/lib.js');

const ROOT = path.resolve(__dirname, '../..');

function env(name) {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is not set (run through scripts/test)`);
  return v;
}

/**
 * The static files the web servers started here serve: DCGATE_STATIC (scripts/test's copy
 * in TEST_TMP, which nobody can read wherever the checkout is), else ROOT/static.
 */
function staticDir() {
  return process.env.DCGATE_STATIC || path.join(ROOT, 'static');
}

/** TEST_TMP/ops (created): the folder of everything these helpers write. */
function opsDir() {
  const d = path.join(env('TEST_TMP'), 'ops');
  fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  fs.chmodSync(d, 0o755);
  return d;
}

/** Run a function of scripts/lib.sh with arguments; returns its stdout. */
function libsh(fn, ...args) {
  return execFileSync('bash', ['-c', `set -euo pipefail; DC_ROOT=${shq(ROOT)}; source "$DC_ROOT/scripts/lib.sh"; "$@"`, 'libsh', fn, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DC_WORK: env('TEST_TMP') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function shq(s) {
  return `'${String(s).replace(/'/g, "'\\''")}'`;
}

/** A free TCP port on 127.0.0.1 (scripts/lib.sh dc_free_port: never the same one twice in a run). */
function freePort() {
  return Number(libsh('dc_free_port').trim());
}

/** A unix socket path for NAME, short enough for sun_path. */
function sockPath(name) {
  const p = path.join(opsDir(), `${name}.sock`);
  if (p.length >= 104) throw new Error(`socket path too long: ${p}`);
  return p;
}

function iniGet(file, section, key) {
  return libsh('dc_ini_get', file, section, key).trim();
}

function iniSet(file, section, key, value) {
  libsh('dc_ini_set', file, section, key, String(value));
}

/**
 * A copy of DCGATE_CONF (or of `from`) as TEST_TMP/ops/NAME.conf with changes applied:
 * { 'server.socket': '/x.sock', 'database.name': 'dcgate_restore' }. Mode 0600.
 */
function confCopy(name, changes = {}, from = env('DCGATE_CONF')) {
  const out = path.join(opsDir(), `${name}.conf`);
  fs.copyFileSync(from, out);
  fs.chmodSync(out, 0o600);
  for (const [k, v] of Object.entries(changes)) {
    const i = k.indexOf('.');
    iniSet(out, k.slice(0, i), k.slice(i + 1), v);
  }
  return out;
}

/** The worker user for a web server started as root that must reach DIRS ("nobody nogroup"). */
function webUser(...dirs) {
  return libsh('dc_nginx_user', ...dirs).trim();
}

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A child process with its output appended to a log file. */
class Proc {
  constructor(name, cmd, args, { cwd = ROOT, env: extraEnv = {}, log } = {}) {
    this.name = name;
    this.log = log || path.join(opsDir(), `${name}.log`);
    const fd = fs.openSync(this.log, 'a');
    this.child = spawn(cmd, args, { cwd, env: { ...process.env, ...extraEnv }, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    this.pid = this.child.pid;
    this.exit = null; // {code, signal} once it has ended
    live.add(this);
    this.ended = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
      this.child.on('error', (err) => {
        this.exit = { code: null, signal: null, error: err };
        live.delete(this);
        resolve(this.exit);
      });
    });
  }

  alive() {
    return this.exit === null;
  }

  /** Send SIGNAL (TERM), wait up to timeout ms, then KILL. Resolves to {code, signal, killed}. */
  async stop(signal = 'SIGTERM', timeout = 30000) {
    if (!this.alive()) return { ...this.exit, killed: false };
    try { this.child.kill(signal); } catch { /* gone */ }
    let timer;
    const t = new Promise((r) => { timer = setTimeout(() => r(null), timeout); });
    const r = await Promise.race([this.ended, t]);
    clearTimeout(timer);
    if (r) return { ...r, killed: false };
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    return { ...(await this.ended), killed: true };
  }

  tail(n = 30) {
    try {
      return fs.readFileSync(this.log, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  }
}

/** Resolves to the exit ({code, signal}) of PROC, or null when it still runs after ms. */
async function waitExit(proc, ms) {
  let timer;
  const t = new Promise((r) => { timer = setTimeout(() => r(null), ms); });
  const r = await Promise.race([proc.ended, t]);
  clearTimeout(timer);
  return r;
}

/** Poll fn until truthy; throws with `what` after timeout ms. Stops early when proc dies. */
async function until(fn, { timeout = 20000, interval = 50, what = 'condition', proc } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    let v;
    try { v = await fn(); } catch { v = false; }
    if (v) return v;
    if (proc && !proc.alive()) throw new Error(`${what}: ${proc.name} exited (${JSON.stringify(proc.exit)})\n${proc.tail()}`);
    if (Date.now() > end) throw new Error(`timed out (${timeout} ms) waiting for ${what}${proc ? `\n${proc.tail()}` : ''}`);
    await sleep(interval);
  }
}

function isSocket(p) {
  try { return fs.statSync(p).isSocket(); } catch { return false; }
}

/**
 * Start dcgate (DCGATE_BIN, cwd ROOT) on CONF; resolves when its socket exists. The socket
 * path is read from the config. Returns the Proc with .socket and .conf.
 */
async function startDcgate(name, conf, { log, bin = env('DCGATE_BIN') } = {}) {
  const socket = iniGet(conf, 'server', 'socket');
  try { fs.unlinkSync(socket); } catch { /* none */ }
  const p = new Proc(name, bin, [], { env: { DCGATE_CONF: conf }, log });
  p.socket = socket;
  p.conf = conf;
  await until(() => isSocket(socket), { timeout: 30000, what: `dcgate ${name} socket`, proc: p });
  return p;
}

/** Resolves when URL answers any HTTP status (or the status `want`). */
async function waitHttp(url, { timeout = 20000, want, proc } = {}) {
  return until(async () => {
    const r = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return want === undefined || r.status === want;
  }, { timeout, what: `${url}${want ? ` to answer ${want}` : ''}`, proc });
}

/**
 * nginx rendered from conf/nginx.conf.example (like scripts/lib.sh dc_nginx_start), on a
 * free port in front of SOCKETS: one socket as in the example; several become an
 * `upstream` (round robin) used by the main server, and `solo` adds one extra server per
 * socket (ports in .soloUrls) that talks to that socket only. Resolves to
 * {url, soloUrls, proc, prefix}.
 */
async function startNginx(name, sockets, { solo = false } = {}) {
  const prefix = path.join(opsDir(), `nginx-${name}`);
  fs.mkdirSync(path.join(prefix, 'conf'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
  const port = freePort();
  const file = path.join(prefix, 'conf', 'nginx.conf');
  const user = webUser(staticDir(), ...sockets.map((s) => path.dirname(s)), prefix);
  libsh('dc_render', path.join(ROOT, 'conf/nginx.conf.example'), file, `PREFIX=${prefix}`, 'ADDR=127.0.0.1',
    `PORT=${port}`, `SOCKET=${sockets[0]}`, `STATIC=${staticDir()}`, `USER=${user}`);
  let text = fs.readFileSync(file, 'utf8');
  if (process.getuid() !== 0) text = text.replace(/^user .*$/m, '# user: not root');
  const soloUrls = [];
  if (sockets.length > 1 || solo) {
    const pass = `fastcgi_pass unix:${sockets[0]};`;
    if (!text.includes(pass)) throw new Error(`no "${pass}" in the rendered nginx.conf`);
    // The example's server block, before it is changed: copied once per solo server.
    const server = /\n    server \{\n[\s\S]*?\n    \}\n/.exec(text);
    if (!server) throw new Error('no server { } block in the rendered nginx.conf');
    let extra = '';
    if (solo) {
      for (const s of sockets) {
        const p = freePort();
        soloUrls.push(`http://127.0.0.1:${p}`);
        extra += server[0].replace(`listen 127.0.0.1:${port};`, `listen 127.0.0.1:${p};`).replaceAll(pass, `fastcgi_pass unix:${s};`);
      }
    }
    const upstream = `\n    upstream dcgate_pool {\n${sockets.map((s) => `        server unix:${s};\n`).join('')}    }\n`;
    text = text.replace(server[0], upstream + server[0].replaceAll(pass, 'fastcgi_pass dcgate_pool;') + extra);
  }
  fs.writeFileSync(file, text);
  execFileSync('nginx', ['-q', '-t', '-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-e', 'logs/error.log'], { stdio: 'pipe' });
  const proc = new Proc(`nginx-${name}`, 'nginx', ['-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-e', 'logs/error.log', '-g', 'daemon off;'],
    { log: path.join(prefix, 'logs', 'stderr.log') });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/favicon.ico`, { proc });
  for (const u of soloUrls) await waitHttp(`${u}/favicon.ico`, { proc });
  return { url, soloUrls, proc, prefix, conf: file };
}

/** The modules a private Apache needs for conf/apache.conf.example. */
const APACHE_MODULES = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  ['mime_module', 'mod_mime.so'],
  ['alias_module', 'mod_alias.so'],
  ['dir_module', 'mod_dir.so'],
  ['headers_module', 'mod_headers.so'],
  ['proxy_module', 'mod_proxy.so'],
  ['proxy_fcgi_module', 'mod_proxy_fcgi.so'],
];

/**
 * The <VirtualHost> of conf/apache.conf.example with its installation paths replaced by
 * this run's: the static folder, dcgate's socket, the log folder and the listen address.
 * Every replacement must happen (so the example and this test cannot drift apart).
 */
function renderApacheSite({ addr, staticDir, socket, logDir }) {
  let text = fs.readFileSync(path.join(ROOT, 'conf/apache.conf.example'), 'utf8');
  const subst = [
    ['<VirtualHost *:80>', `<VirtualHost ${addr}>`],
    ['/usr/local/share/dcgate/static', staticDir],
    ['/run/dcgate/dcgate.sock', socket],
  ];
  for (const [from, to] of subst) {
    if (!text.includes(from)) throw new Error(`conf/apache.conf.example has no "${from}" any more: update tests/ops/lib.js`);
    text = text.split(from).join(to);
  }
  // Only the configuration, not the commented HTTPS example.
  return `Define APACHE_LOG_DIR ${logDir}\n${text}`;
}

/**
 * A private Apache 2.4 (apache2 -DFOREGROUND -f ...) on a free loopback port with the site
 * of conf/apache.conf.example in front of SOCKET. Its own ServerRoot, PidFile, logs and
 * runtime folder under TEST_TMP/ops/apache-NAME; no system file is read but the modules
 * and /etc/mime.types. Resolves to {url, proc, prefix, conf}.
 */
async function startApache(name, socket, { modulesDir = '/usr/lib/apache2/modules' } = {}) {
  const prefix = path.join(opsDir(), `apache-${name}`);
  for (const d of ['logs', 'run', 'conf']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  fs.chmodSync(prefix, 0o755);
  const port = freePort();
  const statics = staticDir();
  let user = process.getuid() === 0 ? webUser(statics, path.dirname(socket), prefix) : '';
  if (user.startsWith('root')) throw new Error('Apache cannot serve as root, and nobody cannot reach the static files or the socket');
  const lines = [
    `# rendered by tests/ops/lib.js for the ${name} test: a private Apache, nothing system-wide`,
    `ServerRoot ${prefix}`,
    `PidFile ${prefix}/run/httpd.pid`,
    `DefaultRuntimeDir ${prefix}/run`,
    `Mutex file:${prefix}/run default`,
    `Listen 127.0.0.1:${port}`,
    `ServerName 127.0.0.1`,
    `ErrorLog ${prefix}/logs/error.log`,
    'LogLevel warn',
    ...APACHE_MODULES.map(([m, f]) => `LoadModule ${m} ${modulesDir}/${f}`),
    'TypesConfig /etc/mime.types',
    'AddDefaultCharset off',
    'StartServers 1',
    'ServerLimit 2',
    'ThreadsPerChild 16',
    'MaxRequestWorkers 32',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
    '<Directory />',
    '    AllowOverride None',
    '    Require all denied',
    '</Directory>',
  ];
  if (user) {
    const [u, g] = user.split(' ');
    lines.push(`User ${u}`, `Group ${g || u}`);
  }
  const site = renderApacheSite({ addr: `127.0.0.1:${port}`, staticDir: statics, socket, logDir: `${prefix}/logs` });
  const conf = path.join(prefix, 'conf', 'httpd.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n\n${site}`);
  execFileSync('apache2', ['-t', '-f', conf], { stdio: 'pipe' });
  const proc = new Proc(`apache-${name}`, 'apache2', ['-DFOREGROUND', '-f', conf], { log: path.join(prefix, 'logs', 'stderr.log') });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/static/dcgate.css`, { proc, want: 200 });
  return { url, proc, prefix, conf };
}

/** Hidden inputs of the first form in HTML whose action is ACTION (or of the page): {name: value}. */
function hiddenFields(html, action) {
  let scope = String(html);
  if (action) {
    const forms = scope.match(/<form\b[\s\S]*?<\/form>/gi) || [];
    const f = forms.find((x) => new RegExp(`action\\s*=\\s*["']${action.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']`, 'i').test(x));
    if (f) scope = f;
  }
  const out = {};
  for (const tag of scope.match(/<input\b[^>]*>/gi) || []) {
    if (!/\btype\s*=\s*["']?hidden/i.test(tag)) continue;
    const n = /\bname\s*=\s*["']([^"']*)["']/i.exec(tag);
    const v = /\bvalue\s*=\s*["']([^"']*)["']/i.exec(tag);
    if (n) out[n[1]] = v ? decode(v[1]) : '';
  }
  return out;
}

/** Text of an HTML page without tags and with entities decoded, whitespace collapsed. */
function pageText(html) {
  return decode(String(html).replace(/<script\b[\s\S]*?<\/script>/gi, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/**
 * A long-lived `mariadb` client as the application's database user (one process, one
 * connection), for polling many times a second: await q.query('SELECT ...') -> rows
 * (arrays of strings). isolation: e.g. 'READ UNCOMMITTED' to see other connections'
 * uncommitted rows (how a test can tell that a transaction is half done).
 */
class SqlSession {
  constructor({ database = env('DCGATE_DB_NAME'), isolation } = {}) {
    this.child = spawn('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${env('DCGATE_DB_SOCKET')}`,
      `--user=${env('DCGATE_DB_USER')}`, '--batch', '--skip-column-names', '--unbuffered', database],
    { env: { ...process.env, MYSQL_PWD: process.env.DCGATE_DB_PASSWORD || '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.buf = '';
    this.err = '';
    this.waiting = null;
    this.n = 0;
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => { this.buf += d; this.pump(); });
    this.child.stderr.on('data', (d) => { this.err += d; });
    this.child.on('exit', () => { if (this.waiting) this.waiting.reject(new Error(`mariadb exited: ${this.err}`)); });
    if (isolation) this.child.stdin.write(`SET SESSION TRANSACTION ISOLATION LEVEL ${isolation};\n`);
  }

  pump() {
    if (!this.waiting) return;
    const i = this.buf.indexOf(this.waiting.marker);
    if (i < 0) return;
    const out = this.buf.slice(0, i);
    this.buf = this.buf.slice(i + this.waiting.marker.length);
    const w = this.waiting;
    this.waiting = null;
    w.resolve(out.split('\n').filter((l) => l !== '').map((l) => l.split('\t')));
  }

  /** Run one statement (no trailing semicolon needed); resolves to its rows. */
  query(sqlText) {
    if (this.waiting) return Promise.reject(new Error('one query at a time'));
    const marker = `@@end-${++this.n}@@\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { marker, resolve, reject };
      this.child.stdin.write(`${sqlText.replace(/;\s*$/, '')};\nSELECT '${marker.trim()}';\n`);
    });
  }

  close() {
    this.child.stdin.end();
  }
}

/** VmRSS of PID in KiB (from /proc/PID/status). */
function rssKiB(pid) {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

module.exports = {
  ROOT, env, staticDir, opsDir, libsh, shq, freePort, sockPath, iniGet, iniSet, confCopy, webUser, Proc, until, sleep, waitExit,
  isSocket, SqlSession, startDcgate, waitHttp, startNginx, startApache, renderApacheSite, hiddenFields, pageText, rssKiB,
};
