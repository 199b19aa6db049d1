// A data source that takes its time: every request is answered after DELAY ms (keep-alive),
// with a small JSON body. Usage: node slow-upstream.js PORT DELAY_MS
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const delay = Number(process.argv[3] || 200);
const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
const server = http.createServer((req, res) => {
  req.resume();
  setTimeout(() => {
    res.setHeader('Content-Type', 'application/json');
    res.end(body);
  }, delay);
});
server.keepAliveTimeout = 65000;
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
