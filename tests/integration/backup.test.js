'use strict';
// Backup and restore as README says: dump the database with mariadb-dump, restore it into a
// fresh database (dcgate_restore), start a dcgate on it with the same key file, and a
// connector's stored Basic credentials still open its data source (the echo server's
// /auth/basic answers 401 unless they are right). Without the key file they do not: the key
// is part of the backup.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, env, unique, sql } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');

const RESTORE_DB = `${env('DCGATE_DB_NAME')}_restore`;
const started = [];

test.after(async () => {
  for (const p of started.reverse()) {
    const r = await p.stop('SIGTERM', 30000);
    if (p.name.startsWith('backup-app')) assert.equal(r.code, 0, `${p.name} exits 0 on TERM`);
  }
  try { sql(`DROP DATABASE IF EXISTS \`${RESTORE_DB}\``); } catch { /* best effort */ }
});

function client(args, opts = {}) {
  return execFileSync(args[0], ['--no-defaults', '--protocol=socket', `--socket=${env('DCGATE_DB_SOCKET')}`,
    `--user=${env('DCGATE_DB_USER')}`, ...args.slice(1)], {
    env: { ...process.env, MYSQL_PWD: process.env.DCGATE_DB_PASSWORD || '' }, maxBuffer: 256 * 1024 * 1024, ...opts,
  });
}

/** Rows per table of a database, {table: count}. */
function counts(db) {
  const tables = sql(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '${db}' AND table_type = 'BASE TABLE' ORDER BY 1`).map((r) => r.t);
  const out = {};
  for (const t of tables) out[t] = Number(sql(`SELECT COUNT(*) AS n FROM \`${db}\`.\`${t}\``)[0].n);
  return out;
}

/** A dcgate on DATABASE with KEY_FILE behind its own nginx; returns a signed-in Client. */
async function serve(name, database, keyFile) {
  const conf = ops.confCopy(name, { 'server.socket': ops.sockPath(name), 'database.name': database, 'security.key_file': keyFile });
  const app = await ops.startDcgate(`backup-app-${name}`, conf);
  started.push(app);
  const web = await ops.startNginx(name, [app.socket]);
  started.push(web.proc);
  const c = new Client(web.url);
  const r = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(r.status, 303, `sign in on ${database}: ${flow.where(r)}`);
  return c;
}

const reached = (page) => /"path"\s*:\s*"\/auth\/basic"/.test(ops.pageText(page.text));

test('a dump restored into a fresh database serves the same connectors, whose stored credentials still work', async (t) => {
  const admin = await adminClient();
  const user = 'backup-user';
  const pass = `pw-${crypto.randomBytes(6).toString('hex')}`;
  const cat = await flow.createCategory(admin, unique('Backup cat'));
  const name = unique('Backed up');
  const id = await flow.createConnector(admin, { name, category_ids: [cat] });
  await flow.setAuthorization(admin, id, { auth_type: 'basic', verify_ssl: '1', username: user, password: pass, allowed_origins: env('ECHO_URL') });
  const stored = sql(`SELECT auth_password FROM connectors WHERE id = ${Number(id)}`)[0].auth_password || '';
  assert.ok(stored.length > 0 && !stored.includes(pass), 'the password is stored, sealed');
  const url = `${env('ECHO_URL')}/auth/basic?user=${user}&pass=${pass}`;
  const eid = await flow.addEndpoint(admin, id, { purpose: 'Check', method: 'GET', url });
  assert.ok(reached(await flow.testEndpoint(admin, id, eid)), 'the credentials work before the backup');
  // The Test's execution log row is written by dcgate's log writer thread; a Logs page read
  // waits for it, so the dump below has it.
  assert.equal((await admin.get(`/data-connectors/${id}/logs`)).status, 200);

  // Back up: the database (as README says) and the key file.
  const dump = path.join(ops.opsDir(), 'backup.sql');
  const t0 = Date.now();
  client(['mariadb-dump', '--single-transaction', '--no-tablespaces', '--routines', '--triggers', `--result-file=${dump}`, env('DCGATE_DB_NAME')]);
  const dumpMs = Date.now() - t0;
  const keyCopy = path.join(ops.opsDir(), 'backup-secret.key');
  fs.copyFileSync(ops.iniGet(env('DCGATE_CONF'), 'security', 'key_file'), keyCopy);
  fs.chmodSync(keyCopy, 0o600);
  // (The endpoint's URL holds the password for the echo server to compare with, so the dump
  // does too; the connector's own copy is the sealed one checked above.)

  // Restore into a fresh database.
  sql(`DROP DATABASE IF EXISTS \`${RESTORE_DB}\`; CREATE DATABASE \`${RESTORE_DB}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const t1 = Date.now();
  client(['mariadb', RESTORE_DB], { input: fs.readFileSync(dump) });
  const restoreMs = Date.now() - t1;
  assert.deepEqual(counts(RESTORE_DB), counts(env('DCGATE_DB_NAME')), 'every table has the same number of rows');
  t.diagnostic(`dump ${fs.statSync(dump).size} bytes in ${dumpMs} ms, restore in ${restoreMs} ms`);

  // A dcgate on the restored database, with the key file from the backup.
  const c = await serve('backup-restored', RESTORE_DB, keyCopy);
  const page = await c.get(`/data-connectors/${id}`);
  assert.equal(page.status, 200);
  assert.match(ops.pageText(page.text), new RegExp(name));
  const result = await flow.testEndpoint(c, id, eid);
  assert.ok(reached(result), `the restored credentials open the data source: ${ops.pageText(result.text).slice(0, 600)}`);
  assert.doesNotMatch(ops.pageText(result.text), /unauthorized/);

  // The same restore with another key: the sealed password cannot be opened.
  const otherKey = path.join(ops.opsDir(), 'other-secret.key');
  const otherConf = ops.confCopy('backup-nokey-admin', { 'database.name': RESTORE_DB, 'security.key_file': otherKey });
  execFileSync(env('DCGATE_ADMIN_BIN'), ['init-key'], { env: { ...process.env, DCGATE_CONF: otherConf }, stdio: 'pipe' });
  const c2 = await serve('backup-nokey', RESTORE_DB, otherKey);
  const p2 = await c2.submit(`/data-connectors/${id}/endpoints/${eid}`, `/data-connectors/${id}/endpoints/${eid}/test`, {});
  assert.ok(!reached(p2), 'without the backed-up key the stored password does not open the data source');

  await flow.deleteConnector(admin, id);
});
