'use strict';
// Read-only views (issue 20, item 6): a user who may view but not edit sees the
// Authorization tab as a summary (method, URL Token, Client ID, Scope; secrets only as set),
// endpoint pages without +Header, +Parameter or Remove, and a category page titled
// "Category", not "Edit Category". Saving stays refused (403).
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, inputValue } = require('./lib.js');

function text(html) {
  return decode(html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '));
}

test('view-only: authorization summary, endpoint without edit controls, "Category"', async () => {
  const admin = await adminClient();
  const cname = unique('RO Cat').replace(/[^A-Za-z0-9 ]/g, '');
  assert.equal((await admin.submit('/data-connector-categories/new', '/data-connector-categories', { name: cname, status: 'active' })).status, 303);
  const catId = sql(`SELECT id FROM categories WHERE name = ${sqlString(cname)}`)[0].id;
  const r = await admin.submit('/data-connectors/new', '/data-connectors',
    { name: unique('RO Conn').replace(/[^A-Za-z0-9 ]/g, ''), description: 'ro', auth_type: 'none', category_ids: [catId] });
  assert.equal(r.status, 303);
  const id = /(\d+)$/.exec(r.location)[1];
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  const saved = await admin.post(`/data-connectors/${id}/authorization`, {
    _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', auth_type: 'oauth2_client_credentials',
    verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`, client_id: 'ro-client', client_secret: 'ro-SECRET-value',
    scope: 'read:orders', client_auth: 'body', allowed_origins: env('ECHO_URL'),
  });
  assert.equal(saved.status, 303, `authorization saved: ${saved.status} ${text(saved.text).slice(0, 400)}`);
  const ep = await admin.submit(`/data-connectors/${id}/endpoints/new`, `/data-connectors/${id}/endpoints`,
    { purpose: 'List', method: 'GET', timeout: '10', url: `${env('ECHO_URL')}/x`, 'header[0][key]': 'X-A', 'header[0][value]': '1' });
  assert.equal(ep.status, 303);
  const eid = /(\d+)$/.exec(ep.location)[1];

  const name = unique('ro_user').replace(/\W/g, '_');
  const pw = 'Readonly-pass-123';
  const u = await admin.submit('/admin/users/new', '/admin/users', {
    username: name, password: pw, display_name: name, is_active: '1',
    permissions: ['view-data-connectors', 'view-data-connector-categories'],
  });
  assert.equal(u.status, 303);
  const v = new Client();
  assert.equal((await v.login(name, pw)).status, 303);

  const auth = await v.get(`/data-connectors/${id}/authorization`);
  assert.equal(auth.status, 200, 'the Authorization tab opens (no bare 403)');
  assert.match(auth.text, /id="authorization-summary"/);
  const t = text(auth.text);
  assert.match(t, /Method OAuth 2\.0 Client Credentials|Method .*Client Credentials/);
  assert.match(t, /URL Token http:\/\/[^ ]+\/token/);
  assert.match(t, /Client ID ro-client/);
  assert.match(t, /Scope read:orders/);
  assert.match(t, /Client Secret set \(hidden\)/);
  assert.ok(!auth.text.includes('ro-SECRET-value'));
  assert.doesNotMatch(auth.text, /<form method="post" action="\/data-connectors\/\d+\/authorization"/, 'no edit form');
  const post = await v.post(`/data-connectors/${id}/authorization`, { _csrf: csrfFrom(auth.text), auth_type: 'none' });
  assert.equal(post.status, 403, 'saving stays refused');

  const one = await v.get(`/data-connectors/${id}/endpoints/${eid}`);
  assert.equal(one.status, 200);
  assert.doesNotMatch(one.text, /\+Header|\+Parameter/);
  assert.doesNotMatch(one.text, />Remove</);
  assert.doesNotMatch(one.text, /data-add-row|data-remove-row/);

  const cat = await v.get(`/data-connector-categories/${catId}`);
  assert.equal(cat.status, 200);
  assert.match(cat.text, /<h1>Category<\/h1>/);
  assert.doesNotMatch(cat.text, /Edit Category/);
  const acat = await admin.get(`/data-connector-categories/${catId}`);
  assert.match(acat.text, /<h1>Edit Category<\/h1>/, 'an editor still sees "Edit Category"');
});
