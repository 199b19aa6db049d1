'use strict';
// The request mix of tests/bench/soak (run by it, with the environment it sets): SOAK_REQUESTS
// HTTP requests from SOAK_CONCURRENCY signed-in clients, each working on a connector of its
// own: pages (lists, search, details, endpoints tab, categories, healthz), saves (details
// with the version from the form; an endpoint with 10 headers) and Tests of an endpoint
// that calls the echo data source. Samples dcgate's VmRSS (DCGATE_PID) before, during and
// after; exits 1 when it does not stay flat or when a request fails.
const { Client, adminClient, env, unique } = require('../integration/lib.js');
const flow = require('./flow.js');
const ops = require('./lib.js');

const TOTAL = Number(process.env.SOAK_REQUESTS || 100000);
const CONC = Number(process.env.SOAK_CONCURRENCY || 16);
const MAX_GROWTH_KB = Number(process.env.SOAK_MAX_GROWTH_KB || 8192);
const pid = Number(env('DCGATE_PID'));

let sent = 0;
const counts = { page: 0, save: 0, test: 0, busy: 0 };
const statuses = {};
const unexpected = [];
const samples = [];

function sample(label) {
  const kb = ops.rssKiB(pid);
  samples.push({ label, done: sent, kb });
  process.stdout.write(`  ${label.padEnd(14)} ${String(sent).padStart(7)} requests   VmRSS ${(kb / 1024).toFixed(1).padStart(7)} MiB\n`);
  return kb;
}

function note(kind, path, r, want) {
  statuses[r.status] = (statuses[r.status] || 0) + 1;
  if (!want.includes(r.status) && unexpected.length < 20) unexpected.push(`${kind} ${path}: ${r.status} ${ops.pageText(r.text).slice(0, 160)}`);
  if (!want.includes(r.status)) unexpected.count = (unexpected.count || 0) + 1;
}

async function setupWorker(k, cat) {
  const c = new Client();
  const r = await c.login(env('DCGATE_ADMIN_USER'), env('DCGATE_ADMIN_PASSWORD'));
  if (r.status !== 303) throw new Error(`worker ${k}: sign-in answered ${r.status}`);
  const name = unique(`Soak ${k}`);
  const id = await flow.createConnector(c, { name, description: 'soak', category_ids: [cat] });
  const headers = Array.from({ length: 10 }, (_, i) => ({ key: `X-Soak-${i}`, value: `v${i}` }));
  const eid = await flow.addEndpoint(c, id, { purpose: 'Echo', method: 'GET', url: `${env('ECHO_URL')}/soak?w=${k}`, headers });
  return { k, c, id, eid, name, headers, n: 0 };
}

/** One step of a worker: one or two requests; returns when they are answered. */
async function step(w) {
  const roll = (w.n++ * 7 + w.k) % 20; // a fixed, interleaved mix: 11 pages, 5 saves, 4 tests
  const { c, id, eid } = w;
  if (roll < 11) {
    const pages = [
      '/data-connectors', `/data-connectors?q=${encodeURIComponent('Soak')}&sort=name`, `/data-connectors/${id}`,
      `/data-connectors/${id}/endpoints`, `/data-connectors/${id}/endpoints/${eid}`, '/data-connector-categories',
      '/healthz', `/data-connectors?page=2&per_page=5`, `/data-connectors/${id}/authorization`, '/data-connectors/new', '/healthz',
    ];
    const p = pages[roll];
    sent++;
    counts.page++;
    note('page', p, await c.get(p), [200]);
  } else if (roll < 16) {
    const details = roll % 2 === 0;
    const form = details ? `/data-connectors/${id}` : `/data-connectors/${id}/endpoints/${eid}`;
    sent++;
    counts.page++;
    const page = await c.get(form);
    note('page', form, page, [200]);
    const hidden = ops.hiddenFields(page.text, form);
    const fields = details
      ? { name: w.name, description: `soak save ${w.n}`, auth_type: 'none', category_ids: [w.cat] }
      : { purpose: 'Echo', description: `soak save ${w.n}`, method: 'GET', url: `${env('ECHO_URL')}/soak?w=${w.k}`, timeout: 10, body: '', sample_data: '' };
    if (!details) {
      w.headers.forEach((h, i) => { fields[`header[${i}][key]`] = h.key; fields[`header[${i}][value]`] = `${h.value}-${w.n}`; });
    }
    sent++;
    counts.save++;
    note('save', form, await c.post(form, { ...hidden, ...fields }), [303]);
  } else {
    const p = `/data-connectors/${id}/endpoints/${eid}/test`;
    sent++;
    counts.test++;
    const r = await c.post(p, { _csrf: c.csrf });
    note('test', p, r, [200]);
    const shown = ops.pageText(r.text);
    if (r.status === 200 && /\bEBUSY\b/.test(shown)) {
      // outbound.concurrency Tests were already running: the designed answer under overload.
      counts.busy++;
    } else if (r.status === 200 && !/"path"\s*:\s*"\/soak"/.test(shown)) {
      const at = Math.max(0, shown.search(/error|fail|refused|timed? ?out|busy|denied/i));
      if (unexpected.length < 20) unexpected.push(`test ${p}: the Test screen does not show the echo answer: …${shown.slice(at, at + 200)}`);
      unexpected.count = (unexpected.count || 0) + 1;
    }
  }
}

async function main() {
  const t0 = Date.now();
  process.stdout.write(`soak: ${TOTAL} requests, ${CONC} clients, dcgate pid ${pid}\n`);
  const start = sample('started');
  const admin = await adminClient();
  const cat = await flow.createCategory(admin, unique('Soak cat'));
  const workers = [];
  for (let k = 0; k < CONC; k++) {
    const w = await setupWorker(k, cat);
    w.cat = cat;
    workers.push(w);
  }
  const marks = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((f) => Math.floor(f * TOTAL));
  let warm = null;
  let errors = 0;
  await Promise.all(workers.map(async (w) => {
    while (sent < TOTAL) {
      try {
        await step(w);
      } catch (e) {
        errors++;
        if (unexpected.length < 20) unexpected.push(`worker ${w.k}: ${e.message}`);
        if (errors > 100) throw new Error('too many connection errors');
      }
      while (marks.length && sent >= marks[0]) {
        const m = marks.shift();
        const kb = sample(m === Math.floor(0.1 * TOTAL) ? 'warmed up' : 'during');
        if (warm === null) warm = kb;
      }
    }
  }));
  const secs = (Date.now() - t0) / 1000;
  const end = sample('after');
  await ops.sleep(2000);
  const idle = sample('after 2 s idle');
  if (warm === null) warm = end;
  const growth = end - warm;
  const limit = Math.max(MAX_GROWTH_KB, warm * 0.1);
  process.stdout.write(`\nrequests ${sent} in ${secs.toFixed(1)} s (${Math.round(sent / secs)}/s): pages ${counts.page}, saves ${counts.save}, tests ${counts.test} (${counts.busy} answered EBUSY: outbound.concurrency reached)\n`);
  process.stdout.write(`statuses ${JSON.stringify(statuses)}; connection errors ${errors}\n`);
  process.stdout.write(`VmRSS: started ${(start / 1024).toFixed(1)} MiB, warmed up ${(warm / 1024).toFixed(1)} MiB, after ${(end / 1024).toFixed(1)} MiB, idle ${(idle / 1024).toFixed(1)} MiB; growth after warm-up ${growth} KiB (limit ${Math.round(limit)} KiB)\n`);
  let ok = true;
  if (unexpected.count || errors) {
    ok = false;
    process.stdout.write(`FAIL: ${(unexpected.count || 0) + errors} unexpected answers, e.g.\n  ${unexpected.join('\n  ')}\n`);
  }
  if (counts.busy > 0.05 * counts.test) {
    ok = false;
    process.stdout.write(`FAIL: ${counts.busy} of ${counts.test} Tests found every outbound slot taken (a slot leak?)\n`);
  }
  if (growth > limit) {
    ok = false;
    process.stdout.write('FAIL: resident memory grew after the warm-up\n');
  }
  process.stdout.write(ok ? 'soak: ok, resident memory flat\n' : 'soak: FAILED\n');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`soak: ${e.stack || e}\n`);
  process.exit(1);
});
