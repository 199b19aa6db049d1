'use strict';
// OAuth 2.0 Authorization Code with PKCE in a real Chromium (issue 18): the method chosen
// and saved on the Authorization tab, "Connect" sends the browser to oauth2-mock-server's
// authorization endpoint, which sends it back to the callback; the tab then says
// "Connected as johndoe, expires …", and "Test authorization" shows the token's type,
// expiry and scope — no issued token (access or refresh) is ever in a page.
const test = require('node:test');
const assert = require('node:assert/strict');
const { browserSuite } = require('./lib.js');
const { adminClient, env, sql, unique } = require('../integration/lib.js');

let b;
const step = browserSuite(test, 'auth-pkce', { set: (x) => { b = x; } });

async function issued() {
  const r = await fetch(`${env('OAUTH_URL')}/__control/issued`);
  return r.json();
}

test('Connect with PKCE, Connected as, Test authorization, no token in any page', async () => {
  const c = await adminClient();
  const cat = unique('Pkce Cat').replace(/[^A-Za-z0-9 ]/g, '');
  let r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name: cat, status: 'active' });
  assert.equal(r.status, 303);
  const catId = sql(`SELECT id FROM categories WHERE name = '${cat}'`)[0].id;
  r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: unique('Pkce Conn').replace(/[^A-Za-z0-9 ]/g, ''), description: 'pkce', auth_type: 'none', category_ids: [catId] });
  assert.equal(r.status, 303);
  const id = /\/data-connectors\/(\d+)$/.exec(r.location)[1];
  const oauth = new URL(env('OAUTH_URL'));
  const pages = [];

  await step('login', async () => {
    await b.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  });

  await step('save', async () => {
    await b.page.goto(b.url(`/data-connectors/${id}/authorization`));
    await b.page.selectOption('#auth_type', 'oauth2_authorization_code');
    assert.ok(await b.page.isVisible('#auth_url'), 'the Authorization URL shows for the method');
    assert.ok(!(await b.page.isVisible('#aws_region')), 'AWS fields are hidden');
    await b.page.fill('#auth_url', `${env('OAUTH_URL')}/authorize`);
    await b.page.fill('#token_url', `${env('OAUTH_URL')}/token`);
    await b.page.fill('#client_id', 'dcgate-browser');
    await b.page.fill('#scope', 'openid profile');
    await b.page.fill('#token_params', 'audience=urn:dcgate:browser');
    await b.page.fill('#allowed_origins', `${oauth.protocol}//${oauth.hostname}:${oauth.port}`);
    await Promise.all([b.page.waitForNavigation(), b.page.click('form.auth-form button[type="submit"]')]);
    assert.match(await b.page.textContent('body'), /The Data Connector was saved/);
    assert.match(await b.page.textContent('#oauth-connected'), /Not connected/);
  });

  await step('connect', async () => {
    const seen = [];
    b.page.on('request', (req) => { if (req.isNavigationRequest()) seen.push(req.url()); });
    await b.page.click('#oauth-connect');
    await b.page.waitForSelector('#oauth-connected:has-text("Connected as johndoe")');
    const auth = seen.find((u) => u.startsWith(`${env('OAUTH_URL')}/authorize?`));
    assert.ok(auth, `the browser went to the provider: ${seen.join(' ')}`);
    const q = new URL(auth).searchParams;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.ok(seen.some((u) => u.includes(`/data-connectors/${id}/authorization/callback?`)), 'and came back to the callback');
    const text = await b.page.textContent('body');
    assert.match(text, /Connected as johndoe/);
    assert.match(await b.page.textContent('#oauth-connected'), /Connected as johndoe, expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    pages.push(await b.page.content());
  });

  await step('test-authorization', async () => {
    await Promise.all([b.page.waitForNavigation(), b.page.click('#oauth-test')]);
    const result = await b.page.textContent('#auth-test-result');
    // The scope shown is the provider's answer: oauth2-mock-server says "dummy" for a
    // refresh grant that names no scope.
    assert.match(result.replace(/\s+/g, ' '), /A token was issued\. Type: Bearer; expires in: \d+ s; scope: dummy\. The token itself is not shown\./);
    pages.push(await b.page.content());
  });

  const log = await (await fetch(`${env('OAUTH_URL')}/__control/log`)).json();
  const mine = log.filter((e) => e.body && e.body.client_id === 'dcgate-browser');
  assert.deepEqual(mine.map((e) => e.body.grant_type), ['authorization_code', 'refresh_token'],
    'the code exchange, then Test authorization used the sealed refresh token');
  assert.ok(mine.every((e) => e.body.audience === 'urn:dcgate:browser' || e.body.grant_type === 'refresh_token'));
  assert.ok(mine[0].body.code_verifier, 'the verifier went with the code');
  const tokens = await issued();
  assert.ok(tokens.length > 0);
  for (const html of pages) {
    for (const t of tokens) assert.ok(!html.includes(t), 'no issued token in a page');
  }
  assert.deepEqual(b.errors, [], 'no JavaScript errors');
});
