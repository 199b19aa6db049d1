'use strict';
// The user-level steps the operations suites repeat through different front ends and
// processes, written against DESIGN.md's URL and form contract: categories, connectors,
// authorization, endpoints, Test, delete. Each takes a signed-in Client of
// tests/integration/lib.js (whose base URL picks the front end) and asserts what the
// contract promises (303 after a successful POST, the flash texts, the ids in Location).
const assert = require('node:assert/strict');
const { csrfFrom, sql, sqlString } = require('../integration/lib.js');
const { hiddenFields, pageText } = require('./lib.js');

function where(r) {
  return `status ${r.status}${r.location ? ` -> ${r.location}` : ''}: ${pageText(r.text).slice(0, 400)}`;
}

/** GET formPath, POST fields with its _csrf (and version, when the form has one and fields do not). */
async function submitForm(c, formPath, action, fields) {
  const page = await c.get(formPath);
  assert.equal(page.status, 200, `GET ${formPath}: ${where(page)}`);
  const hidden = hiddenFields(page.text, action);
  const token = hidden._csrf || csrfFrom(page.text);
  assert.ok(token, `${formPath} has a _csrf field`);
  const body = { ...fields, _csrf: token };
  if (hidden.version !== undefined && body.version === undefined) body.version = hidden.version;
  return c.post(action, body);
}

/** Create an active category; returns its id. */
async function createCategory(c, name) {
  const r = await submitForm(c, '/data-connector-categories/new', '/data-connector-categories', { name, status: 'active' });
  assert.equal(r.status, 303, `create category: ${where(r)}`);
  const rows = sql(`SELECT id FROM categories WHERE name = ${sqlString(name)}`);
  assert.equal(rows.length, 1, `category ${name} is in the database`);
  return rows[0].id;
}

/** Create a connector; returns its id (from the Location of the 303). */
async function createConnector(c, { name, description = '', auth_type = 'none', category_ids }) {
  const r = await submitForm(c, '/data-connectors/new', '/data-connectors', { name, description, auth_type, category_ids });
  assert.equal(r.status, 303, `create connector: ${where(r)}`);
  const m = /\/data-connectors\/(\d+)/.exec(r.location || '');
  assert.ok(m, `the answer to the create points at the new connector (Location ${r.location})`);
  return m[1];
}

/** Save the Authorization tab (auth_type and its fields). */
async function setAuthorization(c, id, fields) {
  const p = `/data-connectors/${id}/authorization`;
  const r = await submitForm(c, p, p, fields);
  assert.equal(r.status, 303, `save authorization: ${where(r)}`);
  return r;
}

/** Add an endpoint; returns its id. headers: [{key, value, description, required}]. */
async function addEndpoint(c, id, { purpose, description = '', method = 'GET', url, timeout = 10, body = '', sample_data = '', headers = [], params = [] }) {
  const fields = { purpose, description, method, url, timeout, body, sample_data };
  headers.forEach((h, i) => {
    fields[`header[${i}][key]`] = h.key;
    fields[`header[${i}][value]`] = h.value;
    fields[`header[${i}][description]`] = h.description || '';
    if (h.required) fields[`header[${i}][required]`] = '1';
  });
  params.forEach((p, i) => {
    fields[`param[${i}][key]`] = p.key;
    fields[`param[${i}][value]`] = p.value;
    if (p.required) fields[`param[${i}][required]`] = '1';
  });
  const r = await submitForm(c, `/data-connectors/${id}/endpoints/new`, `/data-connectors/${id}/endpoints`, fields);
  assert.equal(r.status, 303, `add endpoint: ${where(r)}`);
  const m = /\/endpoints\/(\d+)/.exec(r.location || '');
  if (m) return m[1];
  const rows = sql(`SELECT id FROM endpoints WHERE connector_id = ${Number(id)} AND purpose = ${sqlString(purpose)}`);
  assert.equal(rows.length, 1, `endpoint ${purpose} is in the database`);
  return rows[0].id;
}

/** POST the endpoint's Test button; returns the Test screen (200 expected). */
async function testEndpoint(c, id, eid, fields = {}) {
  const p = `/data-connectors/${id}/endpoints/${eid}`;
  const r = await submitForm(c, p, `${p}/test`, fields);
  assert.equal(r.status, 200, `test endpoint: ${where(r)}`);
  return r;
}

/** Delete a connector after its confirm page; the list then says it was deleted. */
async function deleteConnector(c, id) {
  const confirm = await c.get(`/data-connectors/${id}/delete`);
  assert.equal(confirm.status, 200, `confirm page: ${where(confirm)}`);
  assert.match(pageText(confirm.text), /Are you sure you want to delete/);
  const r = await submitForm(c, `/data-connectors/${id}/delete`, `/data-connectors/${id}/delete`, {});
  assert.equal(r.status, 303, `delete connector: ${where(r)}`);
  const list = await c.get(r.location);
  assert.match(pageText(list.text), /The Data Connector was deleted\./);
  assert.equal(sql(`SELECT COUNT(*) AS n FROM connectors WHERE id = ${Number(id)}`)[0].n, '0');
}

module.exports = { where, submitForm, createCategory, createConnector, setAuthorization, addEndpoint, testEndpoint, deleteConnector };
