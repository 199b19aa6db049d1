'use strict';
// Killed mid-save: a dcgate of its own (own socket, own nginx) is SIGKILLed while it saves
// an endpoint with hundreds of header and parameter rows (one transaction, which also
// touches the connector), then started again. Whatever the moment of the kill, the save is
// there whole or not at all: every endpoint has all its rows from one and the same save,
// and the connector's version moved only for saves that were kept.
//
// Half of the kills are aimed: a second database session reading uncommitted rows (READ
// UNCOMMITTED) watches the save's rows appear and the kill is sent while only some of them
// are written. The other half come after a random delay.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, env, unique, sql, sqlString } = require('./lib.js');
const ops = require('../ops/lib.js');
const flow = require('../ops/flow.js');

const N_HEADERS = 300;
const N_PARAMS = 100;
const ROUNDS = Number(process.env.DCGATE_KILLSAVE_ROUNDS || 16);

let conf;
let app;
let web;
let c;
let connectorId;

test.before(async () => {
  conf = ops.confCopy('killsave', { 'server.socket': ops.sockPath('killsave') });
  app = await ops.startDcgate('killsave', conf);
  web = await ops.startNginx('killsave', [app.socket]);
  c = new Client(web.url);
  const r = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(r.status, 303, flow.where(r));
});

test.after(async () => {
  if (web) await web.proc.stop();
  if (app) {
    const r = await app.stop('SIGTERM', 30000);
    assert.equal(r.code, 0, `the restarted dcgate exits 0 on TERM (${JSON.stringify(r)})`);
  }
});

/** Form fields of an endpoint whose every row carries the tag GEN (also its description). */
function endpointFields(purpose, gen) {
  const f = { purpose, description: gen, method: 'GET', url: `${env('ECHO_URL')}/kill/${gen}`, timeout: 10, body: '', sample_data: '' };
  for (let i = 0; i < N_HEADERS; i++) {
    f[`header[${i}][key]`] = `X-H${i}`;
    f[`header[${i}][value]`] = `${gen}-${i}`;
    f[`header[${i}][description]`] = `header ${i} of ${gen}`;
  }
  for (let i = 0; i < N_PARAMS; i++) {
    f[`param[${i}][key]`] = `p${i}`;
    f[`param[${i}][value]`] = `${gen}-${i}`;
  }
  return f;
}

/** GET the form at formPath, then return a function that POSTs fields to action (not awaited yet). */
async function prepare(formPath, action, fields) {
  const page = await c.get(formPath);
  assert.equal(page.status, 200, `GET ${formPath}: ${flow.where(page)}`);
  const hidden = ops.hiddenFields(page.text, action);
  assert.ok(hidden._csrf, `${formPath} has a _csrf field`);
  return () => c.post(action, { ...hidden, ...fields });
}

/** Every endpoint of the connector: its row counts, and how many rows carry its own tag. */
function endpointState() {
  return sql(`SELECT e.id, e.purpose, e.description AS gen,
      (SELECT COUNT(*) FROM endpoint_headers h WHERE h.endpoint_id = e.id) AS nh,
      (SELECT COUNT(*) FROM endpoint_headers h WHERE h.endpoint_id = e.id AND h.value LIKE CONCAT(e.description, '-%')) AS nh_own,
      (SELECT COUNT(*) FROM endpoint_params p WHERE p.endpoint_id = e.id) AS np,
      (SELECT COUNT(*) FROM endpoint_params p WHERE p.endpoint_id = e.id AND p.value LIKE CONCAT(e.description, '-%')) AS np_own
    FROM endpoints e WHERE e.connector_id = ${Number(connectorId)} ORDER BY e.id`);
}

function assertWhole(label) {
  for (const e of endpointState()) {
    assert.deepEqual([Number(e.nh), Number(e.nh_own), Number(e.np), Number(e.np_own)], [N_HEADERS, N_HEADERS, N_PARAMS, N_PARAMS],
      `${label}: endpoint ${e.purpose} (${e.gen}) has all its rows from one save`);
  }
}

function version() {
  return Number(sql(`SELECT version FROM connectors WHERE id = ${Number(connectorId)}`)[0].version);
}

async function restart() {
  app = await ops.startDcgate('killsave', conf);
  await ops.waitHttp(`${web.url}/healthz`, { want: 200, proc: app });
}

test('SIGKILL during saves of endpoints with 300 headers and 100 parameters: each save is whole or absent', async (t) => {
  const cat = await flow.createCategory(c, unique('Kill cat'));
  connectorId = await flow.createConnector(c, { name: unique('Killed mid save'), category_ids: [cat] });
  const base = `/data-connectors/${connectorId}/endpoints`;

  // Unkilled saves first: how long one takes, and how much one moves the connector's version.
  let v0 = version();
  let t0;
  let send = await prepare(`${base}/new`, base, endpointFields('Calibration', 'g0'));
  t0 = Date.now();
  let r = await send();
  const createMs = Date.now() - t0;
  assert.equal(r.status, 303, flow.where(r));
  const versionStep = version() - v0;
  assert.ok(versionStep === 0 || versionStep === 1, `an endpoint save moves the version by 0 or 1, not ${versionStep}`);
  const eid = sql(`SELECT id FROM endpoints WHERE connector_id = ${Number(connectorId)} AND purpose = 'Calibration'`)[0].id;
  v0 = version();
  send = await prepare(`${base}/${eid}`, `${base}/${eid}`, endpointFields('Calibration', 'g1'));
  t0 = Date.now();
  r = await send();
  const updateMs = Date.now() - t0;
  assert.equal(r.status, 303, flow.where(r));
  assert.equal(version() - v0, versionStep);
  assertWhole('after the unkilled saves');

  const watch = new ops.SqlSession({ isolation: 'READ UNCOMMITTED' });
  const outcome = { kept: 0, absent: 0, aimedPartial: 0, aimedPartialAbsent: 0, inFlight: 0 };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const gen = `g${i + 2}`;
      const isCreate = i % 2 === 0;
      const aimed = i % 4 < 2;
      const purpose = `Bulk ${i}`;
      const before = version();
      send = isCreate
        ? await prepare(`${base}/new`, base, endpointFields(purpose, gen))
        : await prepare(`${base}/${eid}`, `${base}/${eid}`, endpointFields('Calibration', gen));
      // Rows of this save visible to a READ UNCOMMITTED reader (written, maybe not committed).
      const probe = isCreate
        ? `SELECT COUNT(*) FROM endpoint_headers h JOIN endpoints e ON e.id = h.endpoint_id WHERE e.connector_id = ${Number(connectorId)} AND e.purpose = ${sqlString(purpose)}`
        : `SELECT COUNT(*) FROM endpoint_headers WHERE endpoint_id = ${Number(eid)} AND value LIKE ${sqlString(`${gen}-%`)}`;
      let done = false;
      const req = send().then((x) => { done = true; return x.status; }, () => { done = true; return 'connection error'; });
      let sawPartial = false;
      if (aimed) {
        const end = Date.now() + 15000;
        while (!done && Date.now() < end) {
          const n = Number((await watch.query(probe))[0][0]);
          if (n > 0 && n < N_HEADERS) { sawPartial = true; break; }
        }
      } else {
        await ops.sleep(Math.random() * 1.2 * (isCreate ? createMs : updateMs));
      }
      const wasDone = done;
      process.kill(app.pid, 'SIGKILL');
      const exit = await app.ended;
      assert.equal(exit.signal, 'SIGKILL');
      const status = await req;
      if (!wasDone) outcome.inFlight++;
      // The server rolls back the dead connection's transaction: wait until the save's rows
      // are all there or none is, then read as any other client would.
      await ops.until(async () => {
        const n = Number((await watch.query(probe))[0][0]);
        return n === 0 || n === N_HEADERS;
      }, { timeout: 20000, what: 'the killed transaction to be rolled back' });
      await restart();

      assertWhole(`round ${i} (${isCreate ? 'create' : 'update'}, ${aimed ? 'aimed' : 'random'} kill, answer ${status})`);
      const kept = isCreate
        ? sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${Number(connectorId)} AND purpose = ${sqlString(purpose)}`)[0].n === '1'
        : sql(`SELECT description FROM endpoints WHERE id = ${Number(eid)}`)[0].description === gen;
      if (status === 303) assert.ok(kept, `round ${i}: answered 303, so the save must be there`);
      assert.equal(version() - before, kept ? versionStep : 0, `round ${i}: the version moved only with a kept save`);
      if (kept) outcome.kept++;
      else outcome.absent++;
      if (sawPartial) {
        outcome.aimedPartial++;
        if (!kept) outcome.aimedPartialAbsent++;
      }
    }
  } finally {
    watch.close();
  }
  t.diagnostic(`one save: create ${createMs} ms, update ${updateMs} ms; ${ROUNDS} kills: ${JSON.stringify(outcome)}`);
  assert.ok(outcome.inFlight >= ROUNDS / 4, `most kills hit a save in flight (${outcome.inFlight} of ${ROUNDS})`);
  assert.ok(outcome.aimedPartialAbsent >= 1, 'at least one kill landed with the save half written, and that save is absent');
  // The connector and its endpoints are still usable after all this.
  const list = await c.get(base);
  assert.equal(list.status, 200);
  await flow.deleteConnector(c, connectorId);
});
