'use strict';
// More authorization methods (issue 18, item 5) on the real stack, each against a real
// counterpart started by this suite:
//   - HTTP Digest: a private Apache with mod_auth_digest (htdigest file) — the right
//     password gets the file, a wrong one 401;
//   - AWS Signature V4: a small upstream that recomputes the signature with npm aws4 (an
//     implementation independent of libcurl's) — the right secret key verifies (GET with an
//     unsorted query, POST with a JSON body), a wrong one is refused;
//   - client certificate: a private nginx with ssl_verify_client on and a client CA made
//     here with openssl — the connector's certificate is accepted, no certificate or one of
//     another CA is refused; the private key is sealed and never shown; an encrypted key
//     (PKCS#8, AES-256) with its sealed Key passphrase gets in, a wrong or missing passphrase
//     fails with a clear message, and the passphrase shows nowhere (page, JSON, export,
//     execution log, audit log, app log);
//   - OAuth 2.0 Authorization Code with PKCE against oauth2-mock-server 7.2.1: Connect,
//     the provider's redirect, the callback (state checked once, the S256 verifier sent and
//     verified by the server), "Connected as …", the refresh token sealed, a call with the
//     token; a replayed or forged state refused;
//   - extra token-request fields (audience, resource) seen by the token endpoint;
//   - Test authorization (page and API) shows type, expiry and scope, never a token;
//   - export carries the new settings and no secret.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const aws4 = require('aws4');
const { Client, adminClient, csrfFrom, env, sql, unique, decode, flashOf, fieldError, inputValue } = require('./lib.js');
const { adminToken } = require('./apitokens.js');
const ops = require('../ops/lib.js');

let admin;
let token;
let categoryId;
let digest; // {url, proc}
let sigv4; // {url, server, seen: []}
let mtls; // {url, proc, cert, key, otherCert, otherKey}

const DIGEST_USER = 'digest-user';
const DIGEST_PASS = `dig-${crypto.randomBytes(6).toString('hex')}`;
const AWS_KEY = 'AKIDDCGATETEST';
const AWS_SECRET = `aws-${crypto.randomBytes(12).toString('base64url')}`;
const KEY_PASS = `kp-${crypto.randomBytes(9).toString('hex')}`;
const KEY_PASS2 = `kq-${crypto.randomBytes(9).toString('hex')}`;

// ---------------------------------------------------------------------- helpers

function alnum(s) {
  return s.replace(/[^A-Za-z0-9 ]/g, '');
}

function workDir(name) {
  const d = path.join(ops.opsDir(), name);
  fs.mkdirSync(d, { recursive: true });
  fs.chmodSync(d, 0o755);
  return d;
}

async function connector(c = admin) {
  if (!categoryId) {
    const name = alnum(unique('AuthM Cat'));
    const r = await c.submit('/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
    assert.equal(r.status, 303);
    categoryId = sql(`SELECT id FROM categories WHERE name = '${name}'`)[0].id;
  }
  const r = await c.submit('/data-connectors/new', '/data-connectors',
    { name: alnum(unique('AuthM Conn')), description: 'auth methods', auth_type: 'none', category_ids: [categoryId] });
  assert.equal(r.status, 303, 'connector created');
  return /\/data-connectors\/(\d+)$/.exec(r.location)[1];
}

async function saveAuth(id, fields, c = admin) {
  const page = await c.get(`/data-connectors/${id}/authorization`);
  assert.equal(page.status, 200);
  return c.post(`/data-connectors/${id}/authorization`,
    { _csrf: csrfFrom(page.text), version: inputValue(page.text, 'version') || '', ...fields });
}

async function addEndpoint(id, fields) {
  const page = await admin.get(`/data-connectors/${id}/endpoints/new`);
  const r = await admin.post(`/data-connectors/${id}/endpoints`,
    { _csrf: csrfFrom(page.text), purpose: 'Call', method: 'GET', timeout: '10', ...fields });
  assert.equal(r.status, 303, `endpoint saved: ${r.status} ${fieldError(r.text, 'url') || ''}`);
  return /\/endpoints\/(\d+)$/.exec(r.location)[1];
}

function execute(id, purpose = 'Call', data = {}) {
  return new Client().api('POST', `/api/1.0/data-connectors/${id}/endpoints/${encodeURIComponent(purpose)}/execute`, { data }, token);
}

function origin(u) {
  const x = new URL(u);
  return `${x.protocol}//${x.hostname}:${x.port || (x.protocol === 'https:' ? 443 : 80)}`;
}

function openssl(...args) {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A CA and a client certificate it signed, in dir: {ca, caKey, cert, key} (CA paths, PEM
 * texts). */
function makeClientPki(dir, name) {
  const ca = path.join(dir, `${name}-ca.crt`);
  const caKey = path.join(dir, `${name}-ca.key`);
  const key = path.join(dir, `${name}-client.key`);
  const csr = path.join(dir, `${name}-client.csr`);
  const cert = path.join(dir, `${name}-client.crt`);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name} test CA`, '-keyout', caKey, '-out', ca);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', `/CN=${name}-client`, '-keyout', key, '-out', csr);
  openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', cert);
  // PKCS#8 ("BEGIN PRIVATE KEY"), as most providers hand keys out.
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', key, '-out', `${key}.p8`);
  return { ca, caKey, cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(`${key}.p8`, 'utf8') };
}

/** Another client certificate of pki's CA whose key is encrypted: {cert, encKey} (PKCS#8,
 * AES-256-CBC, under KEY_PASS), encKey2 (the same key under KEY_PASS2), legacyKey (the same
 * key as a traditional "Proc-Type: 4,ENCRYPTED" RSA key under KEY_PASS). */
function issueEncrypted(dir, pki, name) {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.crt`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', key, '-out', csr);
  openssl('x509', '-req', '-in', csr, '-CA', pki.ca, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '2', '-out', cert);
  openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${KEY_PASS}`, '-in', key, '-out', `${key}.enc`);
  openssl('pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-passout', `pass:${KEY_PASS2}`, '-in', key, '-out', `${key}.enc2`);
  openssl('rsa', '-aes128', '-traditional', '-passout', `pass:${KEY_PASS}`, '-in', key, '-out', `${key}.legacy`);
  const read = (f) => fs.readFileSync(f, 'utf8');
  return { cert: read(cert), encKey: read(`${key}.enc`), encKey2: read(`${key}.enc2`), legacyKey: read(`${key}.legacy`) };
}

// ---------------------------------------------------------------- counterparts

/** Apache 2.4 with mod_auth_digest over /digest/ (realm "dcgate test"). */
async function startDigestApache() {
  const prefix = workDir('apache-digest');
  for (const d of ['logs', 'run', 'conf', 'htdocs/digest']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  fs.writeFileSync(path.join(prefix, 'htdocs/digest/data.json'), '{"digest":"granted"}\n');
  const realm = 'dcgate test';
  const ha1 = crypto.createHash('md5').update(`${DIGEST_USER}:${realm}:${DIGEST_PASS}`).digest('hex');
  fs.writeFileSync(path.join(prefix, 'conf/htdigest'), `${DIGEST_USER}:${realm}:${ha1}\n`);
  execFileSync('chmod', ['-R', 'a+rX', prefix]);
  const port = ops.freePort();
  const user = process.getuid() === 0 ? ops.webUser(prefix) : '';
  if (user.startsWith('root')) throw new Error('Apache cannot run as root and nobody cannot read the test folder');
  const mods = [['mpm_event_module', 'mod_mpm_event.so'], ['authz_core_module', 'mod_authz_core.so'],
    ['authn_core_module', 'mod_authn_core.so'], ['authn_file_module', 'mod_authn_file.so'],
    ['auth_digest_module', 'mod_auth_digest.so'], ['authz_user_module', 'mod_authz_user.so'],
    ['mime_module', 'mod_mime.so']];
  const lines = [
    `ServerRoot ${prefix}`, `PidFile ${prefix}/run/httpd.pid`, `DefaultRuntimeDir ${prefix}/run`,
    `Mutex file:${prefix}/run default`, `Listen 127.0.0.1:${port}`, 'ServerName 127.0.0.1',
    `ErrorLog ${prefix}/logs/error.log`, 'LogLevel warn',
    ...mods.map(([m, f]) => `LoadModule ${m} /usr/lib/apache2/modules/${f}`),
    'TypesConfig /etc/mime.types', 'StartServers 1', 'ServerLimit 1', 'ThreadsPerChild 8', 'MaxRequestWorkers 8',
    `DocumentRoot ${prefix}/htdocs`,
    `<Directory ${prefix}/htdocs>`, '    Require all granted', '</Directory>',
    `<Location /digest/>`, '    AuthType Digest', `    AuthName "${realm}"`, '    AuthDigestDomain /digest/',
    '    AuthDigestProvider file', `    AuthUserFile ${prefix}/conf/htdigest`, '    Require valid-user', '</Location>',
  ];
  if (user) {
    const [u, g] = user.split(' ');
    lines.push(`User ${u}`, `Group ${g || u}`);
  }
  const conf = path.join(prefix, 'conf', 'httpd.conf');
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  execFileSync('apache2', ['-t', '-f', conf], { stdio: 'pipe' });
  const proc = new ops.Proc('apache-digest', 'apache2', ['-DFOREGROUND', '-f', conf], { log: path.join(prefix, 'logs', 'stderr.log') });
  const url = `http://127.0.0.1:${port}`;
  await ops.waitHttp(`${url}/digest/data.json`, { proc, want: 401 });
  return { url, proc };
}

/** An upstream that checks AWS SigV4 with aws4: 200 {verified} or 403 {error}. */
function startSigv4() {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const auth = req.headers.authorization || '';
      const signed = (/SignedHeaders=([^,\s]+)/.exec(auth) || [])[1];
      const cred = (/Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth) || []);
      let ok = false;
      let why = 'no AWS4-HMAC-SHA256 Authorization header';
      if (signed && cred[1] && req.headers['x-amz-date']) {
        const headers = {};
        for (const n of signed.split(';')) headers[n] = req.headers[n];
        const opts = {
          host: req.headers.host, path: req.url, method: req.method, headers, body: body || undefined,
          service: cred[4], region: cred[3], doNotModifyHeaders: true,
        };
        // Signed at the request's own X-Amz-Date: with doNotModifyHeaders aws4 would take
        // the clock's second, and a request crossing a second boundary would not verify.
        const signer = new aws4.RequestSigner(opts, { accessKeyId: AWS_KEY, secretAccessKey: AWS_SECRET });
        signer.datetime = req.headers['x-amz-date'];
        signer.sign();
        const expect = opts.headers.Authorization || opts.headers.authorization;
        ok = cred[1] === AWS_KEY && expect === auth;
        why = ok ? '' : 'signature mismatch';
      }
      seen.push({ method: req.method, url: req.url, auth, body, ok });
      const out = JSON.stringify(ok ? { verified: true, region: cred[3], service: cred[4], signed_headers: signed } : { error: why });
      res.writeHead(ok ? 200 : 403, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, server, seen }));
  });
}

/** nginx with ssl_verify_client on (client CA made here) in front of the echo server. */
async function startMtls() {
  const prefix = workDir('nginx-mtls');
  for (const d of ['conf', 'logs', 'tmp']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const good = makeClientPki(path.join(prefix, 'conf'), 'good');
  const other = makeClientPki(path.join(prefix, 'conf'), 'other');
  const tlsDir = path.dirname(env('TLS_CA'));
  const port = ops.freePort();
  const user = process.getuid() === 0 ? ops.webUser(prefix) : '';
  const conf = `${user ? `user ${user};` : ''}
worker_processes 1;
pid ${prefix}/logs/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 64; }
http {
  access_log ${prefix}/logs/access.log;
  client_body_temp_path ${prefix}/tmp/client_body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost 127.0.0.1;
    ssl_certificate ${tlsDir}/tls.crt;
    ssl_certificate_key ${tlsDir}/tls.key;
    ssl_client_certificate ${good.ca};
    ssl_verify_client on;
    location / {
      proxy_pass ${env('ECHO_URL')};
      proxy_set_header X-Client-Verify $ssl_client_verify;
      proxy_set_header X-Client-DN $ssl_client_s_dn;
    }
  }
}
`;
  const file = path.join(prefix, 'conf', 'nginx.conf');
  fs.writeFileSync(file, conf);
  execFileSync('chmod', ['-R', 'a+rX', prefix]);
  execFileSync('nginx', ['-q', '-t', '-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-e', 'logs/error.log'], { stdio: 'pipe' });
  const proc = new ops.Proc('nginx-mtls', 'nginx', ['-p', `${prefix}/`, '-c', 'conf/nginx.conf', '-e', 'logs/error.log', '-g', 'daemon off;'],
    { log: path.join(prefix, 'logs', 'stderr.log') });
  const url = `https://127.0.0.1:${port}`;
  await ops.until(() => fs.existsSync(path.join(prefix, 'logs', 'nginx.pid')), { proc, what: 'nginx (mTLS) up' });
  await ops.sleep(200);
  return {
    url, proc, cert: good.cert, key: good.key, otherCert: other.cert, otherKey: other.key,
    enc: issueEncrypted(path.join(prefix, 'conf'), good, 'pass-client'),
    enc2: issueEncrypted(path.join(prefix, 'conf'), good, 'rotate-client'),
  };
}

test.before(async () => {
  admin = await adminClient();
  token = await adminToken(unique('auth methods'));
  [digest, sigv4, mtls] = await Promise.all([startDigestApache(), startSigv4(), startMtls()]);
});

test.after(async () => {
  if (digest) await digest.proc.stop('SIGTERM', 15000);
  if (mtls) await mtls.proc.stop('SIGQUIT', 15000);
  if (sigv4) sigv4.server.close();
});

// ------------------------------------------------------------------- the tab

test('the tab offers the new methods with labelled fields and write-only secrets', async () => {
  const id = await connector();
  const r = await admin.get(`/data-connectors/${id}/authorization`);
  assert.equal(r.status, 200);
  for (const [value, label] of [['digest', 'Digest Auth'], ['aws_sigv4', 'AWS Signature V4'],
    ['client_cert', 'Client Certificate \\(mTLS\\)'], ['oauth2_authorization_code', 'OAuth 2.0 Authorization Code \\(PKCE\\)']]) {
    assert.match(r.text, new RegExp(`<option value="${value}">${label}</option>`), label);
  }
  for (const label of ['Region', 'Service', 'Certificate', 'Private key', 'Authorization URL', 'Extra token fields']) {
    assert.match(r.text, new RegExp(`<label for="[a-z_]+">${label}</label>`), `label ${label}`);
  }
  assert.match(r.text, /<textarea id="client_key" name="client_key"[^>]*><\/textarea>/, 'the key field is always empty');
});

// ------------------------------------------------------------------- Digest

test('Digest: mod_auth_digest grants the right password and answers 401 to a wrong one', async () => {
  const id = await connector();
  let r = await saveAuth(id, {
    auth_type: 'digest', verify_ssl: '1', username: DIGEST_USER, password: DIGEST_PASS, allowed_origins: origin(digest.url),
  });
  assert.equal(r.status, 303, `saved: ${r.status} ${fieldError(r.text, 'password') || ''}`);
  const stored = sql(`SELECT auth_type, auth_username, auth_password FROM connectors WHERE id = ${id}`)[0];
  assert.equal(stored.auth_type, 'digest');
  assert.match(stored.auth_password, /^v1:[0-9a-f]{16}:/, 'the password is sealed');
  assert.ok(!stored.auth_password.includes(DIGEST_PASS));
  const eid = await addEndpoint(id, { url: `${digest.url}/digest/data.json` });
  // The Test screen: the answer, and a cURL line with the password masked.
  const form = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  const shown = await admin.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(form.text) });
  assert.equal(shown.status, 200);
  const curl = decode((/<textarea id="curl-command"[^>]*>([\s\S]*?)<\/textarea>/.exec(shown.text) || [])[1] || '');
  assert.match(curl, new RegExp(`--digest -u '${DIGEST_USER}:\\*\\*\\*\\*'`), `the cURL line: ${curl}`);
  assert.ok(!shown.text.includes(DIGEST_PASS), 'the password is not in the Test screen');
  assert.match(shown.text, /granted/);
  r = await execute(id);
  assert.equal(r.status, 200, r.text);
  let out = r.json();
  assert.equal(out.status, 200, `Apache granted the digest: ${JSON.stringify(out).slice(0, 300)}`);
  assert.deepEqual(out.body, { digest: 'granted' });

  r = await saveAuth(id, { auth_type: 'digest', verify_ssl: '1', username: DIGEST_USER, password: 'not-the-password', allowed_origins: origin(digest.url) });
  assert.equal(r.status, 303);
  r = await execute(id);
  out = r.json();
  // The endpoint's error statuses (400-599 by default) turn it into a 502 naming the upstream status.
  assert.equal(r.status, 502, r.text);
  assert.equal(out.code, 'ESTATUS');
  assert.equal(out.upstream_status, 401, 'a wrong password gets 401 from Apache');

  // Digest needs a user name: refused beside the field, nothing saved.
  r = await saveAuth(id, { auth_type: 'digest', verify_ssl: '1', username: '', password: DIGEST_PASS });
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'username'), 'The User field is required.');
});

// ------------------------------------------------------------------- AWS SigV4

test('AWS SigV4: aws4 verifies the signature (GET with an unsorted query, POST with JSON); a wrong secret is refused', async () => {
  const id = await connector();
  let r = await saveAuth(id, {
    auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, password: AWS_SECRET,
    aws_region: 'eu-west-1', aws_service: 'execute-api', allowed_origins: origin(sigv4.url),
  });
  assert.equal(r.status, 303, `saved: ${r.status} ${fieldError(r.text, 'aws_region') || ''}`);
  const stored = sql(`SELECT aws_region, aws_service, auth_password FROM connectors WHERE id = ${id}`)[0];
  assert.equal(stored.aws_region, 'eu-west-1');
  assert.equal(stored.aws_service, 'execute-api');
  assert.ok(!stored.auth_password.includes(AWS_SECRET), 'the secret key is sealed');
  await addEndpoint(id, { purpose: 'Get', url: `${sigv4.url}/items/list?zeta=1&alpha=two` });
  await addEndpoint(id, {
    purpose: 'Post', method: 'POST', url: `${sigv4.url}/items`, body: '{"name":"{{name}}"}',
    'header[0][key]': 'Content-Type', 'header[0][value]': 'application/json',
  });
  r = await execute(id, 'Get');
  let out = r.json();
  assert.equal(out.status, 200, `verified: ${JSON.stringify(out.body)} ${JSON.stringify(sigv4.seen.slice(-1))}`);
  assert.equal(out.body.verified, true);
  assert.equal(out.body.region, 'eu-west-1');
  assert.equal(out.body.service, 'execute-api');
  const get = sigv4.seen[sigv4.seen.length - 1];
  assert.match(get.auth, /^AWS4-HMAC-SHA256 Credential=AKIDDCGATETEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request/);
  assert.ok(!get.auth.includes(AWS_SECRET));
  assert.match(get.url, /alpha=two/);

  r = await execute(id, 'Post', { name: 'Ada' });
  out = r.json();
  assert.equal(out.status, 200, `POST verified: ${JSON.stringify(out.body)}`);
  assert.equal(sigv4.seen[sigv4.seen.length - 1].body, '{"name":"Ada"}', 'the signed body arrived');

  r = await saveAuth(id, {
    auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, password: `${AWS_SECRET}x`,
    aws_region: 'eu-west-1', aws_service: 'execute-api',
  });
  assert.equal(r.status, 303);
  r = await execute(id, 'Get');
  out = r.json();
  assert.equal(r.status, 502, r.text);
  assert.equal(out.upstream_status, 403, 'a wrong secret key does not verify');
  assert.match(out.body_excerpt, /signature mismatch/);

  // A redirect to an origin the credentials are not bound to: the signature stays behind.
  const other = await connector();
  r = await saveAuth(other, {
    auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, password: AWS_SECRET,
    aws_region: 'eu-west-1', aws_service: 'execute-api', allowed_origins: origin(env('ECHO_URL')),
  });
  assert.equal(r.status, 303);
  await addEndpoint(other, { url: `${env('ECHO_URL')}/redirect-to?url=${encodeURIComponent(`${sigv4.url}/moved`)}` });
  const n = sigv4.seen.length;
  out = (await execute(other)).json();
  assert.equal(sigv4.seen.length, n + 1, 'the redirect was followed');
  assert.equal(sigv4.seen[n].auth, '', 'no signature went to the other origin');
  assert.equal(out.upstream_status, 403);

  r = await saveAuth(id, { auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, aws_region: 'EU West', aws_service: '' });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'aws_region'), /lower-case AWS name/);
  assert.equal(fieldError(r.text, 'aws_service'), 'The Service field is required.');
});

// ------------------------------------------------------------------- mutual TLS

test('client certificate: nginx with ssl_verify_client on accepts it, refuses none and another CA\'s', async () => {
  const id = await connector();
  let r = await saveAuth(id, {
    auth_type: 'client_cert', verify_ssl: '1', client_cert: mtls.cert, client_key: mtls.key, allowed_origins: origin(mtls.url),
  });
  assert.equal(r.status, 303, `saved: ${r.status} ${fieldError(r.text, 'client_key') || ''} ${fieldError(r.text, 'client_cert') || ''}`);
  const stored = sql(`SELECT client_cert, client_key FROM connectors WHERE id = ${id}`)[0];
  assert.equal(stored.client_cert.trim(), mtls.cert.trim(), 'the certificate is kept as given');
  assert.match(stored.client_key, /^v1:[0-9a-f]{16}:/, 'the private key is sealed');
  assert.ok(!stored.client_key.includes('PRIVATE KEY'));
  await addEndpoint(id, { url: `${mtls.url}/echo/mtls` });
  r = await execute(id);
  let out = r.json();
  assert.equal(out.status, 200, `accepted: ${JSON.stringify(out).slice(0, 300)}`);
  assert.equal(out.body.headers['x-client-verify'], 'SUCCESS');
  assert.match(out.body.headers['x-client-dn'], /CN=good-client/);

  const page = await admin.get(`/data-connectors/${id}/authorization`);
  const keyBody = mtls.key.split('\n')[1];
  assert.ok(!page.text.includes(keyBody), 'the tab never shows the key');
  assert.match(page.text, /id="client_key-state">set — leave blank to keep/);

  // A blank key keeps the stored one.
  r = await saveAuth(id, { auth_type: 'client_cert', verify_ssl: '1', client_cert: mtls.cert, client_key: '' });
  assert.equal(r.status, 303);
  assert.equal(sql(`SELECT client_key FROM connectors WHERE id = ${id}`)[0].client_key, stored.client_key);

  // Another CA's certificate: refused by nginx.
  r = await saveAuth(id, { auth_type: 'client_cert', verify_ssl: '1', client_cert: mtls.otherCert, client_key: mtls.otherKey });
  assert.equal(r.status, 303);
  out = (await execute(id)).json();
  assert.equal(out.upstream_status, 400, 'a certificate of another CA is refused');

  // No certificate at all.
  r = await saveAuth(id, { auth_type: 'none', verify_ssl: '1' });
  assert.equal(r.status, 303);
  assert.equal(sql(`SELECT client_key FROM connectors WHERE id = ${id}`)[0].client_key, null, 'No Auth drops the key');
  out = (await execute(id)).json();
  assert.equal(out.upstream_status, 400, 'no certificate is refused');
  assert.match(out.body_excerpt, /No required SSL certificate was sent/);

  // Not PEM: refused beside the fields.
  r = await saveAuth(id, { auth_type: 'client_cert', verify_ssl: '1', client_cert: 'hello', client_key: 'world' });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'client_cert'), /PEM/);
  assert.match(fieldError(r.text, 'client_key'), /PEM private key/);
});

test('client certificate with an encrypted key: the Key passphrase is checked at save, used by calls, clear when wrong, shown nowhere', async () => {
  const { cert, encKey, encKey2, legacyKey } = mtls.enc; // a certificate no call has used yet
  assert.match(encKey, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.match(legacyKey, /Proc-Type: 4,ENCRYPTED/);
  const WRONG = `wrong-${crypto.randomBytes(6).toString('hex')}`;
  const id = await connector();
  const fields = (extra) => ({ auth_type: 'client_cert', verify_ssl: '1', client_cert: cert, allowed_origins: origin(mtls.url), ...extra });

  // At save: a wrong or missing passphrase is refused beside its field, nothing saved.
  let r = await saveAuth(id, fields({ client_key: encKey, client_key_pass: WRONG }));
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'client_key_pass'), 'The Key passphrase does not open this Private key.');
  assert.ok(!r.text.includes(WRONG) && !r.text.includes(encKey.split('\n')[1]), 'typed secrets are not shown again');
  r = await saveAuth(id, fields({ client_key: legacyKey }));
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'client_key_pass'), 'This Private key is encrypted: enter its Key passphrase.');
  assert.equal(sql(`SELECT client_key FROM connectors WHERE id = ${id}`)[0].client_key, null, 'nothing saved');
  r = await new Client().api('PUT', `/api/1.0/data-connectors/${id}`, {
    ...(await connRead(id)), auth_type: 'client_cert', client_cert: cert, client_key: encKey, client_key_pass: WRONG,
  }, token);
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.json().errors.client_key_pass, ['The Key passphrase does not open this Private key.']);

  // The legacy form opens with the right one too; then PKCS#8 under KEY_PASS, then under KEY_PASS2.
  r = await saveAuth(id, fields({ client_key: legacyKey, client_key_pass: KEY_PASS }));
  assert.equal(r.status, 303, fieldError(r.text, 'client_key_pass') || fieldError(r.text, 'client_key') || '');
  r = await saveAuth(id, fields({ client_key: encKey, client_key_pass: KEY_PASS }));
  assert.equal(r.status, 303);
  const sealedFirst = sql(`SELECT client_key_pass FROM connectors WHERE id = ${id}`)[0].client_key_pass;
  assert.match(sealedFirst, /^v1:[0-9a-f]{16}:/, 'the passphrase is sealed');
  assert.ok(!sealedFirst.includes(KEY_PASS));
  r = await saveAuth(id, fields({ client_key: encKey2, client_key_pass: KEY_PASS2 }));
  assert.equal(r.status, 303);
  const eid = await addEndpoint(id, { url: `${mtls.url}/echo/encrypted` });

  // At call time (a stored passphrase that does not fit the key, put there behind the form's
  // back: the key's former one, sealed for this very field; then none): a clear ETLS error,
  // a log row saying so, and no request reached the data source.
  sql(`UPDATE connectors SET client_key_pass = '${sealedFirst}' WHERE id = ${id}`);
  r = await execute(id);
  assert.equal(r.status, 502, r.text);
  assert.equal(r.json().code, 'ETLS');
  assert.match(r.json().message, /^The client certificate or its private key could not be used: the Key passphrase is wrong or missing/);
  const row = sql(`SELECT status, error FROM execution_logs WHERE endpoint_id = ${eid} ORDER BY id DESC LIMIT 1`)[0];
  assert.equal(row.status, '0', 'no answer');
  assert.match(row.error, /Key passphrase is wrong or missing/);
  const form = await admin.get(`/data-connectors/${id}/endpoints/${eid}`);
  const wrongPage = await admin.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(form.text) });
  assert.match(decode(wrongPage.text), /Key passphrase is wrong or missing/, 'the Test screen says so too');
  sql(`UPDATE connectors SET client_key_pass = NULL WHERE id = ${id}`);
  r = await execute(id);
  assert.equal(r.status, 502, r.text);
  assert.match(r.json().message, /Key passphrase is wrong or missing/, 'none: the same message, no prompt');

  // The right one again (typed; the key kept): nginx verifies the certificate of the opened key.
  r = await saveAuth(id, fields({ client_key: '', client_key_pass: KEY_PASS2 }));
  assert.equal(r.status, 303, fieldError(r.text, 'client_key_pass') || '');
  r = await execute(id);
  const out = r.json();
  assert.equal(out.status, 200, `accepted: ${JSON.stringify(out).slice(0, 300)}`);
  assert.equal(out.body.headers['x-client-verify'], 'SUCCESS');
  assert.match(out.body.headers['x-client-dn'], /CN=pass-client/);

  // The tab says set/unset only; the cURL line asks for it masked; JSON says only _set.
  let page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.match(page.text, /<label for="client_key_pass">Key passphrase<\/label>/);
  assert.match(page.text, /<input id="client_key_pass" name="client_key_pass" type="password" value=""/);
  assert.match(page.text, /id="client_key_pass-state">set — leave blank to keep/);
  const shown = await admin.post(`/data-connectors/${id}/endpoints/${eid}/test`, { _csrf: csrfFrom(form.text) });
  assert.equal(shown.status, 200);
  assert.match(decode(shown.text), /--key '\*\*\*\*' --pass '\*\*\*\*'/, 'the cURL line asks for a passphrase, masked');
  const read = await new Client().api('GET', `/api/1.0/data-connectors/${id}`, null, token);
  const conn = read.json().data || read.json();
  assert.equal(conn.client_key_pass_set, true);
  assert.equal(conn.client_key_pass, undefined);
  const exp = await new Client().api('GET', `/api/1.0/data-connectors/${id}/export`, null, token);
  assert.equal(exp.status, 200);
  assert.equal(exp.json().authorization.client_key_pass, undefined);
  const openapi = await new Client().api('GET', '/api/1.0/openapi.json', null, token);
  assert.match(openapi.text, /client_key_pass_set/, 'the OpenAPI document names it');

  // Clearing it while the encrypted key stays: refused at save.
  r = await saveAuth(id, fields({ client_key: '', clear_client_key_pass: '1' }));
  assert.equal(r.status, 422);
  assert.equal(fieldError(r.text, 'client_key_pass'), 'This Private key is encrypted: enter its Key passphrase.');

  // Nowhere: the pages, the JSON, the export, the execution and audit logs, the app log.
  const logs = sql(`SELECT CONCAT_WS(' ', url, error, detail, request_body, response_body) AS t FROM execution_logs WHERE connector_id = ${id}`);
  assert.ok(logs.length >= 4, `execution-log rows: ${logs.length}`);
  const audit = sql(`SELECT details FROM audit_log WHERE object_id = ${id} AND action = 'connector.authorization' ORDER BY id`);
  assert.ok(audit.some((a) => /client_key_pass/.test(a.details)), 'the audit log names the changed field');
  const appLog = fs.readFileSync(env('DCGATE_APP_LOG'), 'utf8');
  const places = {
    page: page.text, test: shown.text, wrongTest: wrongPage.text, read: read.text, export: exp.text, appLog,
    logs: logs.map((x) => x.t).join('\n'), audit: audit.map((x) => x.details).join('\n'),
  };
  for (const [where, text] of Object.entries(places)) {
    for (const secret of [KEY_PASS, KEY_PASS2, WRONG]) assert.ok(!text.includes(secret), `no passphrase in ${where}`);
  }

  // Another method drops it with the key.
  r = await saveAuth(id, { auth_type: 'none', verify_ssl: '1' });
  assert.equal(r.status, 303);
  assert.deepEqual(sql(`SELECT client_key, client_key_pass FROM connectors WHERE id = ${id}`)[0], { client_key: null, client_key_pass: null });
  page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.match(page.text, /id="client_key_pass-state">not set/);
});

/** The connector as the API reads it, as a PUT body (version, name, description, categories). */
async function connRead(id) {
  const j = (await new Client().api('GET', `/api/1.0/data-connectors/${id}`, null, token)).json();
  const c = j.data || j;
  return { version: Number(c.version), name: c.name, description: c.description, category_ids: [Number(categoryId)] };
}

// ---------------------------------------------------------- extra token fields, Test

async function issuedTokens() {
  const r = await fetch(`${env('OAUTH_URL')}/__control/issued`);
  return r.json();
}

async function tokenLog() {
  const r = await fetch(`${env('OAUTH_URL')}/__control/log`);
  return r.json();
}

test('extra token fields reach the token endpoint; Test authorization shows type, expiry and scope, never the token', async () => {
  const id = await connector();
  let r = await saveAuth(id, {
    auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-cc', client_secret: 'cc-secret-value', scope: 'read write',
    token_params: 'audience=https://api.example.test\nresource = urn:dcgate:test\n',
    allowed_origins: origin(env('OAUTH_URL')),
  });
  assert.equal(r.status, 303, `saved: ${r.status} ${fieldError(r.text, 'token_params') || ''}`);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.match(page.text, /id="oauth-test"/, 'a Test authorization button');
  assert.doesNotMatch(page.text, /id="oauth-connect"/, 'no Connect for client credentials');
  const before = (await tokenLog()).length;
  r = await admin.post(`/data-connectors/${id}/authorization/test`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200);
  const log = (await tokenLog()).slice(before);
  assert.equal(log.length, 1, 'one token request');
  assert.equal(log[0].body.grant_type, 'client_credentials');
  assert.equal(log[0].body.audience, 'https://api.example.test', 'audience arrived');
  assert.equal(log[0].body.resource, 'urn:dcgate:test', 'resource arrived');
  assert.equal(log[0].body.scope, 'read write');
  const text = decode(r.text.replace(/<[^>]*>/g, '').replace(/\s+/g, ' '));
  assert.match(text, /A token was issued\. Type: Bearer; expires in: \d+ s; scope: read write\./);
  for (const t of await issuedTokens()) assert.ok(!r.text.includes(t), 'no issued token in the page');

  // The JSON API: the same facts, no token member.
  const api = await new Client().api('POST', `/api/1.0/data-connectors/${id}/authorization/test`, {}, token);
  assert.equal(api.status, 200, api.text);
  const j = api.json();
  assert.equal(j.ok, true);
  assert.equal(j.token_type, 'Bearer');
  assert.ok(j.expires_in > 0);
  assert.equal(j.scope, 'read write');
  assert.equal(j.access_token, undefined);
  for (const t of await issuedTokens()) assert.ok(!api.text.includes(t), 'no issued token in the answer');

  // A token endpoint that refuses: 502 with the plain message, still no token.
  await fetch(`${env('OAUTH_URL')}/__control/next?status=401&error=invalid_client`, { method: 'POST' });
  const refused = await new Client().api('POST', `/api/1.0/data-connectors/${id}/authorization/test`, {}, token);
  assert.equal(refused.status, 502, refused.text);
  assert.equal(refused.json().ok, false);
  assert.match(refused.json().message, /The token endpoint answered 401: invalid_client/);
  assert.deepEqual(refused.json().errors, {});

  // A grant's own field cannot be added.
  r = await saveAuth(id, {
    auth_type: 'oauth2_client_credentials', verify_ssl: '1', token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-cc', token_params: 'grant_type=password',
  });
  assert.equal(r.status, 422);
  assert.match(fieldError(r.text, 'token_params'), /"grant_type" is set by the grant itself/);
  assert.match(r.text, /grant_type=password<\/textarea>/, 'the input is kept');
});

// ------------------------------------------------------------- Authorization Code

/** The provider URL of the Connect page (its link). */
function providerOf(html) {
  const m = /id="oauth-provider-link" href="([^"]+)"/.exec(html);
  assert.ok(m, 'the Connect page links to the provider');
  return decode(m[1]);
}

function codeFields(extra = {}) {
  return {
    auth_type: 'oauth2_authorization_code', verify_ssl: '1',
    auth_url: `${env('OAUTH_URL')}/authorize`, token_url: `${env('OAUTH_URL')}/token`,
    client_id: 'dcgate-web', scope: 'openid profile', token_params: 'audience=urn:dcgate:code',
    allowed_origins: origin(env('OAUTH_URL')), ...extra,
  };
}

test('Authorization Code with PKCE: Connect, the provider, the callback, Connected as, a call with the token', async () => {
  const id = await connector();
  let r = await saveAuth(id, codeFields());
  assert.equal(r.status, 303, `saved: ${r.status} ${fieldError(r.text, 'auth_url') || ''} ${r.text.match(/role="alert"[^<]*<[^<]*/) || ''}`);
  let page = await admin.get(`/data-connectors/${id}/authorization`);
  assert.match(page.text, /id="oauth-connected">Not connected/);

  // Connect: 303 to the provider with S256 PKCE and a state.
  r = await admin.post(`/data-connectors/${id}/authorization/connect`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const providerUrl = providerOf(r.text);
  const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(r.text);
  assert.ok(refresh && decode(refresh[1]) === providerUrl, 'the page moves on to the provider by itself');
  const auth = new URL(providerUrl);
  assert.equal(`${auth.origin}${auth.pathname}`, `${env('OAUTH_URL')}/authorize`);
  const q = auth.searchParams;
  assert.equal(q.get('response_type'), 'code');
  assert.equal(q.get('client_id'), 'dcgate-web');
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.match(q.get('state'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('redirect_uri'), `${admin.base}/data-connectors/${id}/authorization/callback`);
  const pending = sql(`SELECT state_hash, verifier FROM oauth_states WHERE connector_id = ${id}`);
  assert.equal(pending.length, 1, 'one pending Connect');
  assert.equal(pending[0].state_hash, crypto.createHash('sha256').update(q.get('state')).digest('hex'), 'the state is stored as its hash');
  assert.match(pending[0].verifier, /^v1:/, 'the verifier is sealed');

  // The provider sends the browser back with a code.
  const prov = await fetch(providerUrl, { redirect: 'manual' });
  assert.equal(prov.status, 302);
  const back = new URL(prov.headers.get('location'));
  assert.equal(back.searchParams.get('state'), q.get('state'));
  const callback = `${back.pathname}${back.search}`;

  // Someone else's browser (another session) cannot finish it.
  const before = (await tokenLog()).length;
  r = await admin.get(callback);
  assert.equal(r.status, 303, `callback: ${r.status} ${r.text.match(/id="form-error">([^<]*)/)?.[1] || ''}`);
  assert.equal(r.location, `/data-connectors/${id}/authorization`);
  page = await admin.get(r.location);
  assert.equal(flashOf(page.text), 'Connected as johndoe');
  assert.match(decode(page.text), /id="oauth-connected">Connected as <strong>johndoe<\/strong>, expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

  const log = (await tokenLog()).slice(before);
  assert.equal(log.length, 1);
  assert.equal(log[0].body.grant_type, 'authorization_code');
  assert.equal(log[0].status, 200, 'the mock server verified code_verifier against the challenge');
  const verifier = log[0].body.code_verifier;
  assert.equal(crypto.createHash('sha256').update(verifier).digest('base64url'), q.get('code_challenge'));
  assert.equal(log[0].body.audience, 'urn:dcgate:code', 'extra field on the code exchange');
  assert.equal(log[0].body.redirect_uri, q.get('redirect_uri'));

  const row = sql(`SELECT oauth_refresh, oauth_subject FROM connectors WHERE id = ${id}`)[0];
  assert.match(row.oauth_refresh, /^v1:/, 'the refresh token is sealed');
  assert.equal(row.oauth_subject, 'johndoe');
  for (const t of await issuedTokens()) {
    assert.ok(!row.oauth_refresh.includes(t));
    assert.ok(!page.text.includes(t), 'no token in the tab');
  }
  assert.equal(sql(`SELECT COUNT(*) AS n FROM oauth_states WHERE connector_id = ${id}`)[0].n, '0', 'the state was used up');

  // The token works on the provider's protected resource.
  await addEndpoint(id, { url: `${env('OAUTH_URL')}/resource` });
  let out = (await execute(id)).json();
  assert.equal(out.status, 200, JSON.stringify(out.body));
  assert.equal(out.body.sub, 'johndoe');

  // After the cache is gone the stored (sealed) refresh token earns a new one.
  sql(`DELETE FROM token_cache WHERE connector_id = ${id}`);
  const b2 = (await tokenLog()).length;
  out = (await execute(id)).json();
  assert.equal(out.status, 200);
  const log2 = (await tokenLog()).slice(b2);
  assert.equal(log2.length, 1);
  assert.equal(log2[0].body.grant_type, 'refresh_token');

  // Replaying the callback: refused, nothing exchanged.
  const b3 = (await tokenLog()).length;
  r = await admin.get(callback);
  assert.equal(r.status, 422);
  assert.match(decode(r.text), /was not started here, or was used already/);
  assert.equal((await tokenLog()).length, b3, 'no token request for a replayed state');

  // A forged state: refused.
  r = await admin.get(`/data-connectors/${id}/authorization/callback?code=abc&state=forged`);
  assert.equal(r.status, 422);

  // The provider's refusal is shown.
  r = await admin.get(`/data-connectors/${id}/authorization/callback?error=access_denied&error_description=no+thanks`);
  assert.equal(r.status, 422);
  assert.match(decode(r.text), /The provider did not grant access: access_denied — no thanks/);

  // Saving with the same settings keeps the grant; moving the token URL drops it.
  r = await saveAuth(id, codeFields());
  assert.equal(r.status, 303);
  assert.match(sql(`SELECT oauth_refresh FROM connectors WHERE id = ${id}`)[0].oauth_refresh || '', /^v1:/, 'kept');
  r = await saveAuth(id, codeFields({ token_url: `${env('TLS_URL')}/oauth/token` }));
  assert.equal(r.status, 303, fieldError(r.text, 'token_url') || fieldError(r.text, 'allowed_origins') || '');
  assert.equal(sql(`SELECT oauth_refresh FROM connectors WHERE id = ${id}`)[0].oauth_refresh, null, 'dropped with a new token origin');
  out = (await execute(id)).json();
  assert.match(JSON.stringify(out), /not connected: press Connect/);
});

test('a callback for another user\'s Connect is refused', async () => {
  const id = await connector();
  let r = await saveAuth(id, codeFields());
  assert.equal(r.status, 303);
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  r = await admin.post(`/data-connectors/${id}/authorization/connect`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200);
  const prov = await fetch(providerOf(r.text), { redirect: 'manual' });
  const back = new URL(prov.headers.get('location'));
  // The same state through a session of another user with the same permissions.
  const other = `authm_${crypto.randomBytes(4).toString('hex')}`;
  sql(`INSERT INTO users (username, display_name, password_hash, is_super_admin)
    SELECT '${other}', 'other', password_hash, 1 FROM users WHERE username = '${env('DCGATE_ADMIN_USER')}'`);
  const c = new Client();
  const login = await c.login(other, env('DCGATE_ADMIN_PASSWORD'));
  assert.equal(login.status, 303, 'the other admin signs in');
  r = await c.get(`${back.pathname}${back.search}`);
  assert.equal(r.status, 422);
  assert.match(decode(r.text), /expired or was started by someone else/);
  assert.equal(sql(`SELECT oauth_refresh FROM connectors WHERE id = ${id}`)[0].oauth_refresh, null);
});

// ------------------------------------------------------------------- export

test('export carries the new settings and no secret; the API reads them back', async () => {
  const id = await connector();
  let r = await saveAuth(id, {
    auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, password: AWS_SECRET,
    aws_region: 'us-east-2', aws_service: 's3', allowed_origins: origin(sigv4.url),
  });
  assert.equal(r.status, 303);
  r = await new Client().api('GET', `/api/1.0/data-connectors/${id}/export`, null, token);
  assert.equal(r.status, 200, r.text);
  const a = r.json().authorization;
  assert.equal(a.auth_type, 'aws_sigv4');
  assert.equal(a.aws_region, 'us-east-2');
  assert.equal(a.aws_service, 's3');
  assert.equal(a.username, AWS_KEY);
  assert.ok(!r.text.includes(AWS_SECRET), 'no secret exported');
  assert.equal(a.password, undefined);

  r = await new Client().api('GET', `/api/1.0/data-connectors/${id}`, null, token);
  const j = r.json();
  const conn = j.data || j;
  assert.equal(conn.aws_region, 'us-east-2');
  assert.equal(conn.password_set, true);
  assert.equal(conn.client_key_set, false);
  assert.ok(!r.text.includes(AWS_SECRET));

  // The JSON API takes the new members.
  r = await new Client().api('PUT', `/api/1.0/data-connectors/${id}`, {
    version: Number(conn.version), name: conn.name, description: conn.description, category_ids: [Number(categoryId)],
    auth_type: 'client_cert', client_cert: mtls.cert, client_key: mtls.key,
  }, token);
  assert.equal(r.status, 200, r.text);
  assert.match(sql(`SELECT client_key FROM connectors WHERE id = ${id}`)[0].client_key, /^v1:/);
  assert.ok(!r.text.includes(mtls.key.split('\n')[1]), 'the key is not echoed');
});

test('every new authorization setting round-trips: export, import under a new name, export again', async () => {
  const cases = [
    { auth_type: 'digest', verify_ssl: '1', username: DIGEST_USER, password: DIGEST_PASS, allowed_origins: origin(digest.url) },
    { auth_type: 'aws_sigv4', verify_ssl: '1', username: AWS_KEY, password: AWS_SECRET, aws_region: 'eu-central-1', aws_service: 'execute-api', allowed_origins: origin(sigv4.url) },
    { auth_type: 'client_cert', verify_ssl: '1', client_cert: mtls.cert, client_key: mtls.key, allowed_origins: origin(mtls.url) },
    codeFields({ token_params: 'audience=urn:dcgate:rt\nresource=https://api.example' }),
  ];
  for (const fields of cases) {
    const id = await connector();
    let r = await saveAuth(id, fields);
    assert.equal(r.status, 303, `${fields.auth_type} saved`);
    await addEndpoint(id, { url: `${env('ECHO_URL')}/echo/rt` });
    const exp = await new Client().api('GET', `/api/1.0/data-connectors/${id}/export`, null, token);
    assert.equal(exp.status, 200);
    const doc = exp.json();
    assert.equal(doc.authorization.auth_type, fields.auth_type);
    for (const secret of [DIGEST_PASS, AWS_SECRET, mtls.key.split('\n')[1]]) assert.ok(!exp.text.includes(secret), 'no secret exported');
    const name = alnum(unique('AuthM Copy'));
    r = await new Client().api('POST', '/api/1.0/data-connectors/import', { export: doc, name }, token);
    assert.equal(r.status, 201, `${fields.auth_type} imported: ${r.text}`);
    const again = (await new Client().api('GET', `/api/1.0/data-connectors/${r.json().id}/export`, null, token)).json();
    assert.deepEqual(again.authorization, doc.authorization, `${fields.auth_type}: the same settings after the round trip`);
    assert.deepEqual(again.endpoints, doc.endpoints);
  }
});

// ------------------------------------------------------------------- key rotation

/** Connect an Authorization Code connector through the HTTP flow; resolves when connected. */
async function connectCode(id) {
  const page = await admin.get(`/data-connectors/${id}/authorization`);
  const r = await admin.post(`/data-connectors/${id}/authorization/connect`, { _csrf: csrfFrom(page.text) });
  assert.equal(r.status, 200);
  const prov = await fetch(providerOf(r.text), { redirect: 'manual' });
  const back = new URL(prov.headers.get('location'));
  const cb = await admin.get(`${back.pathname}${back.search}`);
  assert.equal(cb.status, 303, 'connected');
}

test('rotate-key re-seals the private key, its passphrase and the refresh token; all still work', async () => {
  const cert = await connector();
  let r = await saveAuth(cert, {
    auth_type: 'client_cert', verify_ssl: '1', client_cert: mtls.enc2.cert, client_key: mtls.enc2.encKey, client_key_pass: KEY_PASS,
    allowed_origins: origin(mtls.url),
  });
  assert.equal(r.status, 303);
  await addEndpoint(cert, { url: `${mtls.url}/echo/rotate` });
  const code = await connector();
  r = await saveAuth(code, codeFields());
  assert.equal(r.status, 303);
  await connectCode(code);
  await addEndpoint(code, { url: `${env('OAUTH_URL')}/resource` });
  const keyOf = (v) => /^v1:([0-9a-f]{16}):/.exec(v)[1];
  const sealed = () => ({
    key: sql(`SELECT client_key FROM connectors WHERE id = ${cert}`)[0].client_key,
    pass: sql(`SELECT client_key_pass FROM connectors WHERE id = ${cert}`)[0].client_key_pass,
    refresh: sql(`SELECT oauth_refresh FROM connectors WHERE id = ${code}`)[0].oauth_refresh,
  });
  const before = sealed();
  const out = execFileSync(env('DCGATE_ADMIN_BIN'), ['rotate-key'],
    { env: { ...process.env, DCGATE_CONF: env('DCGATE_CONF') }, encoding: 'utf8' });
  assert.match(out, /re-sealed \d+ values under key ([0-9a-f]{16})/);
  const newKey = /under key ([0-9a-f]{16})/.exec(out)[1];
  const after = sealed();
  assert.notEqual(keyOf(before.key), newKey);
  assert.equal(keyOf(after.key), newKey, 'the private key is under the new key');
  assert.equal(keyOf(after.pass), newKey, 'the key passphrase is under the new key');
  assert.notEqual(after.pass, before.pass);
  assert.equal(keyOf(after.refresh), newKey, 'the refresh token is under the new key');

  const log = env('DCGATE_APP_LOG');
  const reloads = () => (fs.readFileSync(log, 'utf8').match(/SIGHUP: keys reloaded/g) || []).length;
  const n = reloads();
  process.kill(Number(env('DCGATE_PID')), 'SIGHUP');
  await ops.until(() => reloads() > n, { timeout: 5000, what: 'SIGHUP reload' });

  let res = (await execute(cert)).json();
  assert.equal(res.status, 200, 'the re-sealed key and passphrase open and nginx accepts the certificate');
  sql(`DELETE FROM token_cache WHERE connector_id = ${code}`);
  const b = (await tokenLog()).length;
  res = (await execute(code)).json();
  assert.equal(res.status, 200, 'the re-sealed refresh token earns a token');
  assert.equal((await tokenLog()).slice(b)[0].body.grant_type, 'refresh_token');
});
