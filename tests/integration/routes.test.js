'use strict';
// The one route table, walked for every role (issue 3): `dcgate-admin routes` prints the
// table; each route is requested as anonymous, a user without permissions, a view-only
// user, a view+edit user and a Super Admin, and the answer must match the permissions the
// table declares. Routes added later are walked the same way without new test code.
//
//   anonymous         302 to /login (API: 401); public routes answer normally
//   lacking the perm  403 (page or JSON)
//   holding it        neither 403, 401 nor a redirect to /login, and no 5xx
//
// GET routes use ids of real rows where the path names a known table (else 999999, or a
// made-up name for {x:s}); other methods always use 999999 and an empty form, so the walk
// changes nothing (a missing id answers 404, an empty form 422 — both past the permission
// check). POST /logout is walked last, per role.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { Client, adminClient, csrfFrom, env, sql, sqlString, unique } = require('./lib.js');

const MISSING = '999999';
const ROUTES = JSON.parse(execFileSync(env('DCGATE_ADMIN_BIN'), ['routes'], { encoding: 'utf8' }));

/** Every permission name the editor offers (so new permissions are picked up too). */
function editorPermissions(html) {
  return [...new Set([...html.matchAll(/name="permissions" value="([^"]+)"/g)].map((m) => m[1]))];
}

/** The token shown once on the profile page after POST /profile/tokens. */
function newToken(html) {
  const m = /id="new-api-token"[^>]*>([^<]+)</.exec(html);
  return m ? m[1].trim() : null;
}

/** Creates a user through the admin UI; returns its id. */
async function createUser(admin, name, password, { perms = [], superAdmin = false } = {}) {
  const r = await admin.submit('/admin/users/new', '/admin/users', {
    username: name, password, display_name: name, is_active: '1',
    is_super_admin: superAdmin ? '1' : undefined, permissions: perms,
  });
  assert.equal(r.status, 303, `create ${name}: ${r.status}\n${r.text.slice(0, 2000)}`);
  return sql(`SELECT id FROM users WHERE username = ${sqlString(name)}`)[0].id;
}

/** A signed-in client with an API token. */
async function signIn(name, password) {
  const c = new Client();
  const r = await c.login(name, password);
  assert.equal(r.status, 303, `sign-in of ${name}`);
  const page = await c.get('/profile');
  const t = await c.post('/profile/tokens', { name: 'routes walk', _csrf: csrfFrom(page.text) });
  assert.equal(t.status, 200);
  c.token = newToken(t.text);
  assert.ok(c.token, 'the new token is shown');
  await c.get('/profile'); // the page's CSRF token for the POSTs of the walk
  return c;
}

/** Rows to point GET routes at: created here so every table has one. */
function fixtures(admin) {
  const ids = {};
  const first = (q) => {
    try {
      return sql(q)[0]?.id || null;
    } catch {
      return null; // a table another issue has not created yet
    }
  };
  const tag = unique('routes').replace(/\s/g, '');
  try {
    sql(`INSERT INTO categories (name) VALUES (${sqlString('Routes ' + tag.slice(-8))})`);
    const cat = first('SELECT MAX(id) AS id FROM categories');
    sql(`INSERT INTO connectors (name, description) VALUES (${sqlString('Routes ' + tag.slice(-8))}, '')`);
    const conn = first('SELECT MAX(id) AS id FROM connectors');
    sql(`INSERT INTO connector_categories (connector_id, category_id) VALUES (${conn}, ${cat})`);
    sql(`INSERT INTO endpoints (connector_id, purpose, description, url, body, sample_data)
         VALUES (${conn}, 'List', '', 'http://127.0.0.1:9/x', '', '')`);
  } catch {
    // the walk falls back to 999999 where a row is missing
  }
  ids.users = first('SELECT MIN(id) AS id FROM users');
  ids.groups = first('SELECT MIN(id) AS id FROM `groups`');
  ids['data-connector-categories'] = first('SELECT MAX(id) AS id FROM categories');
  ids['data-connectors'] = first(
    'SELECT MAX(c.id) AS id FROM connectors c WHERE EXISTS (SELECT 1 FROM endpoints e WHERE e.connector_id = c.id)');
  return ids;
}

/** The path of a route with its {params} filled: real ids for GET where known. */
function pathOf(route, ids) {
  const segs = route.pattern.split('/');
  let parent = null;
  for (let i = 0; i < segs.length; i++) {
    if (!/^\{[\w:]+\}$/.test(segs[i])) continue;
    const table = segs[i - 1];
    let id = null;
    if (route.method === 'GET') {
      if (table === 'endpoints' && parent) {
        id = sql(`SELECT MIN(id) AS id FROM endpoints WHERE connector_id = ${Number(parent)}`)[0]?.id;
      } else {
        id = ids[table];
      }
    }
    segs[i] = id || (segs[i].endsWith(':s}') ? 'no-such-thing' : MISSING);
    parent = segs[i];
  }
  return segs.join('/');
}

function send(client, route, path) {
  if (route.api) {
    return client.api(route.method, path, route.method === 'GET' ? null : {}, client?.token);
  }
  if (route.method === 'GET') return client.get(path);
  return client.request(route.method, path, { form: client.csrf ? { _csrf: client.csrf } : {} });
}

function redirectsToLogin(r) {
  return r.status >= 300 && r.status < 400 && /^\/login(\?|$)/.test(r.location || '');
}

/** What the table says a role may do on a route. */
function allowed(route, perms, superAdmin) {
  if (superAdmin) return true;
  return [route.perm, route.perm2].every((p) => !p || perms.includes(p));
}

/** Asserts the answer for a signed-in role. */
function checkSignedIn(route, path, role, r) {
  const what = `${role.name}: ${route.method} ${path} -> ${r.status} ${r.location || ''}`;
  if (allowed(route, role.perms, role.superAdmin)) {
    assert.ok(r.status !== 403 && r.status !== 401 && !redirectsToLogin(r), `allowed, ${what}`);
    assert.ok(r.status < 500, `no server error, ${what}\n${r.text.slice(0, 500)}`);
  } else {
    assert.equal(r.status, 403, `refused, ${what}`);
    if (route.api) assert.equal(typeof r.json().message, 'string', 'a JSON error');
    else assert.match(r.text, /permission/i, 'the 403 page says why');
  }
}

function checkAnonymous(route, path, r) {
  const what = `anonymous: ${route.method} ${path} -> ${r.status} ${r.location || ''}`;
  if (route.public) {
    assert.ok(r.status < 500 && r.status !== 403 && !redirectsToLogin(r), what);
  } else if (route.api) {
    assert.equal(r.status, 401, what);
  } else {
    assert.ok(r.status === 302 && redirectsToLogin(r), `302 to /login, ${what}`);
  }
}

const ROLES = [];
let IDS = {};

test.before(async () => {
  const admin = await adminClient();
  const all = editorPermissions((await admin.get('/admin/users/new')).text);
  assert.ok(all.includes('view-users') && all.includes('delete-groups'), 'the editor lists permissions');
  const view = all.filter((p) => p.startsWith('view-'));
  const edit = all.filter((p) => p.startsWith('view-') || p.startsWith('edit-'));
  const tag = unique('r').replace(/\s/g, '');
  const pw = 'walk-the-table-1';
  const defs = [
    { name: `none_${tag}`, perms: [] },
    { name: `view_${tag}`, perms: view },
    { name: `edit_${tag}`, perms: edit },
    { name: `super_${tag}`, perms: [], superAdmin: true },
  ];
  // A group so /admin/groups/{id} has a row.
  await admin.submit('/admin/groups/new', '/admin/groups', { name: `Routes ${tag}`, description: '' });
  for (const d of defs) {
    d.id = await createUser(admin, d.name, pw, { perms: d.perms, superAdmin: d.superAdmin });
    // What the table will be checked against is what the database holds.
    const stored = sql(`SELECT permission FROM user_permissions WHERE user_id = ${d.id}`).map((r) => r.permission);
    assert.deepEqual(stored.sort(), [...d.perms].sort(), `${d.name} holds exactly its permissions`);
    d.client = await signIn(d.name, pw);
    ROLES.push(d);
  }
  IDS = fixtures(admin);
});

test('the route table is well formed', () => {
  assert.ok(ROUTES.length >= 20, `${ROUTES.length} routes`);
  const seen = new Set();
  for (const r of ROUTES) {
    assert.match(r.method, /^(GET|POST|PUT|PATCH|DELETE)$/, r.pattern);
    assert.match(r.pattern, /^\//);
    const key = `${r.method} ${r.pattern}`;
    assert.ok(!seen.has(key), `${key} is listed once`);
    seen.add(key);
    if (r.api) assert.match(r.pattern, /^\/api\//, `${key}: API routes live under /api/`);
    if (r.pattern.startsWith('/admin/')) assert.ok(r.perm, `${key}: admin routes need a permission`);
    if (/^\/admin\/.*\/delete$/.test(r.pattern)) assert.ok(r.perm, `${key}: a delete needs a permission`);
  }
  for (const p of ['/admin/users', '/admin/groups', '/profile', '/api/1.0/users/me']) {
    assert.ok(ROUTES.some((r) => r.pattern === p), `${p} is routed`);
  }
});

test('anonymous: 302 to /login, API 401, public routes answer', async () => {
  const anon = new Client();
  for (const route of ROUTES) {
    const path = pathOf(route, IDS);
    const r = await send(anon, route, path);
    checkAnonymous(route, path, r);
  }
});

for (const roleName of ['none', 'view', 'edit', 'super']) {
  test(`role ${roleName}: every route answers as its permissions say`, async () => {
    const role = ROLES.find((r) => r.name.startsWith(`${roleName}_`));
    let checked = 0;
    for (const route of ROUTES) {
      if (route.method === 'POST' && route.pattern === '/logout') continue;
      const path = pathOf(route, IDS);
      const r = await send(role.client, route, path);
      checkSignedIn(route, path, role, r);
      checked++;
    }
    assert.ok(checked >= ROUTES.length - 1);
    // Still signed in after the walk: nothing on the way signed the role out.
    const me = await role.client.get('/profile');
    assert.equal(me.status, 200, `${role.name} is still signed in`);
    // Last, sign out: the session ends.
    const out = await role.client.post('/logout', { _csrf: role.client.csrf });
    assert.equal(out.status, 303);
    const after = await role.client.get('/profile');
    assert.ok(redirectsToLogin(after), 'signed out');
  });
}

test('POSTs of the walk changed nothing they should not have', () => {
  // Every POST used id 999999 or an empty form: no user, group or token was removed.
  for (const role of ROLES) {
    assert.equal(sql(`SELECT COUNT(*) AS n FROM users WHERE id = ${role.id}`)[0].n, '1');
  }
  const walked = sql("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('user.delete', 'group.delete')" +
    ` AND username IN (${ROLES.map((r) => sqlString(r.name)).join(', ')})`)[0].n;
  assert.equal(walked, '0', 'no delete by a walking role');
});
