'use strict';
// The outbound layer (src/outbound/send.c) against real local servers this test starts
// itself, through the C driver tests/unit/outbound_probe (built by `make check`). No mock
// of curl: every case is a real connection, DNS lookup, TLS handshake or redirect.
//
// Environment: OUTBOUND_PROBE = path of the built probe (else build/tests/unit/outbound_probe
// or build-asan/tests/unit/outbound_probe when one exists).
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');

function probePath() {
  if (process.env.OUTBOUND_PROBE) return process.env.OUTBOUND_PROBE;
  for (const dir of ['build', 'build-asan', '.']) {
    const p = path.join(ROOT, dir, 'tests', 'unit', 'outbound_probe');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('OUTBOUND_PROBE is not set and no built outbound_probe was found (run make check)');
}

const PROBE = probePath();

/** Runs the probe; resolves with its JSON and the wall time the child took. */
function probe(args, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    execFile(PROBE, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`outbound_probe ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      try {
        resolve({ out: JSON.parse(stdout), ms: Date.now() - started, stderr });
      } catch (e) {
        reject(new Error(`outbound_probe printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** An http(s) server on host:0 with handler; resolves with {server, url, port}. */
function listen(handler, host = '127.0.0.1', tls = null) {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.destroyAll = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      const { port } = server.address();
      resolve({ server, port, url: `${tls ? 'https' : 'http'}://${host}:${port}` });
    });
  });
}

const LOOPBACK = ['--allow', '127.0.0.0/8'];
const servers = [];
let tmp;

async function start(handler, host, tls) {
  const s = await listen(handler, host, tls);
  servers.push(s.server);
  return s;
}

test.after(() => {
  for (const s of servers) s.destroyAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a plain GET succeeds with status, reason, headers, body and timings', async () => {
  const s = await start((req, res) => {
    res.setHeader('X-Seen-Method', req.method);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  const { out } = await probe([`${s.url}/items?x=1`, ...LOOPBACK]);
  assert.equal(out.err, 'OK', JSON.stringify(out));
  assert.equal(out.status, 200);
  assert.equal(out.reason, 'OK');
  assert.equal(out.headers['X-Seen-Method'] ?? out.headers['x-seen-method'], 'GET');
  assert.deepEqual(JSON.parse(out.body), { ok: true, path: '/items?x=1' });
  assert.equal(out.truncated, false);
  assert.equal(out.size, out.body.length);
  for (const k of ['dns_ms', 'connect_ms', 'tls_ms', 'first_byte_ms', 'total_ms']) {
    assert.equal(typeof out.timings[k], 'number', k);
    assert.ok(out.timings[k] >= 0, k);
  }
  assert.ok(out.timings.total_ms > 0, 'total time measured');
  assert.ok(out.timings.total_ms >= out.timings.first_byte_ms, 'phases within total');
});

test('POST sends the body and headers as given', async () => {
  let seen;
  const s = await start((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen = { method: req.method, body, type: req.headers['content-type'], x: req.headers['x-one'] };
      res.statusCode = 201;
      res.end('{}');
    });
  });
  const { out } = await probe([`${s.url}/items`, ...LOOPBACK, '--method', 'POST', '--header',
    'Content-Type: application/json', '--header', 'X-One: 1', '--data', '{"a":"b"}']);
  assert.equal(out.err, 'OK');
  assert.equal(out.status, 201);
  assert.equal(out.reason, 'Created');
  assert.deepEqual(seen, { method: 'POST', body: '{"a":"b"}', type: 'application/json', x: '1' });
});

test('a slow server gives ETIMEOUT within the timeout', async () => {
  const s = await start(() => { /* never answers */ });
  const { out, ms } = await probe([s.url, ...LOOPBACK, '--timeout', '1']);
  assert.equal(out.err, 'ETIMEOUT', JSON.stringify(out));
  assert.match(out.message, /did not answer within 1 second/);
  assert.ok(ms < 4000, `probe took ${ms} ms`);
});

// A listener whose accept queue is full drops new SYNs, so connect() hangs: python3 can
// listen without accepting (node always accepts), so this case needs it.
const HOLD_PY = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
port = s.getsockname()[1]
fill = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(('127.0.0.1', port))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.2)
print(port, flush=True)
sys.stdin.read()
`;

function havePython() {
  try {
    execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a server that never accepts gives ECONNECT_TIMEOUT within the connect timeout',
  { skip: havePython() ? false : 'python3 is not installed' }, async () => {
    const { spawn } = require('node:child_process');
    const child = spawn('python3', ['-c', HOLD_PY], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const port = await new Promise((resolve, reject) => {
        child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
        child.once('exit', () => reject(new Error('listener exited')));
      });
      const { out, ms } = await probe([`http://127.0.0.1:${port}/`, ...LOOPBACK,
        '--connect-timeout', '1', '--timeout', '10']);
      assert.equal(out.err, 'ECONNECT_TIMEOUT', JSON.stringify(out));
      assert.equal(out.message, 'The data source could not be reached within 1 second.');
      assert.ok(ms < 4000, `probe took ${ms} ms`);
    } finally {
      child.kill();
    }
  });

test('a closed port gives EREFUSED', async () => {
  const s = await listen(() => {});
  const url = s.url;
  await new Promise((r) => s.server.close(r));
  const { out } = await probe([url, ...LOOPBACK]);
  assert.equal(out.err, 'EREFUSED', JSON.stringify(out));
  assert.equal(out.message, 'The connection was refused by the data source.');
});

test('an unresolvable host gives EDNS', async () => {
  const { out } = await probe(['http://nonexistent.invalid/']);
  assert.equal(out.err, 'EDNS', JSON.stringify(out));
  assert.equal(out.message, 'The host name could not be found (DNS).');
});

test('self-signed https: ETLS when verifying, OK with --insecure', async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'outbound-tls-'));
  const key = path.join(tmp, 'key.pem');
  const cert = path.join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
    '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const s = await start((req, res) => res.end('secure hello'), '127.0.0.1',
    { key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
  const bad = (await probe([s.url, ...LOOPBACK])).out;
  assert.equal(bad.err, 'ETLS', JSON.stringify(bad));
  assert.match(bad.detail, /certificate/i);
  const good = (await probe([s.url, ...LOOPBACK, '--insecure'])).out;
  assert.equal(good.err, 'OK', JSON.stringify(good));
  assert.equal(good.body, 'secure hello');
  assert.ok(good.timings.tls_ms > 0, 'TLS handshake timed');
});

test('a redirect loop gives EREDIRECTS', async () => {
  let hits = 0;
  const s = await start((req, res) => {
    hits++;
    res.statusCode = 302;
    res.setHeader('Location', `/loop${hits}`);
    res.end();
  });
  const { out } = await probe([s.url, ...LOOPBACK, '--redirects', '3']);
  assert.equal(out.err, 'EREDIRECTS', JSON.stringify(out));
  assert.match(out.message, /more than 3 times/);
  assert.equal(hits, 4, 'the first request and three redirects');
});

test('redirects are followed and the final hop reported', async () => {
  const s = await start((req, res) => {
    if (req.url === '/start') {
      res.statusCode = 301;
      res.setHeader('Location', '/end');
      res.setHeader('X-Hop', 'first');
      return res.end();
    }
    res.setHeader('X-Hop', 'final');
    res.end('done');
  });
  const { out } = await probe([`${s.url}/start`, ...LOOPBACK]);
  assert.equal(out.err, 'OK');
  assert.equal(out.redirects, 1);
  assert.equal(out.effective_url, `${s.url}/end`);
  assert.equal(out.headers['X-Hop'] ?? out.headers['x-hop'], 'final');
  assert.equal(out.body, 'done');
});

test('a big body is cut at the cap and marked truncated', async () => {
  const total = 5 * 1024 * 1024;
  const s = await start((req, res) => {
    res.setHeader('Content-Length', String(total));
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const { out, ms } = await probe([s.url, ...LOOPBACK, '--max', '1000']);
  assert.equal(out.err, 'OK', JSON.stringify({ ...out, body: undefined }));
  assert.equal(out.truncated, true);
  assert.equal(out.body_len, 1000);
  assert.equal(out.body.length, 1000);
  assert.equal(out.size, total, 'size from Content-Length');
  assert.ok(ms < 5000, `probe took ${ms} ms`);
});

test('ftp:// gives ESCHEME, also as a redirect target', async () => {
  const direct = (await probe(['ftp://127.0.0.1/file', ...LOOPBACK])).out;
  assert.equal(direct.err, 'ESCHEME', JSON.stringify(direct));
  const s = await start((req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', 'ftp://127.0.0.1/file');
    res.end();
  });
  const viaRedirect = (await probe([s.url, ...LOOPBACK])).out;
  assert.equal(viaRedirect.err, 'ESCHEME', JSON.stringify(viaRedirect));
});

test('the default policy denies 127.0.0.1 and a name resolving to it', async () => {
  let hits = 0;
  const s = await start((req, res) => {
    hits++;
    res.end('should not be reached');
  });
  const byIp = (await probe([s.url])).out;
  assert.equal(byIp.err, 'EDENIED', JSON.stringify(byIp));
  assert.equal(byIp.message, "The destination address is not allowed by this server's outbound policy.");
  const byName = (await probe([`http://localhost:${s.port}/`])).out;
  assert.equal(byName.err, 'EDENIED', JSON.stringify(byName));
  assert.equal(hits, 0, 'no request reached the server');
});

test("the default policy denies the host's own interface addresses and the mapped form of loopback", async (t) => {
  const own = Object.values(os.networkInterfaces()).flat()
    .filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
  if (!own.length) return t.skip('this host has no non-loopback IPv4 address');
  let hits = 0;
  const s = await start((req, res) => {
    hits++;
    res.end('should not be reached');
  }, '0.0.0.0');
  for (const addr of own) {
    // Allowing loopback does not allow the host's other addresses.
    const { out } = await probe([`http://${addr}:${s.port}/`, ...LOOPBACK]);
    assert.equal(out.err, 'EDENIED', `${addr}: ${JSON.stringify(out)}`);
  }
  const mapped = (await probe([`http://[::ffff:127.0.0.1]:${s.port}/`])).out;
  assert.equal(mapped.err, 'EDENIED', JSON.stringify(mapped));
  assert.equal(hits, 0, 'no request reached the server');
  // The server is there: allowing that address reaches it.
  const { out } = await probe([`http://${own[0]}:${s.port}/`, '--allow', `${own[0]}/32`]);
  assert.equal(out.err, 'OK', JSON.stringify(out));
  assert.equal(hits, 1);
});

test('a name with one denied and one allowed address uses the allowed one', async () => {
  const s = await start((req, res) => res.end('v4 only'));
  // localhost is ::1 (still denied by default) and 127.0.0.1 (allowed here).
  const { out } = await probe([`http://localhost:${s.port}/`, '--allow', '127.0.0.1/32']);
  assert.equal(out.err, 'OK', JSON.stringify(out));
  assert.equal(out.body, 'v4 only');
  const closed = await listen(() => {});
  await new Promise((r) => closed.server.close(r));
  const refused = (await probe([`http://localhost:${closed.port}/`, '--allow', '127.0.0.1/32'])).out;
  assert.equal(refused.err, 'EREFUSED', 'an allowed address that refuses is not "denied"');
});

test('a redirect from an allowed server to a denied address is refused', async () => {
  let deniedHits = 0;
  const target = await start((req, res) => {
    deniedHits++;
    res.end('internal secret');
  }, '127.0.0.1');
  const front = await start((req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', `http://127.0.0.1:${target.port}/admin`);
    res.end();
  }, '127.0.0.2');
  const policy = ['--deny', '127.0.0.0/8', '--allow', '127.0.0.2/32'];
  const ok = (await probe([`${front.url}/`, ...policy, '--redirects', '0'])).out;
  assert.equal(ok.err, 'OK', 'the allowed server itself is reachable');
  assert.equal(ok.status, 302);
  const { out } = await probe([`${front.url}/`, ...policy]);
  assert.equal(out.err, 'EDENIED', JSON.stringify(out));
  assert.match(out.detail, /127\.0\.0\.1/);
  assert.equal(deniedHits, 0, 'the denied server saw no request');
  assert.ok(!String(out.body).includes('internal secret'));
});

test('past the concurrency limit callers queue, and only past the queue timeout get EBUSY', async () => {
  const s = await start((req, res) => setTimeout(() => res.end('slow'), 1500));
  const { out, ms } = await probe([s.url, ...LOOPBACK, '--concurrency', '2', '--queue-timeout', '300',
    '--parallel', '6']);
  const errs = out.map((r) => r.err).sort();
  assert.deepEqual(errs, ['EBUSY', 'EBUSY', 'EBUSY', 'EBUSY', 'OK', 'OK'], JSON.stringify(errs));
  const busy = out.find((r) => r.err === 'EBUSY');
  assert.match(busy.message, /all 2 outbound slots are in use \(outbound\.concurrency\)/);
  assert.ok(busy.elapsed_ms >= 250, `a refused caller waited its queue timeout first (${busy.elapsed_ms} ms)`);
  assert.ok(ms < 5000, `took ${ms} ms`);
  // The same six with a queue long enough: every call is served, two at a time.
  const fast = await start((req, res) => setTimeout(() => res.end('ok'), 200));
  const queued = (await probe([fast.url, ...LOOPBACK, '--concurrency', '2', '--queue-timeout', '3000',
    '--parallel', '6'])).out;
  assert.deepEqual(queued.map((r) => r.err), ['OK', 'OK', 'OK', 'OK', 'OK', 'OK'], JSON.stringify(queued));
  const slowest = Math.max(...queued.map((r) => r.elapsed_ms));
  assert.ok(slowest >= 550, `the last pair waited for two pairs before it (${slowest} ms)`);
});

test('a connector at its own cap queues its callers without taking the slots of others', async () => {
  const s = await start((req, res) => setTimeout(() => res.end('slow'), 1000));
  const { out } = await probe([s.url, ...LOOPBACK, '--concurrency', '100', '--cap', '2',
    '--queue-timeout', '200', '--parallel', '5']);
  const errs = out.map((r) => r.err).sort();
  assert.deepEqual(errs, ['EBUSY', 'EBUSY', 'EBUSY', 'OK', 'OK'], JSON.stringify(errs));
  assert.match(out.find((r) => r.err === 'EBUSY').message, /already has 2 calls in flight/);
});

test('token requests: form body, client Basic, and the JSON answer', async () => {
  const seen = [];
  const s = await start((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      seen.push({ type: req.headers['content-type'], auth: req.headers.authorization, form });
      res.setHeader('Content-Type', 'application/json');
      if (form.password === 'wrong') {
        res.statusCode = 401;
        return res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'bad password' }));
      }
      res.end(JSON.stringify({ access_token: 'at-1', token_type: 'bearer', expires_in: '3600',
        refresh_token: 'rt-1', scope: form.scope || '' }));
    });
  });
  const url = `${s.url}/token`;
  const pw = (await probe([url, ...LOOPBACK, '--token', 'password', '--user', 'ann lee',
    '--pass', 'p&ss=1', '--client-id', 'cid', '--client-secret', 'cs'])).out;
  assert.equal(pw.err, 'OK', JSON.stringify(pw));
  assert.equal(pw.access_token, 'at-1');
  assert.equal(pw.expires_in, 3600);
  assert.equal(pw.refresh_token, 'rt-1');
  assert.equal(seen[0].type, 'application/x-www-form-urlencoded');
  assert.deepEqual(seen[0].form, { grant_type: 'password', username: 'ann lee', password: 'p&ss=1',
    client_id: 'cid', client_secret: 'cs' });

  const cc = (await probe([url, ...LOOPBACK, '--token', 'client_credentials', '--client-id', 'cid',
    '--client-secret', 'cs', '--scope', 'read write', '--client-basic'])).out;
  assert.equal(cc.err, 'OK', JSON.stringify(cc));
  assert.equal(cc.scope, 'read write');
  assert.deepEqual(seen[1].form, { grant_type: 'client_credentials', scope: 'read write' });
  assert.equal(seen[1].auth, `Basic ${Buffer.from('cid:cs').toString('base64')}`);

  const bad = (await probe([url, ...LOOPBACK, '--token', 'password', '--user', 'u', '--pass', 'wrong'])).out;
  assert.equal(bad.err, 'EAUTH');
  assert.equal(bad.status, 401);
  assert.equal(bad.message, 'The token endpoint answered 401: invalid_grant (bad password)');

  const denied = (await probe([url, '--token', 'password', '--user', 'u', '--pass', 'p'])).out;
  assert.equal(denied.err, 'EDENIED', 'token requests obey the address policy');
  assert.match(denied.message, /token endpoint could not be reached/);
});

// ---- OAuth token cache (src/connector/authorize.c) over the suite's MariaDB -----------
// Needs scripts/test's environment (DCGATE_CONF for the database and key file, and
// DCGATE_DB_* for lib.js's sql()); skipped, visibly, when run without it.
const HAVE_DB = Boolean(process.env.DCGATE_CONF && process.env.DCGATE_DB_SOCKET);

test('OAuth token cache: one fetch for concurrent requests, sealed, refreshed, forced',
  { skip: HAVE_DB ? false : 'DCGATE_CONF / DCGATE_DB_SOCKET not set (run through scripts/test)' },
  async () => {
    const { sql, sqlString, unique } = require('./lib.js');
    const grants = [];
    let refuseRefresh = false;
    let n = 0;
    const tokenServer = await start((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        grants.push(form.grant_type);
        // Slow enough that concurrent callers overlap while the first one fetches.
        setTimeout(() => {
          res.setHeader('Content-Type', 'application/json');
          if (form.grant_type === 'refresh_token' && refuseRefresh) {
            res.statusCode = 400;
            return res.end(JSON.stringify({ error: 'invalid_grant' }));
          }
          n++;
          res.end(JSON.stringify({ access_token: `cache-at-${n}`, token_type: 'bearer',
            expires_in: 3600, refresh_token: `cache-rt-${n}` }));
        }, 300);
      });
    });
    const name = unique('Outbound cache').replace(/[^A-Za-z0-9 ]/g, '');
    sql(`INSERT INTO connectors (name, description) VALUES (${sqlString(name)}, '')`);
    const id = sql(`SELECT id FROM connectors WHERE name = ${sqlString(name)}`)[0].id;
    const auth = (extra = []) => probe([`${tokenServer.url}/token`, ...LOOPBACK, '--auth',
      'oauth2_client_credentials', '--conf', process.env.DCGATE_CONF, '--connector', String(id),
      '--client-id', 'cid', '--client-secret', 'cs', ...extra]);
    try {
      // Two processes with four threads each, every thread its own database connection.
      const both = await Promise.all([auth(['--parallel', '4']), auth(['--parallel', '4'])]);
      const first = both.flatMap((r) => r.out);
      assert.deepEqual(first.map((r) => r.authorization), Array(8).fill('Bearer cache-at-1'),
        JSON.stringify(first));
      assert.deepEqual(grants, ['client_credentials'], 'eight concurrent callers in two processes, one fetch');

      const row = sql(`SELECT access_token, refresh_token, token_type, expires_at FROM token_cache WHERE connector_id = ${id}`)[0];
      assert.ok(row, 'token cached');
      assert.match(row.access_token, /^v1:[0-9a-f]{16}:/, 'sealed');
      assert.ok(!row.access_token.includes('cache-at-1') && !row.refresh_token.includes('cache-rt-1'),
        'no plaintext token in the database');
      assert.ok(row.expires_at, 'expiry stored');

      const again = (await auth()).out;
      assert.equal(again.authorization, 'Bearer cache-at-1');
      assert.equal(grants.length, 1, 'a later request uses the cache');

      const forced = (await auth(['--force-new', '--parallel', '4'])).out;
      assert.deepEqual(forced.map((r) => r.authorization), Array(4).fill('Bearer cache-at-2'));
      assert.equal(grants.length, 2, 'after a 401, concurrent retries fetch one new token');

      const other = (await auth(['--client-secret', 'changed'])).out;
      assert.equal(other.authorization, 'Bearer cache-at-3', 'other credentials never reuse a token');

      sql(`UPDATE token_cache SET fetched_at = UTC_TIMESTAMP() - INTERVAL 1 HOUR, expires_at = UTC_TIMESTAMP() + INTERVAL 10 SECOND WHERE connector_id = ${id}`);
      const refreshed = (await auth(['--client-secret', 'changed'])).out;
      assert.equal(refreshed.authorization, 'Bearer cache-at-4');
      assert.equal(grants.at(-1), 'refresh_token', 'an expiring token is refreshed');

      refuseRefresh = true;
      sql(`UPDATE token_cache SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE connector_id = ${id}`);
      const fallback = (await auth(['--client-secret', 'changed'])).out;
      assert.equal(fallback.authorization, 'Bearer cache-at-5');
      assert.deepEqual(grants.slice(-2), ['refresh_token', 'client_credentials'],
        'a refused refresh token falls back to the grant');
    } finally {
      sql(`DELETE FROM connectors WHERE id = ${id}`);
    }
  });
