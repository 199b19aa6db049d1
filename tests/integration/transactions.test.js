'use strict';
// Issue 17: transactions owned by the caller. The nesting of src/db (savepoints, the
// "fail whole" rule, db_tx's retry from the outermost level) driven by tests/unit/db_probe
// against the real MariaDB; then each composite save of the API and the import with a
// failure injected after its first part (a trigger made here fails the second part's write
// with a NULL in a NOT NULL column): the answer is an error and nothing of the save is
// kept, audit rows included; and a single save whose audit row is refused keeps nothing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Client, env, sql, sqlString, unique } = require('./lib.js');
const { adminToken } = require('./apitokens.js');

let token;
const tag = `tx${process.pid}`;

function api(method, p, body) {
  return new Client().api(method, p, body, token);
}

function plain(prefix) {
  return unique(prefix).replace(/[^A-Za-z0-9 ]/g, '');
}

function count(query) {
  return Number(sql(query)[0].n);
}

function lastAuditId() {
  return Number(sql('SELECT COALESCE(MAX(id), 0) AS n FROM audit_log')[0].n);
}

/** A trigger of this suite that fails the write when cond holds: it sets the NOT NULL column
 * col to NULL (one statement, no ';' inside for the client). The caller drops it. */
function trap(name, timing, table, col, cond) {
  sql(`CREATE TRIGGER ${name} ${timing} ON ${table} FOR EACH ROW
       SET NEW.${col} = IF(${cond}, NULL, NEW.${col})`);
}

async function makeCategory() {
  const r = await api('POST', '/api/1.0/data-connector-categories', { name: plain('Tx Cat') });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

test.before(async () => {
  token = await adminToken();
});

test('nested transactions: savepoints per level, a failed statement fails the whole, db_tx retries from the outermost', () => {
  const root = path.resolve(__dirname, '..', '..');
  const bin = ['build', 'build-asan'].map((d) => path.join(root, d, 'tests', 'unit', 'db_probe')).find((p) => fs.existsSync(p));
  assert.ok(bin, 'db_probe is built by make check');
  const out = JSON.parse(execFileSync(bin, ['nested', env('DCGATE_CONF')], { encoding: 'utf8', timeout: 30000 }));
  // begin/commit/rollback at three levels: 2 rolled back to its savepoint, 1 and 3 kept
  assert.deepEqual(out.levels.begin, [0, 0, 0, 0]);
  assert.deepEqual(out.levels.exec, [0, 0, 0]);
  assert.deepEqual(out.levels.commit, [0, 0, 0]);
  assert.equal(out.levels.seen_before, 0, 'nothing is visible before the outermost commit');
  assert.equal(out.levels.rows, 2, 'the rolled-back level left nothing, the others are kept');
  // a failed statement in an inner level: later levels refused, the outermost commit fails
  assert.equal(out.failed.exec[0], 0);
  assert.notEqual(out.failed.exec[1], 0, 'the bad statement fails');
  assert.notEqual(out.failed.begin[2], 0, 'no new level opens after a failure');
  assert.notEqual(out.failed.exec[2], 0, 'no statement runs after a failure');
  assert.notEqual(out.failed.commit, 0, 'the outermost commit reports the failure');
  assert.equal(out.failed.rows, 0, 'nothing of it is kept');
  // db_tx
  assert.deepEqual(out.tx_ok, { rc: 0, runs: 1, inner_runs: 1, rows: 3 });
  assert.deepEqual(out.tx_inner_refused, { rc: 0, runs: 1, inner_runs: 1, rows: 2 }, 'a refused inner level is undone alone');
  assert.deepEqual(out.tx_retry, { rc: 0, runs: 2, inner_runs: 2, rows: 3 }, 'a deadlock in an inner level runs the outermost again, once');
  assert.deepEqual(out.tx_victim, { rc: -7, runs: 5, inner_runs: 5, rows: 0 }, 'DB_RETRIES runs, then DB_ERETRY, nothing kept');
});

test('API create with authorization: a failure in the authorization part keeps no connector and no audit row', async () => {
  const cat = await makeCategory();
  const name = plain('Tx Create');
  const trigger = `${tag}_create`;
  trap(trigger, 'BEFORE UPDATE', 'connectors', 'name', `NEW.auth_username = 'fail-${tag}'`);
  const audit = lastAuditId();
  try {
    const r = await api('POST', '/api/1.0/data-connectors', {
      name, category_ids: [cat.id], auth_type: 'basic', username: `fail-${tag}`, password: 'pw',
    });
    assert.equal(r.status, 500, r.text);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM connectors WHERE name = ${sqlString(name)}`), 0, 'no connector row');
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE id > ${audit}`), 0, 'no audit row');
  // the same body without the trap saves both parts
  const ok = await api('POST', '/api/1.0/data-connectors', {
    name, category_ids: [cat.id], auth_type: 'basic', username: `fail-${tag}`, password: 'pw',
  });
  assert.equal(ok.status, 201, ok.text);
  const [row] = sql(`SELECT auth_type, auth_username FROM connectors WHERE name = ${sqlString(name)}`);
  assert.deepEqual(row, { auth_type: 'basic', auth_username: `fail-${tag}` });
});

test('API update with authorization: a failure in the authorization part keeps the old details', async () => {
  const cat = await makeCategory();
  const name = plain('Tx Update');
  const made = await api('POST', '/api/1.0/data-connectors', { name, description: 'before', category_ids: [cat.id] });
  assert.equal(made.status, 201, made.text);
  const { id, version } = made.json();
  const trigger = `${tag}_update`;
  trap(trigger, 'BEFORE UPDATE', 'connectors', 'name', `NEW.auth_username = 'fail-${tag}'`);
  const audit = lastAuditId();
  try {
    const r = await api('PUT', `/api/1.0/data-connectors/${id}`, {
      version, name: `${name} renamed`, description: 'after', category_ids: [cat.id],
      auth_type: 'basic', username: `fail-${tag}`, password: 'pw',
    });
    assert.equal(r.status, 500, r.text);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
  const [row] = sql(`SELECT name, description, auth_type, version FROM connectors WHERE id = ${id}`);
  assert.deepEqual(row, { name, description: 'before', auth_type: 'none', version: String(version) }, 'the details part was not kept');
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE id > ${audit}`), 0, 'no audit row');
  const ok = await api('PUT', `/api/1.0/data-connectors/${id}`, {
    version, name: `${name} renamed`, description: 'after', category_ids: [cat.id],
    auth_type: 'basic', username: `fail-${tag}`, password: 'pw',
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json().version, version + 2, 'details and authorization each moved the version');
});

test('import with endpoints: a failure in the second endpoint keeps no category, connector, endpoint or audit row', async () => {
  const cat = await makeCategory();
  const src = await api('POST', '/api/1.0/data-connectors', { name: plain('Tx Source'), category_ids: [cat.id] });
  assert.equal(src.status, 201, src.text);
  const doc = (await api('GET', `/api/1.0/data-connectors/${src.json().id}/export`)).json();
  const fresh = plain('Tx Fresh Cat');
  doc.categories = [fresh];
  doc.endpoints = [
    { purpose: `ok-${tag}`, method: 'GET', url: 'http://127.0.0.1:9/a' },
    { purpose: `fail-${tag}`, method: 'GET', url: 'http://127.0.0.1:9/b' },
  ];
  const name = plain('Tx Import');
  const trigger = `${tag}_import`;
  trap(trigger, 'BEFORE INSERT', 'endpoints', 'purpose', `NEW.purpose = 'fail-${tag}'`);
  const audit = lastAuditId();
  try {
    const r = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name });
    assert.equal(r.status, 500, r.text);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM connectors WHERE name = ${sqlString(name)}`), 0, 'no connector row');
  assert.equal(count(`SELECT COUNT(*) AS n FROM categories WHERE name = ${sqlString(fresh)}`), 0, 'no category row');
  assert.equal(count(`SELECT COUNT(*) AS n FROM endpoints WHERE purpose = 'ok-${tag}'`), 0, 'no endpoint row');
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE id > ${audit}`), 0, 'no audit row');
  const ok = await api('POST', '/api/1.0/data-connectors/import', { export: doc, name });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${ok.json().id}`), 2);
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE id > ${audit} AND action = 'connector.import'`), 1);
});

test('a save and its audit row are one transaction: a refused audit row keeps no endpoint and no version bump', async () => {
  const cat = await makeCategory();
  const made = await api('POST', '/api/1.0/data-connectors', { name: plain('Tx Audit'), category_ids: [cat.id] });
  assert.equal(made.status, 201, made.text);
  const { id, version } = made.json();
  const trigger = `${tag}_audit`;
  trap(trigger, 'BEFORE INSERT', 'audit_log', 'action', `NEW.details LIKE '%purpose: fail-${tag}'`);
  try {
    const r = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: `fail-${tag}`, url: 'http://127.0.0.1:9/a' });
    assert.equal(r.status, 500, r.text);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${trigger}`);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${id}`), 0, 'no endpoint row');
  assert.equal(count(`SELECT version AS n FROM connectors WHERE id = ${id}`), version, 'the connector was not touched');
  const ok = await api('POST', `/api/1.0/data-connectors/${id}/endpoints`, { purpose: `fail-${tag}`, url: 'http://127.0.0.1:9/a' });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'endpoint.create' AND object_id = ${ok.json().id}`), 1);
});
