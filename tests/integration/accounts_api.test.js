'use strict';
// The accounts JSON API: /api/1.0/users and /api/1.0/groups (list, create, read, update,
// delete) over the same typed input, checks, guards and one-transaction saves as the
// /admin/users and /admin/groups pages (src/web/resource.c). Tokens of users holding exactly
// the pages' permissions; answers never hold a password or its hash.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Client, sql, sqlString, unique } = require('./lib.js');
const { adminToken, userToken } = require('./apitokens.js');

const PW = 'correct horse 1';
const TRIGGER = 'dcgate_test_fail_api_user_groups';
const ALL = ['view-users', 'create-users', 'edit-users', 'delete-users',
  'view-groups', 'create-groups', 'edit-groups', 'delete-groups'];
const api = (method, path, body, token) => new Client().api(method, path, body, token);
const count = (q) => Number(sql(q)[0].n);
const tag = () => unique('api').replace(/\s+/g, '_');

let manager; // a user holding the pages' permissions (not a Super Admin)

test.before(() => {
  manager = userToken('accounts api', ALL);
});

test.after(() => {
  sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
});

/** No member named like a password and no stored hash anywhere in an answer. */
function assertNoSecret(r, hashes = []) {
  assert.doesNotMatch(r.text, /password/i, `no password member in ${r.text}`);
  for (const h of hashes) if (h) assert.ok(!r.text.includes(h), 'the stored hash is not answered');
  assert.doesNotMatch(r.text, /\$argon2|\$2[aby]\$|\$scrypt|\$pbkdf2|\$6\$/, 'no hash-like text');
}

function hashOf(id) {
  return sql(`SELECT password_hash FROM users WHERE id = ${Number(id)}`)[0].password_hash;
}

test('a group and a user are created, read, listed, updated and deleted through the API', async () => {
  const t = tag();
  const g = await api('POST', '/api/1.0/groups', {
    name: `Group ${t}`, description: 'made by the API', permissions: ['view-users'],
  }, manager.token);
  assert.equal(g.status, 201, g.text);
  const group = g.json();
  assert.equal(group.name, `Group ${t}`);
  assert.equal(group.description, 'made by the API');
  assert.deepEqual(group.user_ids, []);
  assert.deepEqual(group.permissions, ['view-users']);
  assert.equal(count(`SELECT COUNT(*) AS n FROM group_permissions WHERE group_id = ${group.id} AND permission = 'view-users'`), 1);

  const c = await api('POST', '/api/1.0/users', {
    username: `${t}_u`, display_name: 'API User', email: `${t}@example.test`, password: PW,
    is_active: true, group_ids: [group.id], permissions: ['view-groups'],
  }, manager.token);
  assert.equal(c.status, 201, c.text);
  const user = c.json();
  assert.equal(user.username, `${t}_u`);
  assert.equal(user.display_name, 'API User');
  assert.equal(user.email, `${t}@example.test`);
  assert.equal(user.is_active, true);
  assert.equal(user.is_super_admin, false);
  assert.deepEqual(user.group_ids, [group.id]);
  assert.deepEqual(user.permissions, ['view-groups']);
  assertNoSecret(c, [hashOf(user.id)]);
  assert.equal(count(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${user.id} AND group_id = ${group.id}`), 1);
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create' AND object_id = ${user.id}`), 1,
    'the create has its audit row');

  // The user made through the API signs in through the page with that password.
  const signin = await new Client().login(`${t}_u`, PW);
  assert.equal(signin.status, 303, 'the new user signs in');

  const one = await api('GET', `/api/1.0/users/${user.id}`, null, manager.token);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json(), user);
  assertNoSecret(one, [hashOf(user.id)]);

  const list = await api('GET', `/api/1.0/users?filter=${encodeURIComponent(`${t}_u`)}`, null, manager.token);
  assert.equal(list.status, 200);
  assert.equal(list.json().meta.total, 1);
  assert.equal(list.json().data[0].id, user.id);
  assert.deepEqual(list.json().data[0].group_ids, [group.id]);
  assertNoSecret(list, [hashOf(user.id)]);
  const all = await api('GET', '/api/1.0/users?per_page=100', null, manager.token);
  assert.equal(all.status, 200);
  assertNoSecret(all);

  // PUT: the members given change, the ones left out keep their stored values.
  const u = await api('PUT', `/api/1.0/users/${user.id}`, { display_name: 'Renamed' }, manager.token);
  assert.equal(u.status, 200, u.text);
  assert.equal(u.json().display_name, 'Renamed');
  assert.equal(u.json().email, `${t}@example.test`);
  assert.equal(u.json().is_active, true);
  assert.deepEqual(u.json().group_ids, [group.id]);
  assert.deepEqual(u.json().permissions, ['view-groups']);
  assert.equal(sql(`SELECT display_name FROM users WHERE id = ${user.id}`)[0].display_name, 'Renamed');
  assertNoSecret(u, [hashOf(user.id)]);

  const hash = hashOf(user.id);
  const u2 = await api('PUT', `/api/1.0/users/${user.id}`, {
    group_ids: [], permissions: [], is_active: false, password: 'another horse 2',
  }, manager.token);
  assert.equal(u2.status, 200, u2.text);
  assert.deepEqual(u2.json().group_ids, []);
  assert.deepEqual(u2.json().permissions, []);
  assert.equal(u2.json().is_active, false);
  assert.notEqual(hashOf(user.id), hash, 'the new password was stored (hashed)');
  assert.equal(count(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${user.id}`), 0);

  const gu = await api('PUT', `/api/1.0/groups/${group.id}`, { description: 'changed', user_ids: [user.id] },
    manager.token);
  assert.equal(gu.status, 200, gu.text);
  assert.equal(gu.json().name, `Group ${t}`, 'the name left out is kept');
  assert.equal(gu.json().description, 'changed');
  assert.deepEqual(gu.json().user_ids, [user.id]);
  assert.deepEqual(gu.json().permissions, ['view-users'], 'the permissions left out are kept');
  const gl = await api('GET', `/api/1.0/groups?filter=${encodeURIComponent(`Group ${t}`)}`, null, manager.token);
  assert.equal(gl.status, 200);
  assert.equal(gl.json().data.length, 1);
  assert.equal(gl.json().data[0].id, group.id);

  const d = await api('DELETE', `/api/1.0/users/${user.id}`, null, manager.token);
  assert.equal(d.status, 204, d.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE id = ${user.id}`), 0);
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.delete' AND object_id = ${user.id}`), 1);
  const gone = await api('GET', `/api/1.0/users/${user.id}`, null, manager.token);
  assert.equal(gone.status, 404);
  assert.equal(gone.json().message, 'The user was not found.');
  assert.equal((await api('PUT', `/api/1.0/users/${user.id}`, {}, manager.token)).status, 404);
  assert.equal((await api('DELETE', `/api/1.0/users/${user.id}`, null, manager.token)).status, 404);

  const gd = await api('DELETE', `/api/1.0/groups/${group.id}`, null, manager.token);
  assert.equal(gd.status, 204, gd.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM \`groups\` WHERE id = ${group.id}`), 0);
  assert.equal((await api('GET', `/api/1.0/groups/${group.id}`, null, manager.token)).status, 404);
});

test('a token without the pages\' permissions gets 403 and changes nothing', async () => {
  const none = userToken('accounts api none', ['view-data-connectors']);
  const viewer = userToken('accounts api viewer', ['view-users', 'view-groups']);
  const t = tag();
  for (const [m, p] of [['GET', '/api/1.0/users'], ['GET', `/api/1.0/users/${viewer.id}`],
    ['POST', '/api/1.0/users'], ['PUT', `/api/1.0/users/${viewer.id}`], ['DELETE', `/api/1.0/users/${viewer.id}`],
    ['GET', '/api/1.0/groups'], ['POST', '/api/1.0/groups']]) {
    const body = m === 'POST' || m === 'PUT' ? { username: `${t}_x`, password: PW, name: `G ${t}` } : null;
    const r = await api(m, p, body, none.token);
    assert.equal(r.status, 403, `${m} ${p} without permissions`);
  }
  // View only: reads, but cannot create, update or delete.
  assert.equal((await api('GET', '/api/1.0/users', null, viewer.token)).status, 200);
  assert.equal((await api('GET', '/api/1.0/groups', null, viewer.token)).status, 200);
  for (const [m, p] of [['POST', '/api/1.0/users'], ['PUT', `/api/1.0/users/${none.id}`],
    ['DELETE', `/api/1.0/users/${none.id}`], ['POST', '/api/1.0/groups']]) {
    const body = m === 'DELETE' ? null : { username: `${t}_x`, display_name: 'changed', password: PW, name: `G ${t}` };
    const r = await api(m, p, body, viewer.token);
    assert.equal(r.status, 403, `${m} ${p} with view permissions only`);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE username = ${sqlString(`${t}_x`)}`), 0);
  assert.equal(count(`SELECT COUNT(*) AS n FROM \`groups\` WHERE name = ${sqlString(`G ${t}`)}`), 0);
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE id = ${none.id} AND display_name <> 'changed'`), 1);
  // Without any token: 401.
  assert.equal((await api('GET', '/api/1.0/users', null, null)).status, 401);
});

test('bad input answers 422 with the form\'s field errors and saves nothing', async () => {
  const t = tag();
  const users = count('SELECT COUNT(*) AS n FROM users');
  const r = await api('POST', '/api/1.0/users', {
    username: '', email: 'not-an-address', password: 'short', group_ids: [2147483647], permissions: ['no-such'],
  }, manager.token);
  assert.equal(r.status, 422, r.text);
  const e = r.json();
  assert.equal(typeof e.message, 'string');
  for (const f of ['username', 'email', 'password', 'group_ids', 'permissions']) {
    assert.ok(Array.isArray(e.errors[f]) && e.errors[f].length, `an error of ${f}: ${r.text}`);
  }
  assert.equal(e.errors.email[0], 'The email must be a valid email address.');
  assert.equal(count('SELECT COUNT(*) AS n FROM users'), users, 'no user saved');

  const typed = await api('POST', '/api/1.0/users', { username: `${t}_t`, password: PW, is_active: 'yes' },
    manager.token);
  assert.equal(typed.status, 422);
  assert.ok(typed.json().errors.is_active, typed.text);
  const nopw = await api('POST', '/api/1.0/users', { username: `${t}_t` }, manager.token);
  assert.equal(nopw.status, 422);
  assert.deepEqual(nopw.json().errors.password, ['The password field is required.']);
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE username = ${sqlString(`${t}_t`)}`), 0);

  const ok = await api('POST', '/api/1.0/users', { username: `${t}_d`, password: PW }, manager.token);
  assert.equal(ok.status, 201, ok.text);
  const dup = await api('POST', '/api/1.0/users', { username: `${t}_d`, password: PW }, manager.token);
  assert.equal(dup.status, 422);
  assert.deepEqual(dup.json().errors.username, ['The username has already been taken.']);
  const bad = await api('PUT', `/api/1.0/users/${ok.json().id}`, { display_name: 'x\u0001y', email: 'a@b' },
    manager.token);
  assert.equal(bad.status, 422);
  assert.ok(bad.json().errors.display_name, bad.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE id = ${ok.json().id} AND display_name = '' AND email = ''`), 1,
    'the stored user is unchanged');

  // A member of the wrong type is answered before anything is checked.
  const g = await api('POST', '/api/1.0/groups', { name: `G ${t}`, permissions: 'view-users' }, manager.token);
  assert.equal(g.status, 422);
  assert.deepEqual(g.json().errors.permissions, ['The permissions field must be an array of names.']);
  const g2 = await api('POST', '/api/1.0/groups', { name: '', user_ids: [2147483647] }, manager.token);
  assert.equal(g2.status, 422);
  assert.ok(g2.json().errors.name && g2.json().errors.user_ids, g2.text);
  assert.equal(count(`SELECT COUNT(*) AS n FROM \`groups\` WHERE name = ${sqlString(`G ${t}`)}`), 0);
  const notJson = await new Client().request('POST', '/api/1.0/groups', {
    headers: { Authorization: `Bearer ${manager.token}`, 'Content-Type': 'application/json' }, body: '{',
  });
  assert.equal(notJson.status, 400);
});

test('the pages\' guards hold through the API', async () => {
  const [{ id: adminId }] = sql(`SELECT id FROM users WHERE username = ${sqlString(process.env.DCGATE_ADMIN_USER)}`);
  const before = JSON.stringify(sql(`SELECT username, display_name, is_active, is_super_admin FROM users WHERE id = ${adminId}`));
  // Only a Super Admin changes a Super Admin.
  const edit = await api('PUT', `/api/1.0/users/${adminId}`, { display_name: 'taken over' }, manager.token);
  assert.equal(edit.status, 403);
  assert.equal(edit.json().message, 'Only a Super Admin can change a Super Admin.');
  const del = await api('DELETE', `/api/1.0/users/${adminId}`, null, manager.token);
  assert.equal(del.status, 409);
  assert.equal(del.json().message, 'Only a Super Admin can change a Super Admin.');
  // No way up: not to Super Admin, not to permissions or groups one does not hold.
  const t = tag();
  const up = await api('POST', '/api/1.0/users', { username: `${t}_s`, password: PW, is_super_admin: true },
    manager.token);
  assert.equal(up.status, 422);
  assert.deepEqual(up.json().errors.is_super_admin, ['Only a Super Admin can make a user a Super Admin.']);
  const adminTok = await adminToken();
  const audit = await api('POST', '/api/1.0/groups', { name: `Audit ${t}`, permissions: ['view-audit-log'] }, adminTok);
  assert.equal(audit.status, 201, audit.text);
  const grant = await api('POST', '/api/1.0/users', { username: `${t}_g`, password: PW, group_ids: [audit.json().id] },
    manager.token);
  assert.equal(grant.status, 422);
  assert.deepEqual(grant.json().errors.group_ids,
    ['You can only add or remove groups whose permissions you hold yourself.']);
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE username IN (${sqlString(`${t}_s`)}, ${sqlString(`${t}_g`)})`), 0);
  // Oneself: not deleted, not deactivated.
  const self = await api('DELETE', `/api/1.0/users/${adminId}`, null, adminTok);
  assert.equal(self.status, 409);
  assert.equal(self.json().message, 'You cannot delete your own account.');
  const off = await api('PUT', `/api/1.0/users/${adminId}`, { is_active: false }, adminTok);
  assert.equal(off.status, 422);
  assert.ok(off.json().errors.is_active, off.text);
  const mine = await api('DELETE', `/api/1.0/users/${manager.id}`, null, manager.token);
  assert.equal(mine.status, 409);
  assert.equal(mine.json().message, 'You cannot delete your own account.');
  // Your own password needs your current one.
  const pw = await api('PUT', `/api/1.0/users/${manager.id}`, { password: 'a new password 3' }, manager.token);
  assert.equal(pw.status, 422);
  assert.deepEqual(pw.json().errors.current_password, ['Enter your current password to change your own password.']);
  assert.equal(JSON.stringify(sql(`SELECT username, display_name, is_active, is_super_admin FROM users WHERE id = ${adminId}`)),
    before, 'the admin is unchanged');
  assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE id = ${manager.id}`), 1);
});

test('the last active Super Admin cannot be demoted or deactivated through the API', async () => {
  const root = userToken('api root', []);
  sql(`UPDATE users SET is_super_admin = 1 WHERE id = ${root.id}`);
  // Make root the only active Super Admin for this test; restore the others afterwards.
  const others = sql(`SELECT id FROM users WHERE is_super_admin = 1 AND is_active = 1 AND id <> ${root.id}`).map((r) => r.id);
  if (others.length) sql(`UPDATE users SET is_super_admin = 0 WHERE id IN (${others.join(',')})`);
  try {
    const demote = await api('PUT', `/api/1.0/users/${root.id}`, { is_super_admin: false }, root.token);
    assert.equal(demote.status, 422, demote.text);
    assert.match(demote.json().errors.is_super_admin.join(' '), /last active Super Admin/);
    const off = await api('PUT', `/api/1.0/users/${root.id}`, { is_active: false }, root.token);
    assert.equal(off.status, 422, off.text);
    assert.match(off.json().errors.is_active.join(' '), /last active Super Admin/);
    assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE id = ${root.id} AND is_super_admin = 1 AND is_active = 1`), 1);
  } finally {
    if (others.length) sql(`UPDATE users SET is_super_admin = 1 WHERE id IN (${others.join(',')})`);
  }
  // With another Super Admin left, root may step down.
  const down = await api('PUT', `/api/1.0/users/${root.id}`, { is_super_admin: false }, root.token);
  assert.equal(down.status, 200, down.text);
  assert.equal(down.json().is_super_admin, false);
});

test('a user save through the API whose group link fails saves nothing (one transaction)', async () => {
  const t = tag();
  const g = await api('POST', '/api/1.0/groups', { name: `Group ${t}` }, manager.token);
  assert.equal(g.status, 201, g.text);
  const gid = g.json().id;
  const audits = count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create'");
  const body = { username: `${t}_tx`, password: PW, group_ids: [gid], permissions: ['view-users'] };
  sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  sql(`DELIMITER //
CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON user_groups FOR EACH ROW
IF NEW.group_id = ${Number(gid)} THEN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure';
END IF //
DELIMITER ;`);
  let existing;
  try {
    const r = await api('POST', '/api/1.0/users', body, manager.token);
    assert.equal(r.status, 500, 'the injected failure answers 500');
    assert.equal(count(`SELECT COUNT(*) AS n FROM users WHERE username = ${sqlString(`${t}_tx`)}`), 0,
      'the user row inserted first was rolled back');
    assert.equal(count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create'"), audits);
    // An update: the stored row, groups and permissions stay as they were.
    const made = await api('POST', '/api/1.0/users', { username: `${t}_ex`, password: PW, permissions: ['view-groups'] },
      manager.token);
    assert.equal(made.status, 201, made.text);
    existing = made.json();
    const u = await api('PUT', `/api/1.0/users/${existing.id}`,
      { display_name: 'half', group_ids: [gid], permissions: ['view-users'] }, manager.token);
    assert.equal(u.status, 500);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  }
  const back = await api('GET', `/api/1.0/users/${existing.id}`, null, manager.token);
  assert.equal(back.json().display_name, '');
  assert.deepEqual(back.json().group_ids, []);
  assert.deepEqual(back.json().permissions, ['view-groups']);
  // The same save goes through once the trigger is gone.
  const ok = await api('POST', '/api/1.0/users', body, manager.token);
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual(ok.json().group_ids, [gid]);
});

test('openapi.json describes the accounts API', async () => {
  const r = await api('GET', '/api/1.0/openapi.json', null, null);
  assert.equal(r.status, 200);
  const doc = r.json();
  for (const p of ['/api/1.0/users', '/api/1.0/users/{id}', '/api/1.0/groups', '/api/1.0/groups/{id}']) {
    assert.ok(doc.paths[p], `${p} listed`);
  }
  assert.ok(doc.paths['/api/1.0/users'].post.requestBody, 'the create has a body');
  assert.ok(doc.components.schemas.User && doc.components.schemas.UserInput, 'User schemas');
  assert.equal(doc.components.schemas.User.properties.password, undefined, 'a User has no password');
});
