'use strict';
// A tiny HTTP client for dcgate's integration tests, run by scripts/test with node's test
// runner (node:test + node:assert). Node 18 and 20, no dependency.
//
//   const { Client, sql, csrfFrom, env } = require('./lib.js');
//   const c = new Client();                      // DCGATE_URL, empty cookie jar
//   const r = await c.get('/login');             // {status, headers, text, location, json()}
//   await c.login('admin', env('DCGATE_ADMIN_PASSWORD'));
//   const form = await c.get('/data-connectors/new');
//   await c.post('/data-connectors', { name: 'X', category_ids: ['1', '2'], _csrf: csrfFrom(form.text) });
//   await c.submit('/data-connectors/new', '/data-connectors', { name: 'X' }); // the same, in one call
//   const rows = sql('SELECT id, name FROM users');  // [{id: '1', name: 'admin'}]
//
// Redirects are never followed (redirect: 'manual'): a 302/303 is the answer, with its
// Location in r.location. Cookies from Set-Cookie are kept per Client and sent back.
const { execFileSync } = require('node:child_process');
const http = require('node:http');

/** The value of an environment variable scripts/test sets; throws when it is missing. */
function env(name) {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is not set (run through scripts/test)`);
  return v;
}

function baseUrl() {
  return (process.env.DCGATE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
}

/** The Set-Cookie headers of a response, one string each (Node 18 and 20). */
function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const raw = headers.get('set-cookie');
  if (!raw) return [];
  // Split "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT, b=2" only before a new name=.
  return raw.split(/,(?=\s*[^;,=\s]+=)/).map((s) => s.trim());
}

/** Form fields as application/x-www-form-urlencoded; array values repeat the key. */
function encodeForm(fields) {
  if (fields instanceof URLSearchParams) return fields.toString();
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields || {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  return p.toString();
}

/** Undoes the template engine's HTML escaping (named and numeric entities). */
function decode(s) {
  return String(s)
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&#x0*27;|&apos;/gi, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&amp;/g, '&');
}

/** The value of the hidden _csrf input in a page, or null when it has none. */
function csrfFrom(html) {
  const inputs = String(html).match(/<input\b[^>]*>/gi) || [];
  for (const tag of inputs) {
    if (!/\bname\s*=\s*["']?_csrf["'\s>]/i.test(tag)) continue;
    const m = /\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
    if (m) return decode(m[1] ?? m[2] ?? m[3]);
  }
  return null;
}

class Client {
  /** @param {string} [base] defaults to DCGATE_URL */
  constructor(base) {
    this.base = (base || baseUrl()).replace(/\/+$/, '');
    this.cookies = new Map();
    this.csrf = null; // the last _csrf token seen in a page
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keepCookies(headers) {
    for (const c of setCookies(headers)) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      if (i <= 0) continue;
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.split('=').map((x) => (x || '').trim().toLowerCase());
        return (k === 'max-age' && Number(v) <= 0) || (k === 'expires' && Date.parse(v) < Date.now());
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /**
   * Any request. opts: {headers, body (string|Buffer), form (object: urlencoded),
   * json (object), timeout (ms, default 30000)}.
   */
  async request(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (this.cookies.size && !Object.keys(headers).some((h) => h.toLowerCase() === 'cookie')) {
      headers.Cookie = this.cookieHeader();
    }
    let body = opts.body;
    if (opts.form !== undefined) {
      body = encodeForm(opts.form);
      headers['Content-Type'] = headers['Content-Type'] || 'application/x-www-form-urlencoded';
    } else if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['Content-Type'] = headers['Content-Type'] || 'application/json';
    }
    const url = /^https?:/.test(path) ? path : this.base + path;
    const res = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeout || 30000),
    });
    this.keepCookies(res.headers);
    const text = await res.text();
    const ct = res.headers.get('content-type') || '';
    if (/text\/html/.test(ct)) {
      const t = csrfFrom(text);
      if (t) this.csrf = t;
    }
    const out = {
      status: res.status,
      headers: res.headers,
      text,
      location: res.headers.get('location'),
      contentType: ct,
      json() {
        return JSON.parse(text);
      },
    };
    // A Test is a record (issue 20): POST .../test answers 303 to its execution-log entry,
    // which shows progress until the result is there. Like a browser, wait for the result
    // and answer with that page (opts.followTest === false: the 303 itself).
    if (method === 'POST' && opts.followTest !== false && res.status === 303 &&
        /\/endpoints\/\d+\/test$/.test(path) && /\/data-connector-logs\/\d+$/.test(out.location || '')) {
      return this.testResult(out.location, opts.timeout || 60000);
    }
    return out;
  }

  /** GETs a Test's execution-log page until it is no longer running; returns that page. */
  async testResult(location, timeout = 60000) {
    const until = Date.now() + timeout;
    for (;;) {
      const r = await this.request('GET', location);
      if (r.status !== 200 && r.status !== 422) return r;
      if (!/data-state="running"/.test(r.text) || Date.now() > until) {
        r.logUrl = location;
        return r;
      }
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }

  get(path, opts) {
    return this.request('GET', path, opts);
  }

  /** POST urlencoded fields (array values repeat the key). */
  post(path, fields, opts = {}) {
    return this.request('POST', path, { ...opts, form: fields || {} });
  }

  /** GET formPath, take its _csrf, POST fields (plus _csrf) to actionPath. */
  async submit(formPath, actionPath, fields, opts) {
    const page = await this.get(formPath);
    const token = csrfFrom(page.text);
    return this.post(actionPath, token ? { _csrf: token, ...fields } : fields, opts);
  }

  /** Sign in: GET /login, take its _csrf when it has one, POST /login. Returns the answer. */
  async login(username, password, extra = {}) {
    const page = await this.get('/login');
    const token = csrfFrom(page.text);
    const fields = { username, password, ...extra };
    if (token) fields._csrf = token;
    return this.post('/login', fields);
  }

  /** JSON API call with an API token: api('GET', '/api/1.0/users/me', null, token). */
  api(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const opts = { headers };
    if (body !== undefined && body !== null) opts.json = body;
    return this.request(method, path, opts);
  }
}

/** A Client signed in as the super admin scripts/test created. */
async function adminClient() {
  const c = new Client();
  const r = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  if (r.status !== 303 && r.status !== 302) {
    throw new Error(`admin sign-in failed: status ${r.status}`);
  }
  return c;
}

function unescapeBatch(s) {
  return s.replace(/\\(.)/g, (_, ch) => ({ n: '\n', t: '\t', 0: '\0', '\\': '\\' }[ch] ?? ch));
}

/**
 * Run SQL as the application's database user over the private server's socket and return
 * the rows of the last statement as objects of strings (NULL as null). Synchronous.
 */
function sql(query, { database } = {}) {
  const out = execFileSync('mariadb', [
    '--no-defaults', '--protocol=socket', `--socket=${env('DCGATE_DB_SOCKET')}`,
    `--user=${env('DCGATE_DB_USER')}`, '--batch', '--default-character-set=utf8mb4',
    database || env('DCGATE_DB_NAME'), '-e', query,
  ], { env: { ...process.env, MYSQL_PWD: process.env.DCGATE_DB_PASSWORD || '' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length === 0) return [];
  const cols = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const vals = line.split('\t');
    const row = {};
    cols.forEach((c, i) => { row[c] = vals[i] === 'NULL' ? null : unescapeBatch(vals[i] ?? ''); });
    return row;
  });
}

/** Quote a string for SQL text (tests only; dcgate itself uses prepared statements). */
function sqlString(s) {
  return `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\0/g, '\\0')}'`;
}

/** Poll fn until it returns a truthy value (or throws at timeout). */
async function waitFor(fn, { timeout = 10000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A name unique within this test run, for fixtures: unique('Connector') -> 'Connector 1a2b3c'. */
function unique(prefix = 't') {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

// ------------------------------------------------------------------- page helpers

/** The flash message of a page, or null. */
function flashOf(html) {
  const m = /<div class="flash[^"]*"[^>]*>([^<]*)<\/div>/.exec(html);
  return m ? decode(m[1]) : null;
}

/** The message shown beside a field (id="FIELD-error"; FIELD may be header[0][key]), or null. */
function fieldError(html, field) {
  const m = new RegExp(`id="${field.replace(/[[\]]/g, '\\$&')}-error"[^>]*>([^<]*)<`).exec(html);
  return m ? decode(m[1]) : null;
}

/** The <input> tag with this id, or null. */
function inputTag(html, id) {
  const m = new RegExp(`<input\\b[^>]*\\bid="${id}"[^>]*>`).exec(html);
  return m ? m[0] : null;
}

/** The decoded value of the <input> with this id, or null. */
function inputValue(html, id) {
  const tag = inputTag(html, id);
  const m = tag && /\bvalue="([^"]*)"/.exec(tag);
  return m ? decode(m[1]) : null;
}

/** A JSON upstream on 127.0.0.1 that records when each request arrived (ms), for the
 * rate-limit tests: resolves to { server, arrivals, port }. */
async function arrivalUpstream() {
  const arrivals = [];
  const server = http.createServer((req, res) => {
    arrivals.push(Date.now());
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(`{"n":${arrivals.length}}`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, arrivals, port: server.address().port };
}

module.exports = {
  Client, adminClient, csrfFrom, encodeForm, env, sql, sqlString, waitFor, unique, baseUrl,
  decode, flashOf, fieldError, inputTag, inputValue, setCookies, arrivalUpstream,
};
