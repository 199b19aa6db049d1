'use strict';
// API tokens for the JSON API suites (api.test.js, api_extra.test.js): the super admin's
// through the Profile page, as a person would make one, and users with chosen permissions
// made directly in the database (sha256 of a known token in api_tokens, as dcgate stores it).
const crypto = require('node:crypto');
const { adminClient, sql, sqlString, unique } = require('./lib.js');

/** A new API token of the signed-in admin, from POST /profile/tokens (#new-api-token). */
async function adminToken(name = unique('api test')) {
  const c = await adminClient();
  const page = await c.get('/profile');
  const r = await c.post('/profile/tokens', { _csrf: c.csrf, name });
  const m = /id="new-api-token"[^>]*>([^<]+)</.exec(r.text);
  if (!m) throw new Error(`no token on the profile page (status ${r.status}, page ${page.status})`);
  return m[1].trim();
}

/** A user with exactly these permissions and an API token of it: {id, username, token}. */
function userToken(prefix, permissions) {
  const username = unique(prefix).replace(/\s+/g, '_');
  sql(`INSERT INTO users (username, display_name, password_hash) VALUES (${sqlString(username)}, ${sqlString(prefix)}, 'x')`);
  const [{ id }] = sql(`SELECT id FROM users WHERE username = ${sqlString(username)}`);
  for (const p of permissions) {
    sql(`INSERT INTO user_permissions (user_id, permission) VALUES (${id}, ${sqlString(p)})`);
  }
  const token = `dcg_${crypto.randomBytes(32).toString('base64url')}`;
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  sql(`INSERT INTO api_tokens (user_id, name, token_hash) VALUES (${id}, 'tests', '${hash}')`);
  return { id: Number(id), username, token };
}

module.exports = { adminToken, userToken };
