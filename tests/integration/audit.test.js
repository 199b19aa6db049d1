'use strict';
// The audit viewer (issue 20, item 10): /admin/audit and GET /api/1.0/audit under the
// permission view-audit-log. A permission change made in the user editor shows up, filtered
// by user, object, action and day; a view-only user without view-audit-log gets 403 on both,
// and a group granting it opens them.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, adminClient, csrfFrom, sql, sqlString, unique, decode } = require('./lib.js');
const { adminToken } = require('./apitokens.js');

function text(html) {
  return decode(html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '));
}

async function createUser(admin, name, password, perms) {
  const r = await admin.submit('/admin/users/new', '/admin/users', {
    username: name, password, display_name: name, is_active: '1', permissions: perms,
  });
  assert.equal(r.status, 303, `create ${name}: ${r.status}\n${r.text.slice(0, 1000)}`);
  return sql(`SELECT id FROM users WHERE username = ${sqlString(name)}`)[0].id;
}

test('a permission change is in the audit viewer; view-only users get 403', async () => {
  const admin = await adminClient();
  const password = 'Audit-pass-1234';
  const name = unique('auditee').replace(/\W/g, '_');
  const uid = await createUser(admin, name, password, ['view-data-connectors']);

  // The change to find: give the user edit-data-connectors.
  const form = await admin.get(`/admin/users/${uid}`);
  assert.equal(form.status, 200);
  const r = await admin.post(`/admin/users/${uid}`, {
    _csrf: csrfFrom(form.text), username: name, display_name: name, is_active: '1',
    permissions: ['view-data-connectors', 'edit-data-connectors'],
  });
  assert.equal(r.status, 303, `permissions saved: ${r.status} ${r.text.slice(0, 500)}`);

  const today = new Date().toISOString().slice(0, 10);
  const page = await admin.get(`/admin/audit?object_type=user&object_id=${uid}&action=user.update&from=${today}&to=${today}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /id="audit-table"/);
  const t = text(page.text);
  assert.match(t, /user\.update/);
  assert.match(t, /permissions/, 'the details name the changed field');
  assert.match(page.text, new RegExp(`href="/admin/users/${uid}"`), 'the object links to its page');
  assert.match(page.text, /href="\/admin\/audit">Audit Log</, 'the navigation offers the viewer');

  // Action prefix and user filters; a filter that matches nothing says "No Results".
  const byPrefix = await admin.get(`/admin/audit?action=user&object_id=${uid}`);
  assert.match(text(byPrefix.text), /user\.create/);
  assert.match(text(byPrefix.text), /user\.update/);
  const none = await admin.get(`/admin/audit?user=${encodeURIComponent('nobody-' + name)}`);
  assert.match(text(none.text), /No Results/);
  const bad = await admin.get('/admin/audit?from=2024-13-40');
  assert.equal(bad.status, 422);
  assert.match(text(bad.text), /Enter a date as YYYY-MM-DD/);

  // API.
  const token = await adminToken();
  const api = await admin.api('GET', `/api/1.0/audit?object_type=user&object_id=${uid}&action=user.update`, null, token);
  assert.equal(api.status, 200);
  const body = api.json();
  assert.ok(body.data.length >= 1);
  assert.equal(body.data[0].action, 'user.update');
  assert.equal(body.data[0].object_id, Number(uid));
  assert.match(body.data[0].details, /permissions/);
  assert.ok(body.meta.total >= 1);

  // The view-only user: 403 on page and API, and no link in the navigation.
  const viewer = new Client();
  assert.equal((await viewer.login(name, password)).status, 303);
  const denied = await viewer.get('/admin/audit');
  assert.equal(denied.status, 403);
  const home = await viewer.get('/data-connectors');
  assert.ok(!home.text.includes('href="/admin/audit"'), 'no Audit Log link without the permission');
  const prof = await viewer.get('/profile');
  const tk = await viewer.post('/profile/tokens', { _csrf: csrfFrom(prof.text), name: 'audit' });
  const vt = /id="new-api-token"[^>]*>([^<]+)</.exec(tk.text)[1].trim();
  assert.equal((await viewer.api('GET', '/api/1.0/audit', null, vt)).status, 403);

  // A group granting view-audit-log opens it.
  const gname = unique('Auditors').replace(/\W/g, ' ');
  const g = await admin.submit('/admin/groups/new', '/admin/groups',
    { name: gname, description: 'audit readers', user_ids: [uid], permissions: ['view-audit-log'] });
  assert.equal(g.status, 303, `group saved: ${g.status} ${g.text.slice(0, 500)}`);
  const viewer2 = new Client();
  assert.equal((await viewer2.login(name, password)).status, 303);
  const ok = await viewer2.get('/admin/audit');
  assert.equal(ok.status, 200, 'the group grants view-audit-log');
});
