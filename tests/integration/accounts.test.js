'use strict';
// Accounts through the real stack (issue 3): sign-in and lockout, sessions and CSRF, users
// and groups admin with the permission editor, hostile input, the last Super Admin, the
// profile (password, API tokens), /api/1.0/users/me and the audit log.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique, decode, flashOf, fieldError, inputTag, inputValue } = require('./lib.js');

const XSS = '<script>alert(1)</script>';
const SQLI = "' OR 1=1 --";
const XSS_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const PW = 'correct horse 1';

// ------------------------------------------------------------------- page helpers

function loginError(html) {
  const m = /id="login-error"[^>]*>([^<]*)</.exec(html);
  return m ? decode(m[1]) : null;
}

function newToken(html) {
  const m = /id="new-api-token"[^>]*>([^<]+)</.exec(html);
  return m ? m[1].trim() : null;
}

function sessionCookie(r) {
  const all = typeof r.headers.getSetCookie === 'function' ? r.headers.getSetCookie() : [r.headers.get('set-cookie') || ''];
  return all.find((c) => /^dcgate_session=/.test(c)) || null;
}

function userRow(name) {
  return sql(`SELECT * FROM users WHERE username = ${sqlString(name)}`)[0];
}

function userPerms(id) {
  return sql(`SELECT permission FROM user_permissions WHERE user_id = ${Number(id)} ORDER BY permission`)
    .map((r) => r.permission);
}

function auditCount(where) {
  return Number(sql(`SELECT COUNT(*) AS n FROM audit_log WHERE ${where}`)[0].n);
}

let admin;

/** Creates a user through the admin UI (as the scripts/test admin); returns its row. */
async function createUser(fields) {
  const r = await admin.submit('/admin/users/new', '/admin/users', {
    password: PW, is_active: '1', ...fields,
  });
  assert.equal(r.status, 303, `create ${fields.username}: ${r.status} ${fieldErrors(r.text)}`);
  return userRow(fields.username);
}

function fieldErrors(html) {
  return [...html.matchAll(/id="([\w-]+)-error"[^>]*>([^<]*)</g)].map((m) => `${m[1]}: ${decode(m[2])}`).join('; ');
}

async function signedIn(username, password = PW) {
  const c = new Client();
  const r = await c.login(username, password);
  assert.equal(r.status, 303, `sign-in of ${username}: ${loginError(r.text)}`);
  await c.get('/profile');
  return c;
}

test.before(async () => {
  admin = await adminClient();
});

// ------------------------------------------------------------------- signing in

test('wrong user and wrong password give the same message; audit records the failures', async () => {
  const name = unique('u').replace(/\s/g, '_');
  await createUser({ username: name });
  const before = auditCount(`action = 'login.failed' AND details = ${sqlString(name)}`);
  const c = new Client();
  const a = await c.login(`nobody_${name}`, PW);
  const b = await c.login(name, 'wrong password!');
  assert.equal(a.status, b.status);
  assert.equal(loginError(a.text), 'Invalid username or password');
  assert.equal(loginError(b.text), 'Invalid username or password');
  assert.equal(inputValue(b.text, 'username'), name, 'the username is kept');
  assert.equal(auditCount(`action = 'login.failed' AND details = ${sqlString(name)}`), before + 1);
  const ok = await c.login(name, PW);
  assert.equal(ok.status, 303);
  const id = userRow(name).id;
  assert.ok(auditCount(`action = 'login' AND user_id = ${id}`) >= 1, 'the sign-in is audited');
});

test('10 failures lock the account for that address with a clear message, also for the right password', async () => {
  const name = unique('lock').replace(/\s/g, '_');
  await createUser({ username: name });
  const c = new Client();
  let last;
  for (let i = 0; i < 10; i++) last = await c.login(name, `wrong-${i}-password`);
  assert.equal(last.status, 429);
  assert.match(loginError(last.text), /locked/i);
  const right = await c.login(name, PW);
  assert.notEqual(right.status, 303, 'the right password does not get in while locked');
  assert.match(loginError(right.text), /locked.*15 minutes/i);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM login_locks WHERE username = ${sqlString(name)} AND remote_addr = '127.0.0.1' AND locked_until > UTC_TIMESTAMP()`)[0].n, '1',
    'the (name, address) pair is locked');
  assert.ok(Number(right.headers.get('retry-after')) > 0, 'Retry-After says how long');
  assert.ok(auditCount(`action = 'login.locked' AND details = ${sqlString(name)}`) >= 1);
});

test('an inactive user cannot sign in', async () => {
  const name = unique('inactive').replace(/\s/g, '_');
  await createUser({ username: name, is_active: undefined });
  assert.equal(userRow(name).is_active, '0');
  const r = await new Client().login(name, PW);
  assert.equal(r.status, 422);
  assert.equal(loginError(r.text), 'Invalid username or password');
});

test('after sign-in the user lands on next; a foreign next is ignored', async () => {
  const name = unique('next').replace(/\s/g, '_');
  await createUser({ username: name, permissions: ['view-users'] });
  const anon = new Client();
  const gate = await anon.get('/admin/users?q=a');
  assert.equal(gate.status, 302);
  const next = new URL(gate.location, 'http://x').searchParams.get('next');
  assert.equal(next, '/admin/users?q=a');
  const r = await new Client().login(name, PW, { next });
  assert.equal(r.location, '/admin/users?q=a');
  for (const evil of ['//evil.example', 'https://evil.example/', '/\\evil.example']) {
    const e = await new Client().login(name, PW, { next: evil });
    assert.equal(e.status, 303);
    assert.equal(e.location, '/', `next=${evil} is ignored`);
  }
});

test('session cookie: HttpOnly, SameSite=Lax, new at every sign-in, only its hash stored', async () => {
  const name = unique('cookie').replace(/\s/g, '_');
  await createUser({ username: name });
  const r1 = await new Client().login(name, PW);
  const r2 = await new Client().login(name, PW);
  const c1 = sessionCookie(r1), c2 = sessionCookie(r2);
  assert.ok(c1 && c2);
  assert.match(c1, /;\s*HttpOnly/i);
  assert.match(c1, /;\s*SameSite=Lax/i);
  assert.match(c1, /;\s*Path=\//i);
  assert.doesNotMatch(c1, /;\s*Secure/i, 'not Secure over plain http');
  const v1 = c1.split(';')[0].split('=')[1], v2 = c2.split(';')[0].split('=')[1];
  assert.notEqual(v1, v2);
  assert.ok(Buffer.from(v1, 'base64url').length >= 32, '256-bit token');
  const hash = crypto.createHash('sha256').update(v1).digest('hex');
  assert.equal(sql(`SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ${sqlString(hash)}`)[0].n, '1');
  assert.equal(sql(`SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ${sqlString(v1)}`)[0].n, '0');
});

test('logout ends the session: the old cookie goes to /login', async () => {
  const name = unique('logout').replace(/\s/g, '_');
  await createUser({ username: name });
  const c = await signedIn(name);
  const old = c.cookies.get('dcgate_session');
  const out = await c.post('/logout', { _csrf: c.csrf });
  assert.equal(out.status, 303);
  assert.equal(out.location, '/login');
  assert.match(sessionCookie(out), /Max-Age=0/);
  const replay = new Client();
  replay.cookies.set('dcgate_session', old);
  const r = await replay.get('/profile');
  assert.equal(r.status, 302);
  assert.match(r.location, /^\/login/);
});

// ------------------------------------------------------------------- CSRF and Origin

test('a POST without or with a wrong _csrf gets 403 and changes nothing', async () => {
  const name = unique('csrf').replace(/\s/g, '_');
  const u = await createUser({ username: name, display_name: 'Before' });
  for (const token of [undefined, 'x'.repeat(64)]) {
    const r = await admin.post(`/admin/users/${u.id}`, {
      _csrf: token, username: name, display_name: 'After', is_active: '1',
    });
    assert.equal(r.status, 403);
    assert.match(r.text, /This form has expired; reload the page and try again/);
    assert.equal(userRow(name).display_name, 'Before');
  }
});

test('a POST from a foreign Origin is refused', async () => {
  const name = unique('origin').replace(/\s/g, '_');
  const u = await createUser({ username: name, display_name: 'Before' });
  await admin.get(`/admin/users/${u.id}`);
  const r = await admin.post(`/admin/users/${u.id}`,
    { _csrf: admin.csrf, username: name, display_name: 'After', is_active: '1' },
    { headers: { Origin: 'http://evil.example' } });
  assert.equal(r.status, 403);
  assert.equal(userRow(name).display_name, 'Before');
  const same = await admin.post(`/admin/users/${u.id}`,
    { _csrf: admin.csrf, username: name, display_name: 'After', is_active: '1' },
    { headers: { Origin: new URL(env('DCGATE_URL')).origin } });
  assert.equal(same.status, 303, 'the same Origin is fine');
  assert.equal(userRow(name).display_name, 'After');
});

// ------------------------------------------------------------------- users admin

test('users: create, list, search, paginate, edit, delete, with audit', async () => {
  const tag = unique('crud').replace(/\s/g, '_');
  const names = [`${tag}_a`, `${tag}_b`, `${tag}_c`];
  for (const n of names) await createUser({ username: n, display_name: `Person ${n}`, email: `${n}@example.com` });
  const flash = await admin.get('/admin/users');
  assert.equal(flashOf(flash.text), 'The user was created');

  const found = await admin.get(`/admin/users?q=${encodeURIComponent(tag)}`);
  for (const n of names) assert.ok(found.text.includes(n));
  const byMail = await admin.get(`/admin/users?q=${encodeURIComponent(`${tag}_b@example`)}`);
  assert.ok(byMail.text.includes(names[1]) && !byMail.text.includes(names[0]), 'search over e-mail');
  const none = await admin.get(`/admin/users?q=${encodeURIComponent('zz no such ' + tag)}`);
  assert.match(none.text, /No Results/);
  const page1 = await admin.get(`/admin/users?q=${encodeURIComponent(tag)}&per_page=2`);
  const page2 = await admin.get(`/admin/users?q=${encodeURIComponent(tag)}&per_page=2&page=2`);
  assert.match(page1.text, /rel="next"/);
  assert.ok(page1.text.includes(names[0]) && page1.text.includes(names[1]) && !page1.text.includes(names[2]));
  assert.ok(page2.text.includes(names[2]) && !page2.text.includes(names[0]));
  assert.match(page2.text, /3–3 of 3|3-3 of 3/);

  // Edit: a blank password keeps the hash; Create selects Edit and View.
  const u = userRow(names[0]);
  const form = await admin.get(`/admin/users/${u.id}`);
  assert.equal(inputValue(form.text, 'username'), names[0]);
  assert.equal(inputValue(form.text, 'password'), null, 'the password is never sent back');
  const r = await admin.post(`/admin/users/${u.id}`, {
    _csrf: csrfFrom(form.text), username: names[0], display_name: 'Renamed', email: '', password: '',
    is_active: '1', permissions: ['create-users', 'delete-groups'],
  });
  assert.equal(r.status, 303);
  const after = userRow(names[0]);
  assert.equal(after.display_name, 'Renamed');
  assert.equal(after.password_hash, u.password_hash);
  assert.deepEqual(userPerms(u.id), ['create-users', 'delete-groups', 'edit-users', 'view-groups', 'view-users']);
  const audit = sql(`SELECT details FROM audit_log WHERE action = 'user.update' AND object_id = ${u.id} ORDER BY id DESC LIMIT 1`)[0];
  assert.equal(audit.details, 'display_name, email, permissions');

  // A new password is hashed with scrypt, recorded by name only.
  await admin.post(`/admin/users/${u.id}`, {
    _csrf: admin.csrf, username: names[0], display_name: 'Renamed', password: 'another password', is_active: '1',
  });
  assert.match(userRow(names[0]).password_hash, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/);
  const pwAudit = sql(`SELECT details FROM audit_log WHERE action = 'user.update' AND object_id = ${u.id} ORDER BY id DESC LIMIT 1`)[0];
  assert.match(pwAudit.details, /password/);
  assert.doesNotMatch(pwAudit.details, /another password/);
  await signedIn(names[0], 'another password');

  // Duplicate username, short password.
  const dup = await admin.submit('/admin/users/new', '/admin/users', { username: names[1], password: PW });
  assert.equal(dup.status, 422);
  assert.equal(fieldError(dup.text, 'username'), 'The username has already been taken.');
  const short = await admin.submit('/admin/users/new', '/admin/users', { username: `${tag}_d`, password: 'short' });
  assert.equal(short.status, 422);
  assert.equal(fieldError(short.text, 'password'), 'The password must be at least 8 characters.');
  assert.match(inputTag(short.text, 'password'), /aria-describedby="[^"]*password-error/);
  assert.equal(inputValue(short.text, 'username'), `${tag}_d`);

  // Delete after the Caution! page.
  const victim = userRow(names[2]);
  const confirm = await admin.get(`/admin/users/${victim.id}/delete`);
  assert.equal(confirm.status, 200);
  assert.match(confirm.text, /Caution!/);
  assert.ok(confirm.text.includes(`Are you sure you want to delete ${names[2]}?`));
  const del = await admin.post(`/admin/users/${victim.id}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(del.status, 303);
  assert.equal(flashOf((await admin.get('/admin/users')).text), 'The user was deleted.');
  assert.equal(userRow(names[2]), undefined);
  assert.equal(auditCount(`action = 'user.delete' AND object_id = ${victim.id}`), 1);
  assert.equal((await admin.get(`/admin/users/${victim.id}`)).status, 404);
  assert.equal(auditCount(`action = 'user.create' AND object_id = ${u.id}`), 1);
});

test('a user cannot delete themselves; only a Super Admin makes Super Admins', async () => {
  const name = unique('mgr').replace(/\s/g, '_');
  const u = await createUser({ username: name, permissions: ['create-users', 'edit-users', 'delete-users', 'view-users'] });
  const c = await signedIn(name);
  const self = await c.post(`/admin/users/${u.id}/delete`, { _csrf: c.csrf });
  assert.equal(self.status, 409);
  assert.match(self.text, /You cannot delete your own account/);
  assert.ok(userRow(name));
  const up = await c.submit('/admin/users/new', '/admin/users', {
    username: `${name}_x`, password: PW, is_active: '1', is_super_admin: '1',
  });
  assert.equal(up.status, 422);
  assert.match(fieldError(up.text, 'is_super_admin'), /Only a Super Admin/);
  assert.equal(userRow(`${name}_x`), undefined);
  // A manager may not grant what they do not hold: the box is disabled, the server ignores it.
  const g = await c.submit('/admin/users/new', '/admin/users', {
    username: `${name}_y`, password: PW, is_active: '1', permissions: ['view-users', 'delete-groups'],
  });
  assert.equal(g.status, 303);
  assert.deepEqual(userPerms(userRow(`${name}_y`).id), ['view-users']);
  // A Super Admin account is read-only for them.
  const adminId = sql(`SELECT id FROM users WHERE username = ${sqlString(env('DCGATE_ADMIN_USER'))}`)[0].id;
  const view = await c.get(`/admin/users/${adminId}`);
  assert.equal(view.status, 200);
  assert.match(view.text, /<fieldset class="plain" disabled>/);
  const edit = await c.post(`/admin/users/${adminId}`, { _csrf: c.csrf, username: 'hijack', is_active: '1', password: 'hijacked!!' });
  assert.equal(edit.status, 403);
  const del = await c.post(`/admin/users/${adminId}/delete`, { _csrf: c.csrf });
  assert.equal(del.status, 409);
  assert.equal(sql(`SELECT username FROM users WHERE id = ${adminId}`)[0].username, env('DCGATE_ADMIN_USER'));
});

test('the last active Super Admin cannot be demoted, deactivated or deleted', async () => {
  const name = unique('root').replace(/\s/g, '_');
  const root = await createUser({ username: name, is_super_admin: '1' });
  const c = await signedIn(name);
  // Make root the only active Super Admin for this test; restore the others afterwards.
  const others = sql(`SELECT id FROM users WHERE is_super_admin = 1 AND is_active = 1 AND id <> ${root.id}`).map((r) => r.id);
  if (others.length) sql(`UPDATE users SET is_super_admin = 0 WHERE id IN (${others.join(',')})`);
  try {
    const demote = await c.post(`/admin/users/${root.id}`, { _csrf: c.csrf, username: name, is_active: '1' });
    assert.equal(demote.status, 422);
    assert.match(fieldError(demote.text, 'is_super_admin'), /last active Super Admin/);
    const off = await c.post(`/admin/users/${root.id}`, { _csrf: c.csrf, username: name, is_super_admin: '1' });
    assert.equal(off.status, 422);
    assert.match(fieldError(off.text, 'is_active'), /last active Super Admin/);
    const del = await c.post(`/admin/users/${root.id}/delete`, { _csrf: c.csrf });
    assert.equal(del.status, 409);
    const row = userRow(name);
    assert.equal(row.is_super_admin, '1');
    assert.equal(row.is_active, '1');
  } finally {
    if (others.length) sql(`UPDATE users SET is_super_admin = 1 WHERE id IN (${others.join(',')})`);
  }
  // With another Super Admin left, root may step down.
  const down = await c.post(`/admin/users/${root.id}`, { _csrf: c.csrf, username: name, is_active: '1' });
  assert.equal(down.status, 303);
  assert.equal(userRow(name).is_super_admin, '0');
});

// ------------------------------------------------------------------- hostile input

test('SQL-injection and XSS strings in every user field are stored verbatim and shown escaped', async () => {
  const tag = unique('h').replace(/\s/g, '');
  const a = { username: `${XSS}${tag}`, display_name: SQLI, email: `${SQLI}@x.example`, password: SQLI };
  const b = { username: `${SQLI}${tag}`, display_name: XSS, email: `${XSS}@x.example` };
  const ra = await createUser(a);
  const rb = await createUser(b);
  assert.equal(ra.username, a.username);
  assert.equal(ra.display_name, SQLI);
  assert.equal(ra.email, a.email);
  assert.equal(rb.username, b.username);
  assert.equal(rb.display_name, XSS);
  assert.equal(rb.email, b.email);
  await signedIn(a.username, SQLI); // the password is a plain string too
  const list = await admin.get(`/admin/users?q=${encodeURIComponent(tag)}`);
  assert.ok(list.text.includes(XSS_ESCAPED));
  assert.ok(!list.text.includes(XSS), 'no raw script in the list');
  for (const id of [ra.id, rb.id]) {
    const page = await admin.get(`/admin/users/${id}`);
    assert.ok(page.text.includes(XSS_ESCAPED));
    assert.ok(!page.text.includes(XSS), 'no raw script in the form');
  }
  const del = await admin.get(`/admin/users/${ra.id}/delete`);
  assert.ok(del.text.includes(`delete ${XSS_ESCAPED}${tag}?`), 'the confirm page escapes the name');
  assert.ok(!del.text.includes(XSS));
  // The injection string searches literally: it finds only the user holding it.
  const s = await admin.get(`/admin/users?q=${encodeURIComponent(SQLI + tag)}`);
  const links = [...s.text.matchAll(/<td><a href="\/admin\/users\/(\d+)">/g)].map((m) => m[1]);
  assert.deepEqual(links, [rb.id]);
  const pct = await admin.get(`/admin/users?q=${encodeURIComponent('%')}${tag}`);
  assert.match(pct.text, /No Results/, 'LIKE wildcards in q are literal');
});

test('SQL-injection and XSS strings in every group field are stored verbatim and shown escaped', async () => {
  const tag = unique('hg').replace(/\s/g, '');
  for (const [name, description] of [[`${XSS}${tag}`, SQLI], [`${SQLI}${tag}`, XSS]]) {
    const r = await admin.submit('/admin/groups/new', '/admin/groups', { name, description });
    assert.equal(r.status, 303, fieldErrors(r.text));
    const row = sql(`SELECT * FROM \`groups\` WHERE name = ${sqlString(name)}`)[0];
    assert.equal(row.description, description);
    const page = await admin.get(`/admin/groups/${row.id}`);
    assert.ok(page.text.includes(XSS_ESCAPED) && !page.text.includes(XSS));
  }
  const list = await admin.get(`/admin/groups?q=${encodeURIComponent(tag)}`);
  assert.ok(list.text.includes(XSS_ESCAPED) && !list.text.includes(XSS));
});

test('an oversize field gets a field error with the input kept', async () => {
  const long = 'x'.repeat(300);
  const r = await admin.submit('/admin/users/new', '/admin/users', {
    username: unique('long').replace(/\s/g, '_'), password: PW, display_name: long, is_active: '1',
  });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'display_name'), 'The display name may not be greater than 255 characters.');
  assert.equal(inputValue(r.text, 'display_name'), long);
  assert.match(inputTag(r.text, 'display_name'), /aria-describedby="display_name-error"/);
  const g = await admin.submit('/admin/groups/new', '/admin/groups', { name: long, description: 'd'.repeat(1001) });
  assert.equal(g.status, 422);
  assert.match(fieldError(g.text, 'name'), /255 characters/);
  assert.match(fieldError(g.text, 'description'), /1000 characters/);
  assert.equal(inputValue(g.text, 'name'), long);
});

// ------------------------------------------------------------------- groups admin

test('groups: create with members and permissions, which members then hold; edit; delete', async () => {
  const tag = unique('grp').replace(/\s/g, '_');
  const member = await createUser({ username: `${tag}_m` });
  const mc = await signedIn(`${tag}_m`);
  assert.equal((await mc.get('/admin/users')).status, 403, 'no permission yet');
  const r = await admin.submit('/admin/groups/new', '/admin/groups', {
    name: `Group ${tag}`, description: 'Readers', user_ids: [member.id], permissions: ['create-users'],
  });
  assert.equal(r.status, 303);
  assert.equal(flashOf((await admin.get('/admin/groups')).text), 'The group was created');
  const g = sql(`SELECT id FROM \`groups\` WHERE name = ${sqlString(`Group ${tag}`)}`)[0];
  const perms = sql(`SELECT permission FROM group_permissions WHERE group_id = ${g.id} ORDER BY permission`).map((x) => x.permission);
  assert.deepEqual(perms, ['create-users', 'edit-users', 'view-users']);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM user_groups WHERE group_id = ${g.id} AND user_id = ${member.id}`)[0].n, '1');
  assert.equal((await mc.get('/admin/users')).status, 200, 'the group grants view-users');
  const me = await mc.get('/admin/users');
  assert.match(me.text, /href="\/admin\/users\/new"/, 'the create button shows');
  assert.doesNotMatch(me.text, /\/delete"/, 'no delete links without delete-users');

  // Duplicate name.
  const dup = await admin.submit('/admin/groups/new', '/admin/groups', { name: `Group ${tag}` });
  assert.equal(dup.status, 422);
  assert.equal(fieldError(dup.text, 'name'), 'The name has already been taken.');
  // An unknown member id is a field error.
  const bad = await admin.submit('/admin/groups/new', '/admin/groups', { name: `Other ${tag}`, user_ids: ['999999'] });
  assert.equal(bad.status, 422);
  assert.ok(fieldError(bad.text, 'user_ids'));

  // Edit: remove the member.
  const form = await admin.get(`/admin/groups/${g.id}`);
  const e = await admin.post(`/admin/groups/${g.id}`, {
    _csrf: csrfFrom(form.text), name: `Group ${tag}`, description: 'Nobody', permissions: ['view-users'],
  });
  assert.equal(e.status, 303);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM user_groups WHERE group_id = ${g.id}`)[0].n, '0');
  assert.equal((await mc.get('/admin/users')).status, 403, 'permission gone with the membership');
  assert.equal(sql(`SELECT details FROM audit_log WHERE action = 'group.update' AND object_id = ${g.id}`)[0].details,
    'description, members, permissions');

  // Delete.
  const confirm = await admin.get(`/admin/groups/${g.id}/delete`);
  assert.ok(confirm.text.includes(`Are you sure you want to delete Group ${tag}?`));
  const d = await admin.post(`/admin/groups/${g.id}/delete`, { _csrf: csrfFrom(confirm.text) });
  assert.equal(d.status, 303);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM \`groups\` WHERE id = ${g.id}`)[0].n, '0');
  assert.equal(auditCount(`action = 'group.create' AND object_id = ${g.id}`), 1);
  assert.equal(auditCount(`action = 'group.delete' AND object_id = ${g.id}`), 1);
});

test('the user form puts each user in groups in one save', async () => {
  const tag = unique('ug').replace(/\s/g, '_');
  await admin.submit('/admin/groups/new', '/admin/groups', { name: `A ${tag}` });
  await admin.submit('/admin/groups/new', '/admin/groups', { name: `B ${tag}` });
  const ids = sql(`SELECT id FROM \`groups\` WHERE name IN ('A ${tag}', 'B ${tag}') ORDER BY id`).map((r) => r.id);
  const u = await createUser({ username: tag, group_ids: ids });
  assert.deepEqual(sql(`SELECT group_id FROM user_groups WHERE user_id = ${u.id} ORDER BY group_id`).map((r) => r.group_id), ids);
  const page = await admin.get(`/admin/users/${u.id}`);
  for (const id of ids) assert.match(inputTag(page.text, `group-${id}`), /checked/);
  // A bad group id refuses the whole save.
  const r = await admin.post(`/admin/users/${u.id}`, { _csrf: admin.csrf, username: tag, is_active: '1', group_ids: [ids[0], '999999'] });
  assert.equal(r.status, 422);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${u.id}`)[0].n, '2');
});

test('no way up: a manager cannot join powerful groups, fill them, or take over a stronger account', async () => {
  const tag = unique('esc').replace(/\s/g, '_');
  // A manager of users and groups who holds no Data Connector permission.
  const mgrPerms = ['view-users', 'create-users', 'edit-users', 'view-groups', 'create-groups', 'edit-groups'];
  const mgr = await createUser({ username: `${tag}_mgr`, permissions: mgrPerms });
  const strong = await createUser({ username: `${tag}_strong`, permissions: ['view-data-connectors', 'delete-data-connectors'] });
  await admin.submit('/admin/groups/new', '/admin/groups', { name: `Power ${tag}`, permissions: ['delete-data-connectors'] });
  await admin.submit('/admin/groups/new', '/admin/groups', { name: `Tame ${tag}`, permissions: ['view-users'] });
  const power = sql(`SELECT id FROM \`groups\` WHERE name = ${sqlString(`Power ${tag}`)}`)[0].id;
  const tame = sql(`SELECT id FROM \`groups\` WHERE name = ${sqlString(`Tame ${tag}`)}`)[0].id;
  const c = await signedIn(`${tag}_mgr`);

  // Joining the powerful group through the user form: refused beside the field, nothing saved.
  const join = await c.post(`/admin/users/${mgr.id}`, {
    _csrf: c.csrf, username: `${tag}_mgr`, is_active: '1', group_ids: [power], permissions: mgrPerms,
  });
  assert.equal(join.status, 422);
  assert.match(fieldError(join.text, 'group_ids'), /groups whose permissions you hold yourself/);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM user_groups WHERE user_id = ${mgr.id}`)[0].n, '0');
  // A group within their own permissions is fine.
  const ok = await c.post(`/admin/users/${mgr.id}`, {
    _csrf: c.csrf, username: `${tag}_mgr`, is_active: '1', group_ids: [tame], permissions: mgrPerms,
  });
  assert.equal(ok.status, 303, fieldErrors(ok.text));

  // Adding themselves as a member of the powerful group through the group form: refused.
  const page = await c.get(`/admin/groups/${power}`);
  const fill = await c.post(`/admin/groups/${power}`, {
    _csrf: csrfFrom(page.text), name: `Power ${tag}`, user_ids: [mgr.id],
  });
  assert.equal(fill.status, 422);
  assert.match(fieldError(fill.text, 'user_ids'), /permissions you hold yourself/);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM user_groups WHERE group_id = ${power}`)[0].n, '0');
  assert.deepEqual(sql(`SELECT permission FROM group_permissions WHERE group_id = ${power} ORDER BY permission`)
    .map((x) => x.permission), ['delete-data-connectors', 'view-data-connectors'], 'its permissions kept');

  // Setting the password of a user who holds more: refused, the old password still works.
  const before = userRow(`${tag}_strong`).password_hash;
  const take = await c.post(`/admin/users/${strong.id}`, {
    _csrf: c.csrf, username: `${tag}_strong`, is_active: '1', password: 'taken over 1',
    permissions: ['view-data-connectors', 'delete-data-connectors'],
  });
  assert.equal(take.status, 422);
  assert.match(fieldError(take.text, 'password'), /Only a Super Admin can set the password/);
  assert.equal(userRow(`${tag}_strong`).password_hash, before);
  await signedIn(`${tag}_strong`);
  // The manager may still set the password of a user within their own permissions.
  const weak = await createUser({ username: `${tag}_weak`, permissions: ['view-users'] });
  const reset = await c.post(`/admin/users/${weak.id}`, {
    _csrf: c.csrf, username: `${tag}_weak`, is_active: '1', password: 'a new one 22', permissions: ['view-users'],
  });
  assert.equal(reset.status, 303, fieldErrors(reset.text));
  await signedIn(`${tag}_weak`, 'a new one 22');
});

// ------------------------------------------------------------------- profile and tokens

test('profile: the password changes only with the current one, and other sessions end', async () => {
  const name = unique('prof').replace(/\s/g, '_');
  await createUser({ username: name, display_name: 'Pat' });
  const c = await signedIn(name);
  const other = await signedIn(name);
  const page = await c.get('/profile');
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(name) && page.text.includes('Pat'));
  const wrong = await c.post('/profile/password', { _csrf: c.csrf, current_password: 'not it!!', password: 'brand new pass' });
  assert.equal(wrong.status, 422);
  assert.equal(fieldError(wrong.text, 'current_password'), 'The current password is incorrect.');
  const short = await c.post('/profile/password', { _csrf: c.csrf, current_password: PW, password: 'short' });
  assert.equal(short.status, 422);
  assert.ok(fieldError(short.text, 'password'));
  const ok = await c.post('/profile/password', { _csrf: c.csrf, current_password: PW, password: 'brand new pass' });
  assert.equal(ok.status, 303);
  assert.equal(flashOf((await c.get('/profile')).text), 'Your password was changed.');
  assert.equal((await other.get('/profile')).status, 302, 'the other session was signed out');
  assert.equal((await new Client().login(name, PW)).status, 422);
  assert.equal((await new Client().login(name, 'brand new pass')).status, 303);
  assert.ok(auditCount(`action = 'user.password' AND username = ${sqlString(name)}`) >= 1);
});

test('API tokens: shown once, stored hashed, /api/1.0/users/me, revoked -> 401', async () => {
  const name = unique('api').replace(/\s/g, '_');
  const u = await createUser({ username: name, display_name: 'Api User', email: 'api@example.com', permissions: ['view-groups'] });
  const c = await signedIn(name);
  const empty = await c.post('/profile/tokens', { _csrf: c.csrf, name: '' });
  assert.equal(empty.status, 422);
  assert.ok(fieldError(empty.text, 'token-name'));
  const r = await c.post('/profile/tokens', { _csrf: c.csrf, name: `CI ${XSS}` });
  assert.equal(r.status, 200);
  const token = newToken(r.text);
  assert.ok(token && token.length >= 40, 'shown in #new-api-token');
  assert.ok(r.text.includes(`CI ${XSS_ESCAPED}`), 'the name is listed, escaped');
  const row = sql(`SELECT id, token_hash FROM api_tokens WHERE user_id = ${u.id}`)[0];
  assert.equal(row.token_hash, crypto.createHash('sha256').update(token).digest('hex'));
  assert.equal(sql(`SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = ${sqlString(token)}`)[0].n, '0');
  const again = await c.get('/profile');
  assert.ok(!again.text.includes(token), 'never shown again');
  assert.equal(newToken(again.text), null);

  const me = await new Client().api('GET', '/api/1.0/users/me', null, token);
  assert.equal(me.status, 200);
  assert.match(me.contentType, /application\/json/);
  assert.deepEqual(me.json(), {
    id: Number(u.id), username: name, display_name: 'Api User', email: 'api@example.com',
    is_super_admin: false, permissions: ['view-groups'],
  });
  assert.ok(sql(`SELECT last_used_at FROM api_tokens WHERE id = ${row.id}`)[0].last_used_at, 'last use recorded');
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, `${token}x`)).status, 401);
  assert.equal((await new Client().api('GET', '/api/1.0/users/me')).status, 401);

  // Another user cannot revoke it.
  const other = await signedIn((await createUser({ username: `${name}_o` })).username);
  assert.equal((await other.post(`/profile/tokens/${row.id}/delete`, { _csrf: other.csrf })).status, 404);
  const rev = await c.post(`/profile/tokens/${row.id}/delete`, { _csrf: c.csrf });
  assert.equal(rev.status, 303);
  const gone = await new Client().api('GET', '/api/1.0/users/me', null, token);
  assert.equal(gone.status, 401);
  assert.equal(typeof gone.json().message, 'string');
  assert.equal(auditCount(`action = 'token.create' AND object_id = ${row.id}`), 1);
  assert.equal(auditCount(`action = 'token.revoke' AND object_id = ${row.id}`), 1);
});

test('a change to the user row, even by SQL, reaches signed-in sessions and tokens on the next request', async () => {
  // Each process keeps users under the accounts counter (sql/006): an update of the row
  // must move it, or a deactivated user would keep their session.
  const name = unique('row').replace(/\s/g, '_');
  const u = await createUser({ username: name, display_name: 'Before Row', permissions: ['view-groups'] });
  const c = await signedIn(name);
  const token = newToken((await c.post('/profile/tokens', { _csrf: c.csrf, name: 'row' })).text);
  assert.ok(token);
  for (let i = 0; i < 3; i++) assert.match((await c.get('/admin/groups')).text, /Before Row/);
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, token)).json().display_name, 'Before Row');

  sql(`UPDATE users SET display_name = 'After Row' WHERE id = ${u.id}`);
  assert.match((await c.get('/admin/groups')).text, /After Row/);
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, token)).json().display_name, 'After Row');

  sql(`UPDATE users SET is_super_admin = 1 WHERE id = ${u.id}`);
  assert.equal((await c.get('/admin/users')).status, 200, 'made Super Admin by SQL: may list users');
  sql(`UPDATE users SET is_super_admin = 0 WHERE id = ${u.id}`);
  assert.equal((await c.get('/admin/users')).status, 403, 'and back');

  sql(`UPDATE users SET is_active = 0 WHERE id = ${u.id}`);
  assert.equal((await new Client().api('GET', '/api/1.0/users/me', null, token)).status, 401);
  const out = await c.get('/admin/groups');
  assert.equal(out.status, 302);
  assert.match(out.headers.get('location'), /^\/login/);
});

test('a Super Admin API caller holds every permission', async () => {
  const name = unique('apisa').replace(/\s/g, '_');
  await createUser({ username: name, is_super_admin: '1' });
  const c = await signedIn(name);
  const token = newToken((await c.post('/profile/tokens', { _csrf: c.csrf, name: 'sa' })).text);
  const me = (await new Client().api('GET', '/api/1.0/users/me', null, token)).json();
  assert.equal(me.is_super_admin, true);
  assert.ok(me.permissions.includes('delete-users') && me.permissions.includes('execute-data-connectors'));
});

test('navigation shows only what the user may open', async () => {
  const name = unique('nav').replace(/\s/g, '_');
  await createUser({ username: name, permissions: ['view-groups'] });
  const c = await signedIn(name);
  const p = await c.get('/profile');
  assert.match(p.text, /href="\/admin\/groups"/);
  assert.doesNotMatch(p.text, /href="\/admin\/users"/);
  const g = await c.get('/admin/groups');
  assert.doesNotMatch(g.text, /href="\/admin\/groups\/new"/);
  const full = await admin.get('/profile');
  assert.match(full.text, /href="\/admin\/users"/);
});
