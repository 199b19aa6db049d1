'use strict';
// The platform through the real stack: nginx -> FastCGI socket -> dcgate -> MariaDB.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Client, env } = require('./lib.js');

/** [limits] max_body of the running config (default 1048576). */
function maxBody() {
  try {
    const text = fs.readFileSync(env('DCGATE_CONF'), 'utf8');
    let section = '';
    for (const line of text.split('\n')) {
      const s = /^\s*\[([^\]]+)\]\s*$/.exec(line);
      if (s) { section = s[1]; continue; }
      const kv = /^\s*max_body\s*=\s*(\d+)/.exec(line);
      if (section === 'limits' && kv) return Number(kv[1]);
    }
  } catch { /* default below */ }
  return 1048576;
}

test('GET /healthz reports status, a reachable database and the version as JSON', async () => {
  const r = await new Client().get('/healthz');
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^application\/json/);
  const body = r.json();
  assert.equal(body.status, 'ok');
  assert.equal(typeof body.database, 'object');
  assert.equal(body.database.reachable, true);
  assert.equal(typeof body.version, 'string');
  assert.match(body.version, /^\d+\.\d+/);
});

test('GET /static/dcgate.css is served by nginx as text/css', async () => {
  const r = await new Client().get('/static/dcgate.css');
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^text\/css/);
  assert.ok(r.text.length > 0, 'the stylesheet is not empty');
  assert.match(r.headers.get('server') || '', /nginx/i, 'answered by nginx');
  // dcgate writes one access-log line per request: a static file never reaches it.
  const log = fs.readFileSync(env('DCGATE_APP_LOG'), 'utf8');
  assert.doesNotMatch(log, /\/static\/dcgate\.css/);
});

test('GET /login is a sign-in form with the security headers', async () => {
  const r = await new Client().get('/login');
  assert.equal(r.status, 200);
  assert.match(r.contentType, /^text\/html/);
  assert.match(r.text, /<form\b[^>]*method="post"[^>]*>/i);
  assert.match(r.text, /<input\b[^>]*name="username"/i);
  assert.match(r.text, /<input\b[^>]*name="password"[^>]*type="password"|<input\b[^>]*type="password"[^>]*name="password"/i);
  const csp = r.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.match(r.text, /<link\b[^>]*href="\/static\/dcgate\.css/);
});

test('an unknown path gets the 404 page through the layout', async () => {
  const r = await new Client().get('/no-such-page-' + Date.now());
  assert.equal(r.status, 404);
  assert.match(r.contentType, /^text\/html/);
  assert.match(r.text, /Not Found/);
  assert.match(r.text, /<html/i);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
});

test('a body above [limits] max_body gets 413', async () => {
  const size = maxBody() + 1024;
  const r = await new Client().request('POST', '/login', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'username=' + 'a'.repeat(size),
  });
  assert.equal(r.status, 413);
  assert.match(r.contentType, /^text\/html/);
});

test('malformed percent-encoding in the query string gets 400', async () => {
  const r = await new Client().get('/login?next=%zz');
  assert.equal(r.status, 400);
  assert.match(r.contentType, /^text\/html/);
});

test('a protected page without a session redirects to /login', async () => {
  const r = await new Client().get('/data-connectors');
  assert.equal(r.status, 302);
  assert.ok(r.location, 'has a Location header');
  assert.match(r.location, /^\/login(\?|$)/);
});

test('dcgate is still running after all of the above', () => {
  const pid = Number(env('DCGATE_PID'));
  assert.doesNotThrow(() => process.kill(pid, 0), `dcgate (pid ${pid}) has exited`);
});
