'use strict';
// Issue 19: endpoints imported from cURL, OpenAPI 3.0/3.1 and Postman v2.1, and connectors
// exported as OpenAPI 3.1 and Postman v2.1 — with documents nobody here wrote:
// - every OpenAPI 3 document of @readme/oas-examples (JSON and YAML) imported as a dry run,
//   its endpoint count compared with the operations counted here independently;
// - a collection built and serialised by Postman's own library (postman-collection);
// - round trips export → import → export giving the same document, the OpenAPI export
//   validated by @seriousme/openapi-schema-validator, the Postman export run by newman
//   against json-server;
// - bad input: a YAML bomb (refused within a second, the process' memory flat), a 20 MB
//   document (413), a cURL line with $(...) (refused, naming the place), an invalid
//   endpoint in the middle of a document (nothing created: one transaction).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const newman = require('newman');
const { Client, adminClient, env, sql, unique, flashOf } = require('./lib.js');
const { adminToken } = require('./apitokens.js');

const OAS = path.join(__dirname, '..', '..', 'node_modules', '@readme', 'oas-examples');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

let token;

function api(method, p, body) {
  return new Client().api(method, p, body, token);
}

async function makeConnector() {
  const cat = await api('POST', '/api/1.0/data-connector-categories', { name: unique('Import Cat').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(cat.status, 201, cat.text);
  const r = await api('POST', '/api/1.0/data-connectors', { name: unique('Import Conn').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id] });
  assert.equal(r.status, 201, r.text);
  return r.json();
}

function importInto(cid, format, source, extra = {}) {
  return api('POST', `/api/1.0/data-connectors/${cid}/endpoints/import`, { format, source, dry_run: false, ...extra });
}

function endpointCount(cid) {
  return Number(sql(`SELECT COUNT(*) AS n FROM endpoints WHERE connector_id = ${cid}`)[0].n);
}

/** A local JSON pointer ("#/a/b~1c") inside doc. */
function pointer(doc, ref) {
  return ref.slice(2).split('/').reduce((o, k) => (o == null ? o : o[decodeURIComponent(k).replace(/~1/g, '/').replace(/~0/g, '~')]), doc);
}

/** Operations of an OpenAPI document dcgate can send, counted here: paths × the five methods
 * (a path item given as a local $ref is the item it points to). */
function countOperations(doc) {
  let n = 0;
  let other = 0;
  for (let item of Object.values(doc.paths || {})) {
    for (let hops = 0; item && item.$ref && hops < 20; hops++) item = pointer(doc, item.$ref);
    if (!item) continue;
    for (const k of Object.keys(item)) {
      if (METHODS.includes(k)) n++;
      else if (['options', 'head', 'trace'].includes(k)) other++;
    }
  }
  return { n, other };
}

function oasFiles() {
  const out = [];
  for (const v of ['3.0', '3.1']) {
    for (const kind of ['json', 'yaml']) {
      const dir = path.join(OAS, v, kind);
      for (const f of fs.readdirSync(dir).sort()) {
        if (f.endsWith(`.${kind}`)) out.push(path.join(dir, f));
      }
    }
  }
  return out;
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

test.before(async () => {
  token = await adminToken();
});

test('every OpenAPI 3 document of @readme/oas-examples: one endpoint per operation (dry run)', async (t) => {
  const conn = await makeConnector();
  const files = oasFiles();
  assert.ok(files.length >= 90, `documents found: ${files.length}`);
  const figures = [];
  let total = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    // counted independently: the JSON documents parsed here, each YAML one by its JSON twin
    const twin = file.replace(/\/yaml\/(.*)\.yaml$/, '/json/$1.json');
    const doc = JSON.parse(fs.readFileSync(fs.existsSync(twin) ? twin : file, 'utf8'));
    if (!fs.existsSync(twin)) continue; // a YAML document without a JSON twin is not counted
    const want = countOperations(doc);
    const r = await importInto(conn.id, 'openapi', text, { dry_run: true });
    assert.equal(r.status, 200, `${path.relative(OAS, file)}: ${r.status === 422 ? JSON.stringify([r.json().message, r.json().errors]) : r.text.slice(0, 1500)}`);
    const b = r.json();
    assert.equal(b.dry_run, true);
    assert.equal(b.endpoints.length, want.n, `${path.relative(OAS, file)}: ${b.endpoints.length} endpoints, ${want.n} operations`);
    assert.equal(b.created.length, 0);
    if (want.other) assert.ok(b.notes.some((x) => /is not one dcgate sends/.test(x)), 'skipped methods are noted');
    figures.push(`${path.relative(OAS, file)}: ${want.n} operations, ${b.endpoints.length} endpoints`);
    total += b.endpoints.length;
  }
  assert.equal(endpointCount(conn.id), 0, 'a dry run creates nothing');
  t.diagnostic(`${figures.length} documents, ${total} endpoints\n${figures.join('\n')}`);
});

test('an OpenAPI import creates every endpoint in one go; a second one conflicts by purpose', async () => {
  const conn = await makeConnector();
  const text = fs.readFileSync(path.join(OAS, '3.1', 'yaml', 'petstore.yaml'), 'utf8');
  const want = countOperations(JSON.parse(fs.readFileSync(path.join(OAS, '3.1', 'json', 'petstore.json'), 'utf8'))).n;
  let r = await importInto(conn.id, 'openapi', text);
  assert.equal(r.status, 201, r.text);
  const b = r.json();
  assert.equal(b.created.length, want);
  assert.equal(endpointCount(conn.id), want);
  const one = b.endpoints.find((e) => e.purpose === 'getPetById');
  assert.ok(one, 'purpose from operationId');
  assert.match(one.url, /^https?:\/\/petstore\.swagger\.io\/v2\/pet\/\{\{petId\}\}$/);
  const find = b.endpoints.find((e) => e.purpose === 'findPetsByStatus');
  assert.deepEqual(find.params.map((p) => [p.key, p.value, p.required]), [['status', '{{status}}', true]]);
  // again: every purpose is taken → 409 naming them, nothing more created
  r = await importInto(conn.id, 'openapi', text);
  assert.equal(r.status, 409, r.text);
  assert.equal(r.json().conflicts.length, want);
  assert.equal(endpointCount(conn.id), want);
  // skip: the others (none) are imported
  r = await importInto(conn.id, 'openapi', text, { on_conflict: 'skip' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json().created.length, 0);
  assert.equal(endpointCount(conn.id), want);
});

test('one invalid endpoint in a document: 422 naming it, and nothing is created', async () => {
  const conn = await makeConnector();
  const doc = {
    openapi: '3.0.3', info: { title: 'Half', version: '1' }, servers: [{ url: 'https://half.example' }],
    paths: {
      '/a': { get: { operationId: 'first' } },
      '/b': { get: { operationId: 'second', parameters: [{ name: 'Bad Header', in: 'header' }] } },
      '/c': { get: { operationId: 'third' } },
    },
  };
  const r = await importInto(conn.id, 'openapi', JSON.stringify(doc));
  assert.equal(r.status, 422, r.text);
  const b = r.json();
  assert.ok(Object.keys(b.errors).some((k) => k.startsWith('endpoints.1.headers.0')), JSON.stringify(b.errors));
  assert.equal(b.created.length, 0);
  assert.equal(endpointCount(conn.id), 0, 'the valid endpoints before and after it are not created either');
});

test('bad documents: malformed, unknown version, a YAML bomb within a second, $(...) in cURL, 20 MB', async (t) => {
  const conn = await makeConnector();
  let r = await importInto(conn.id, 'openapi', '{\n  "openapi": "3.0.0",\n  "paths": {,}\n}');
  assert.equal(r.status, 422);
  assert.equal(r.json().place.line, 3, r.text);
  assert.match(r.json().message, /line 3/);
  r = await importInto(conn.id, 'openapi', 'swagger: "2.0"\npaths: {}\n');
  assert.equal(r.status, 422);
  assert.match(r.json().message, /Swagger 2\.0/);
  r = await importInto(conn.id, 'postman', '{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}, "item": []}');
  assert.equal(r.status, 422);
  assert.match(r.json().message, /info\.schema/);

  // billion laughs: ten levels of ten aliases (10^10 nodes once expanded)
  let bomb = 'openapi: 3.0.0\na0: &a0 ["lol"]\n';
  for (let i = 1; i <= 10; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  bomb += 'paths: {}\n';
  const pid = Number(env('DCGATE_PID'));
  const before = rssKb(pid);
  const t0 = process.hrtime.bigint();
  r = await importInto(conn.id, 'openapi', bomb, { dry_run: true });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = rssKb(pid);
  assert.equal(r.status, 413, r.text);
  assert.match(r.json().message, /aliases/);
  assert.ok(ms < 1000, `refused in ${ms.toFixed(1)} ms`);
  assert.ok(after - before < 16 * 1024, `memory flat: RSS ${before} kB → ${after} kB`);
  t.diagnostic(`YAML bomb refused in ${ms.toFixed(1)} ms; dcgate RSS ${before} kB before, ${after} kB after`);

  r = await importInto(conn.id, 'curl', "curl https://h.example/x \\\n  -H \"X-Token: $(cat /etc/passwd)\"");
  assert.equal(r.status, 422, r.text);
  assert.deepEqual([r.json().place.line, r.json().place.column], [2, 16]);
  assert.match(r.json().message, /substitution.*line 2, column 16/);

  const big = `{"openapi": "3.0.0", "info": {"title": "big", "version": "1"}, "x-pad": "${'x'.repeat(20 * 1024 * 1024)}", "paths": {}}`;
  r = await importInto(conn.id, 'openapi', big);
  assert.equal(r.status, 413);
  assert.match(r.json().message, /too large.*max_body/);
  assert.equal(endpointCount(conn.id), 0);
});

test('cURL: an endpoint with Basic proposed and the password not kept', async () => {
  const conn = await makeConnector();
  const r = await importInto(conn.id, 'curl', `curl -X POST '${env('JSON_SERVER_URL')}/orders?notify=1' \\\n  -H 'Content-Type: application/json' \\\n  -u shop:pa55-word-x \\\n  -d '{"item": "{{item}}"}'`);
  assert.equal(r.status, 201, r.text);
  const b = r.json();
  assert.equal(b.authorization.auth_type, 'basic');
  assert.equal(b.authorization.username, 'shop');
  assert.doesNotMatch(r.text, /pa55-word-x/);
  const [row] = sql(`SELECT purpose, method, url, body FROM endpoints WHERE connector_id = ${conn.id}`);
  assert.equal(row.method, 'POST');
  assert.equal(row.url, `${env('JSON_SERVER_URL')}/orders`);
  assert.equal(row.purpose, 'POST /orders');
  assert.equal(Number(sql(`SELECT COUNT(*) AS n FROM endpoints e JOIN connectors c ON c.id = e.connector_id WHERE c.id = ${conn.id} AND CONCAT(e.url, e.body, IFNULL(e.sample_data, '')) LIKE '%pa55%'`)[0].n), 0);
});

test('a collection made by postman-collection imports cleanly', async () => {
  const { Collection } = require('postman-collection');
  const col = new Collection({
    info: { name: 'Built by postman-collection' },
    variable: [{ key: 'base', value: env('JSON_SERVER_URL') }],
    item: [
      {
        name: 'Customers',
        item: [
          { name: 'List', request: { method: 'GET', url: '{{base}}/customers?_limit={{limit}}', header: [{ key: 'Accept', value: 'application/json' }] } },
          { name: 'One', request: { method: 'GET', url: '{{base}}/customers/:id', header: [] } },
        ],
      },
      { name: 'Create order', request: { method: 'POST', url: '{{base}}/orders', header: [{ key: 'Content-Type', value: 'application/json' }], body: { mode: 'raw', raw: '{"item": "{{item}}"}' } } },
    ],
  });
  const doc = col.toJSON();
  assert.equal(doc.item.length, 2, 'the library kept the folder and the request');
  doc.info.schema = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';
  const conn = await makeConnector();
  const r = await importInto(conn.id, 'postman', JSON.stringify(doc));
  assert.equal(r.status, 201, r.text);
  const b = r.json();
  assert.deepEqual(b.endpoints.map((e) => e.purpose), ['Customers / List', 'Customers / One', 'Create order']);
  assert.equal(b.endpoints[0].url, `${env('JSON_SERVER_URL')}/customers`);
  assert.equal(b.endpoints[1].url, `${env('JSON_SERVER_URL')}/customers/{{id}}`);
  assert.equal(endpointCount(conn.id), 3);
});

/** A connector with endpoints against json-server, made through the API. */
async function jsonServerConnector() {
  const conn = await makeConnector();
  const base = env('JSON_SERVER_URL');
  const eps = [
    { purpose: 'Customers', url: `${base}/customers`, headers: [{ key: 'Accept', value: 'application/json', description: 'JSON please' }], params: [{ key: '_limit', value: '{{limit}}', required: true }], sample_data: '{"limit": "2"}' },
    { purpose: 'Customer', url: `${base}/customers/{{id}}`, sample_data: '{"id": "1"}' },
    { purpose: 'Create Product', method: 'POST', url: `${base}/products`, headers: [{ key: 'Content-Type', value: 'application/json' }], body: '{"name": "{{name}}", "price": 3}', sample_data: '{"name": "Widget"}' },
    { purpose: 'Orders by status', url: `${base}/orders?status=open` },
  ];
  for (const e of eps) {
    const r = await api('POST', `/api/1.0/data-connectors/${conn.id}/endpoints`, e);
    assert.equal(r.status, 201, r.text);
  }
  return conn;
}

function withoutName(doc, kind) {
  const d = JSON.parse(JSON.stringify(doc));
  if (kind === 'openapi') delete d.info.title;
  else delete d.info.name;
  return d;
}

test('OpenAPI export validates; export → import → export gives the same document', async () => {
  const a = await jsonServerConnector();
  let r = await api('GET', `/api/1.0/data-connectors/${a.id}/export/openapi`);
  assert.equal(r.status, 200, r.text);
  const first = r.json();
  assert.equal(first.openapi, '3.1.0');
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const v = new Validator();
  const res = await v.validate(first);
  assert.equal(res.valid, true, JSON.stringify(res.errors, null, 1));
  const b = await makeConnector();
  r = await importInto(b.id, 'openapi', JSON.stringify(first));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json().created.length, 4);
  r = await api('GET', `/api/1.0/data-connectors/${b.id}/export/openapi`);
  assert.deepEqual(withoutName(r.json(), 'openapi'), withoutName(first, 'openapi'));
  // and the download from the page
  const page = await new Client().get(`/data-connectors/${a.id}/export/openapi`);
  assert.equal(page.status, 302, 'no session: to the sign-in page');
});

test('Postman export: runs in newman against json-server; export → import → export is the same', async () => {
  const a = await jsonServerConnector();
  let r = await api('GET', `/api/1.0/data-connectors/${a.id}/export/postman`);
  assert.equal(r.status, 200, r.text);
  const first = r.json();
  assert.match(first.info.schema, /\/v2\.1\.0\//);
  assert.equal(first.item.length, 4);
  // newman: each request must answer 2xx from json-server
  const collection = JSON.parse(JSON.stringify(first));
  for (const it of collection.item) {
    it.event = [{ listen: 'test', script: { type: 'text/javascript', exec: ["pm.test('2xx', () => pm.expect(pm.response.code).to.be.within(200, 299));"] } }];
  }
  const summary = await new Promise((resolve, reject) => {
    newman.run({ collection, reporters: [], timeoutRequest: 10000 }, (err, s) => (err ? reject(err) : resolve(s)));
  });
  const failures = summary.run.failures.map((f) => `${f.source && f.source.name}: ${f.error.message}`);
  assert.deepEqual(failures, []);
  assert.equal(summary.run.stats.requests.total, 4);
  assert.equal(summary.run.stats.assertions.total, 4);
  const created = summary.run.executions.find((e) => e.item.name === 'Create Product');
  assert.equal(JSON.parse(created.response.stream.toString()).name, 'Widget', 'the variables carried the sample data');

  const b = await makeConnector();
  r = await importInto(b.id, 'postman', JSON.stringify(first));
  assert.equal(r.status, 201, r.text);
  r = await api('GET', `/api/1.0/data-connectors/${b.id}/export/postman`);
  assert.deepEqual(withoutName(r.json(), 'postman'), withoutName(first, 'postman'));
});

test('the Endpoints tab: Import previews what Save creates, then saves it all', async () => {
  const conn = await makeConnector();
  const admin = await adminClient();
  const list = await admin.get(`/data-connectors/${conn.id}/endpoints`);
  assert.match(list.text, /id="import-endpoints"/);
  assert.match(list.text, /id="export-openapi"/);
  const form = await admin.get(`/data-connectors/${conn.id}/endpoints/import`);
  assert.equal(form.status, 200);
  assert.match(form.text, /<textarea id="source" name="source"/);
  const source = `curl '${env('JSON_SERVER_URL')}/customers/{{id}}' -H 'Accept: application/json' -u ann:not-kept-pw`;
  const action = `/data-connectors/${conn.id}/endpoints/import`;
  let r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source, preview: '1' });
  assert.equal(r.status, 200, r.text.slice(0, 2000));
  assert.match(r.text, /What Save will create/);
  assert.match(r.text, /GET \/customers\/\{\{id\}\}/);
  assert.match(r.text, /id="import-auth"[^]*basic[^]*ann/);
  assert.equal(r.text.split('not-kept-pw').length - 1, 1, 'the password shows only in the text the user typed');
  assert.equal(endpointCount(conn.id), 0, 'a preview saves nothing');
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source: 'curl https://x.example/$(id)', preview: '1' });
  assert.equal(r.status, 422);
  assert.match(r.text, /substitution[^<]*line 1, column 24/);
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source, save: '1' });
  assert.equal(r.status, 303, r.text.slice(0, 2000));
  assert.equal(endpointCount(conn.id), 1);
  const back = await admin.get(r.headers.get('location'));
  assert.match(flashOf(back.text) || '', /1 endpoint was imported/);
  // again: the purpose is taken → 409 and nothing more; with Skip ticked → nothing to add
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source, save: '1' });
  assert.equal(r.status, 409);
  assert.match(r.text, /Conflict: this purpose exists/);
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source, save: '1', skip_conflicts: '1' });
  assert.equal(r.status, 303);
  assert.equal(endpointCount(conn.id), 1);
});

test('importing into a connector applies the proposed authorization only when asked (page and API)', async () => {
  const cat = await api('POST', '/api/1.0/data-connector-categories', { name: unique('Apply Cat').replace(/[^A-Za-z0-9 ]/g, '') });
  assert.equal(cat.status, 201, cat.text);
  const made = await api('POST', '/api/1.0/data-connectors', {
    name: unique('Apply Conn').replace(/[^A-Za-z0-9 ]/g, ''), category_ids: [cat.json().id],
    auth_type: 'bearer', token: 'bearer-KEEP-tok-91', allowed_origins: [env('JSON_SERVER_URL')],
  });
  assert.equal(made.status, 201, made.text);
  const cid = made.json().id;
  const authRow = () => sql(`SELECT auth_type, auth_username, auth_token IS NOT NULL AS has_token, auth_password IS NOT NULL AS has_password, api_key_name, api_key_in FROM connectors WHERE id = ${cid}`)[0];
  const admin = await adminClient();
  const action = `/data-connectors/${cid}/endpoints/import`;
  const curl = (p) => `curl '${env('JSON_SERVER_URL')}/${p}' -u ann:not-kept-pw-2`;
  assert.equal((await admin.get(action)).status, 200);
  // The preview offers it, unticked, and says what it replaces.
  let r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source: curl('customers'), preview: '1' });
  assert.equal(r.status, 200, r.text.slice(0, 1000));
  assert.match(r.text, /<input type="checkbox" id="apply_auth" name="apply_auth" value="1" aria-describedby="apply_auth-hint">/, 'unticked by default');
  assert.match(r.text, /It replaces the current method \(bearer\)/);
  // Save without it: the endpoint only; the method and its token stay.
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source: curl('customers'), save: '1' });
  assert.equal(r.status, 303, r.text.slice(0, 1000));
  assert.deepEqual(authRow(), { auth_type: 'bearer', auth_username: '', has_token: '1', has_password: '0', api_key_name: '', api_key_in: 'header' });
  assert.match(flashOf((await admin.get(r.headers.get('location'))).text) || '', /Check the Authorization tab: the import proposes a method/);
  // A conflict refuses the whole import: the method is not set either.
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source: curl('customers'), save: '1', apply_auth: '1' });
  assert.equal(r.status, 409);
  assert.equal(authRow().auth_type, 'bearer');
  assert.match(r.text, /id="apply_auth"[^>]*checked/, 'the box stays ticked');
  // Ticked: the method becomes Basic with the user from the text; no password is kept.
  const audits = () => Number(sql(`SELECT COUNT(*) AS n FROM audit_log WHERE object_id = ${cid} AND action = 'connector.authorization'`)[0].n);
  const audited = audits();
  r = await admin.post(action, { _csrf: admin.csrf, format: 'curl', source: curl('orders'), save: '1', apply_auth: '1' });
  assert.equal(r.status, 303, r.text.slice(0, 1000));
  const back = await admin.get(r.headers.get('location'));
  assert.match(flashOf(back.text) || '', /1 endpoint was imported\. The authorization method is now basic: enter its secrets on the Authorization tab\./);
  assert.deepEqual(authRow(), { auth_type: 'basic', auth_username: 'ann', has_token: '0', has_password: '0', api_key_name: '', api_key_in: 'header' },
    'Basic with its user; the bearer token dropped like a method change on the tab; no password');
  assert.equal(endpointCount(cid), 2);
  assert.equal(audits(), audited + 1, 'the method change is audited like a save on the Authorization tab');

  // The API: "apply_authorization" (default false).
  const doc = JSON.stringify({
    openapi: '3.0.3', info: { title: 'Keyed', version: '1' }, servers: [{ url: env('JSON_SERVER_URL') }],
    paths: { '/posts': { get: { operationId: 'listPosts', responses: { 200: { description: 'ok' } } } },
      '/comments': { get: { operationId: 'listComments', responses: { 200: { description: 'ok' } } } } },
    components: { securitySchemes: { key: { type: 'apiKey', name: 'X-Key', in: 'header' } } },
    security: [{ key: [] }],
  });
  r = await importInto(cid, 'openapi', doc, { apply_authorization: 'yes' });
  assert.equal(r.status, 422, r.text);
  assert.ok(r.json().errors.apply_authorization);
  r = await importInto(cid, 'openapi', doc, { dry_run: true, apply_authorization: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json().authorization.auth_type, 'api_key');
  assert.equal(authRow().auth_type, 'basic', 'a dry run sets nothing');
  r = await importInto(cid, 'openapi', doc, { apply_authorization: true });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json().authorization_applied, true);
  const row = authRow();
  assert.equal(row.auth_type, 'api_key');
  assert.equal(row.api_key_name, 'X-Key');
  assert.equal(row.api_key_in, 'header');
  assert.equal(endpointCount(cid), 4);
  const conn = await api('GET', `/api/1.0/data-connectors/${cid}`);
  assert.equal((conn.json().data || conn.json()).auth_type, 'api_key');
});

test('a new connector straight from an OpenAPI document, in one transaction', async () => {
  const cat = await api('POST', '/api/1.0/data-connector-categories', { name: unique('Doc Cat').replace(/[^A-Za-z0-9 ]/g, '') });
  const text = fs.readFileSync(path.join(OAS, '3.0', 'yaml', 'petstore-simple.yaml'), 'utf8');
  const body = { format: 'openapi', source: text, category_ids: [cat.json().id], name: unique('From Doc').replace(/[^A-Za-z0-9 ]/g, '') };
  let r = await api('POST', '/api/1.0/data-connectors/from-document', { ...body, dry_run: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(Number(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = '${body.name}'`)[0].n), 0, 'a dry run creates nothing');
  r = await api('POST', '/api/1.0/data-connectors/from-document', body);
  assert.equal(r.status, 201, r.text);
  const b = r.json();
  assert.equal(b.connector.auth_type, 'basic', 'the proposed method (securitySchemes)');
  assert.equal(b.created.length, 2);
  const [row] = sql(`SELECT auth_type FROM connectors WHERE id = ${b.connector.id}`);
  assert.equal(row.auth_type, 'basic');
  assert.equal(endpointCount(b.connector.id), 2);
  // the same name again: refused, and nothing of the second try is left
  r = await api('POST', '/api/1.0/data-connectors/from-document', body);
  assert.equal(r.status, 422, r.text);
  assert.ok(r.json().errors.name, r.text);
  assert.equal(Number(sql(`SELECT COUNT(*) AS n FROM connectors WHERE name = '${body.name}'`)[0].n), 1);
});
