'use strict';
// The JSON API through a real client (issue 7): newman runs the Postman collection
// tests/api/dcgate.postman_collection.json against the running server, covering every
// /api/ route, the error shapes (401, 403 with a view-only user's token, 404, 405, 409,
// 413, 415, 422, 400) and execute against json-server. Every newman assertion is reported
// as a test of its own, so the counts show; the run must have no failure at all.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const newman = require('newman');
const { env, baseUrl } = require('./lib.js');
const { adminToken, userToken } = require('./apitokens.js');

const COLLECTION = path.join(__dirname, '..', 'api', 'dcgate.postman_collection.json');

function runNewman(values) {
  return new Promise((resolve, reject) => {
    newman.run({
      collection: require(COLLECTION),
      environment: { name: 'dcgate tests', values: Object.entries(values).map(([key, value]) => ({ key, value, type: 'default', enabled: true })) },
      reporters: [],
      timeoutRequest: 30000,
    }, (err, summary) => (err ? reject(err) : resolve(summary)));
  });
}

/** "Folder / request" for an execution. */
function itemName(exec) {
  const parent = exec.item.parent && exec.item.parent();
  return parent && parent.name ? `${parent.name} / ${exec.item.name}` : exec.item.name;
}

/** Every request of the collection as {method, path} (path without the base URL or query). */
function collectionRequests() {
  const out = [];
  const walk = (items) => {
    for (const it of items) {
      if (it.item) walk(it.item);
      else out.push({ method: it.request.method, path: it.request.url.replace('{{baseUrl}}', '').replace(/\?.*$/, '') });
    }
  };
  walk(require(COLLECTION).item);
  return out;
}

/** The R_API routes of the route table (dcgate-admin routes). */
function apiRoutes() {
  const routes = JSON.parse(execFileSync(env('DCGATE_ADMIN_BIN'), ['routes'], { encoding: 'utf8' }));
  return routes.filter((r) => r.api);
}

test('the collection has a request for every API route of the route table', () => {
  const reqs = collectionRequests();
  const missing = apiRoutes().filter((r) => {
    const re = new RegExp(`^${r.pattern.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return !reqs.some((q) => q.method === r.method && re.test(q.path));
  });
  assert.deepEqual(missing.map((r) => `${r.method} ${r.pattern}`), []);
});

test('newman runs the collection against the server', async (t) => {
  const viewer = userToken('api viewer', ['view-data-connectors', 'view-data-connector-categories']);
  const executor = userToken('api executor', ['view-data-connectors', 'execute-data-connectors']);
  const summary = await runNewman({
    baseUrl: baseUrl(),
    adminToken: await adminToken(),
    viewerToken: viewer.token,
    executorToken: executor.token,
    badToken: 'dcg_this-token-does-not-exist-anywhere-at-all',
    jsonServerUrl: env('JSON_SERVER_URL'),
    echoUrl: env('ECHO_URL'),
    oauthUrl: env('OAUTH_URL'),
    suffix: Date.now().toString(36),
  });
  const execs = summary.run.executions;
  assert.ok(execs.length >= 60, `requests run: ${execs.length}`);
  for (const exec of execs) {
    const name = itemName(exec);
    if (exec.requestError) {
      await t.test(`${name}: request`, () => assert.fail(String(exec.requestError.message || exec.requestError)));
    }
    for (const a of exec.assertions || []) {
      await t.test(`${name}: ${a.assertion}`, () => {
        if (a.error) assert.fail(`${a.error.name}: ${a.error.message}`);
      });
    }
  }
  await t.test('no failure anywhere in the run (scripts included)', () => {
    const f = summary.run.failures.map((x) => `${x.source && x.source.name}: ${x.error && x.error.message}`);
    assert.deepEqual(f, []);
    assert.equal(summary.run.stats.assertions.failed, 0);
    assert.ok(summary.run.stats.assertions.total >= 150, `assertions: ${summary.run.stats.assertions.total}`);
  });
});
