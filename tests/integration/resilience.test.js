'use strict';
// The database goes away while requests flow; SIGHUP reloads templates. Runs as its own
// suite (suites run one after another), so stopping MariaDB disturbs no other test.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, env } = require('./lib.js');

function dbctl(cmd) {
  execFileSync(env('DCGATE_DB_CTL'), [cmd], { stdio: 'ignore', timeout: 90000 });
}

function alive(pid) {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

async function until(fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('database outage: 503 pages meanwhile, the same process and session serve again after', async () => {
  const admin = await adminClient();
  const before = await admin.get('/data-connectors');
  assert.notStrictEqual(before.status, 503);
  assert.notStrictEqual(before.status, 302, 'signed in before the outage');

  dbctl('stop');
  try {
    const health = await admin.get('/healthz');
    assert.strictEqual(health.status, 503);
    assert.strictEqual(health.json().database.reachable, false);
    // Requests in flight during the outage: all answered, none crash the process.
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => admin.get(i % 2 ? '/data-connectors' : '/healthz')),
    );
    for (const r of answers) assert.strictEqual(r.status, 503);
    const page = await admin.get('/data-connectors');
    assert.match(page.text, /temporarily unavailable/);
    assert.match(page.contentType, /text\/html/);
    const login = await new Client().get('/login');
    assert.strictEqual(login.status, 200, 'the sign-in page needs no database');
    assert.ok(alive(env('DCGATE_PID')), 'dcgate survives the outage');
  } finally {
    dbctl('start');
  }
  const back = await until(async () => (await admin.get('/healthz')).status === 200, 15000);
  assert.ok(back, '/healthz is 200 again within 15 s');
  const after = await admin.get('/data-connectors');
  assert.strictEqual(after.status, 200, 'the session survived the outage');
  assert.ok(alive(env('DCGATE_PID')));
});

test('SIGHUP reloads the templates without dropping requests', async () => {
  const log = env('DCGATE_APP_LOG');
  const count = () => (fs.readFileSync(log, 'utf8').match(/templates loaded from/g) || []).length;
  const n = count();
  process.kill(Number(env('DCGATE_PID')), 'SIGHUP');
  const reloaded = await until(async () => count() > n, 5000);
  assert.ok(reloaded, 'the log says the templates were loaded again');
  const r = await new Client().get('/login');
  assert.strictEqual(r.status, 200);
  assert.match(r.text, /Sign in/);
});
