'use strict';
// A user's save (row, groups, direct permissions, audit row) and a group's save (row,
// members, permissions, audit row) are each ONE transaction (db_user_save, db_group_save in
// src/db/users.c). A failure injected after the first part -- a trigger that refuses the
// user-group link row of one marked group or user -- must leave nothing of the save: no new
// row, the stored row unchanged, no audit row. The trigger fires only for the marked id,
// so suites running beside this one are not disturbed, and it is dropped afterwards.
const test = require('node:test');
const assert = require('node:assert/strict');
const { adminClient, csrfFrom, sql, sqlString, unique } = require('./lib.js');

const PW = 'correct horse 1';
const TRIGGER = 'dcgate_test_fail_user_groups';
let admin;

test.before(async () => {
  admin = await adminClient();
});

test.after(() => {
  sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
});

/** Makes every insert into user_groups with column = id fail (SIGNAL). */
function failLinksOf(column, id) {
  sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  sql(`DELIMITER //
CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON user_groups FOR EACH ROW
IF NEW.${column} = ${Number(id)} THEN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure';
END IF //
DELIMITER ;`);
}

function userRow(name) {
  return sql(`SELECT * FROM users WHERE username = ${sqlString(name)}`)[0];
}

function count(query) {
  return Number(sql(query)[0].n);
}

async function postForm(formPath, action, fields) {
  const page = await admin.get(formPath);
  assert.equal(page.status, 200, `GET ${formPath}`);
  return admin.post(action, { _csrf: csrfFrom(page.text), ...fields });
}

test('a user save whose group link fails leaves no user, no permission and no audit row', async () => {
  const tag = unique('tx').replace(/\s/g, '_');
  const g = await postForm('/admin/groups/new', '/admin/groups', { name: `Group ${tag}` });
  assert.equal(g.status, 303);
  const gid = sql(`SELECT id FROM \`groups\` WHERE name = ${sqlString(`Group ${tag}`)}`)[0].id;
  const audits = count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create'");
  failLinksOf('group_id', gid);
  try {
    const r = await postForm('/admin/users/new', '/admin/users', {
      username: `${tag}_new`, password: PW, is_active: '1', group_ids: [gid], permissions: ['view-users'],
    });
    assert.equal(r.status, 500, 'the injected failure answers 500');
    assert.equal(userRow(`${tag}_new`), undefined, 'the user row inserted first was rolled back');
    assert.equal(count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.create'"), audits,
      'no audit row for the failed create');
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  }
  // The same save goes through once the trigger is gone: the failure was the injected one.
  const ok = await postForm('/admin/users/new', '/admin/users', {
    username: `${tag}_new`, password: PW, is_active: '1', group_ids: [gid], permissions: ['view-users'],
  });
  assert.equal(ok.status, 303);
  const u = userRow(`${tag}_new`);
  assert.equal(count(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${u.id} AND group_id = ${gid}`), 1);
});

test('a user update whose group link fails leaves the stored user, groups and permissions as they were', async () => {
  const tag = unique('tx').replace(/\s/g, '_');
  const g = await postForm('/admin/groups/new', '/admin/groups', { name: `Group ${tag}` });
  assert.equal(g.status, 303);
  const gid = sql(`SELECT id FROM \`groups\` WHERE name = ${sqlString(`Group ${tag}`)}`)[0].id;
  const c = await postForm('/admin/users/new', '/admin/users', {
    username: `${tag}_u`, display_name: 'Before', password: PW, is_active: '1', permissions: ['view-users'],
  });
  assert.equal(c.status, 303);
  const before = userRow(`${tag}_u`);
  const perms = () => sql(`SELECT permission FROM user_permissions WHERE user_id = ${before.id} ORDER BY permission`)
    .map((x) => x.permission);
  const permsBefore = perms();
  const audits = count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.update' AND object_id = ${before.id}`);
  failLinksOf('group_id', gid);
  try {
    const r = await postForm(`/admin/users/${before.id}`, `/admin/users/${before.id}`, {
      username: `${tag}_renamed`, display_name: 'After', password: 'another password 2', is_active: '1',
      group_ids: [gid], permissions: ['view-users', 'view-groups'],
    });
    assert.equal(r.status, 500);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  }
  const after = sql(`SELECT * FROM users WHERE id = ${before.id}`)[0];
  assert.deepEqual(after, before, 'the user row (name, display name, password hash, updated_at) is unchanged');
  assert.deepEqual(perms(), permsBefore, 'the direct permissions are unchanged');
  assert.equal(count(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${before.id}`), 0, 'no group link');
  assert.equal(count(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.update' AND object_id = ${before.id}`),
    audits, 'no audit row');
});

test('a group save whose member link fails leaves no group and no audit row', async () => {
  const tag = unique('tx').replace(/\s/g, '_');
  const c = await postForm('/admin/users/new', '/admin/users', { username: `${tag}_m`, password: PW, is_active: '1' });
  assert.equal(c.status, 303);
  const uid = userRow(`${tag}_m`).id;
  const audits = count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'group.create'");
  failLinksOf('user_id', uid);
  try {
    const r = await postForm('/admin/groups/new', '/admin/groups', {
      name: `Group ${tag}`, user_ids: [uid], permissions: ['view-users'],
    });
    assert.equal(r.status, 500);
  } finally {
    sql(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM \`groups\` WHERE name = ${sqlString(`Group ${tag}`)}`), 0,
    'the group row inserted first was rolled back');
  assert.equal(count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'group.create'"), audits, 'no audit row');
});
