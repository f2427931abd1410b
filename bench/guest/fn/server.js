// SPDX-License-Identifier: GPL-2.0
// vmmerge benchmark function server, node stack (runs inside the guest).
//   GET /hello?name=X   small HTTP handler: JSON greeting
//   GET /prime?n=N      CPU-bound: count primes below N by trial division
//   GET /fill?mb=M      data-heavy: keep M MiB of unique random bytes alive
//   SIGUSR2             an invocation without a client (`fn poke`): the
//                       prime handler with n from /tmp/fn-poke-n, its reply
//                       kept among the last 16, the count in /tmp/fn-poked
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const heap = [];
const replies = [];
let poked = 0;

function primes(n) {
  let count = 0;
  for (let k = 2; k < n; k++) {
    let prime = true;
    for (let d = 2; d * d <= k; d++) {
      if (k % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  return count;
}

if (process.argv[2] === 'call') {
  // The client side of the loopback request, in the same runtime.
  http.get({ host: '127.0.0.1', port: 8080, path: process.argv[3] }, (res) => {
    res.pipe(process.stdout);
    res.on('end', () => { process.exitCode = res.statusCode === 200 ? 0 : 1; });
  }).on('error', (e) => { console.error(e.message); process.exitCode = 1; });
} else http.createServer((req, res) => {
  const u = new URL(req.url, 'http://localhost');
  let body;
  if (u.pathname === '/hello') {
    body = { greeting: 'hello ' + (u.searchParams.get('name') || 'world'), runtime: 'node' };
  } else if (u.pathname === '/prime') {
    const n = parseInt(u.searchParams.get('n') || '10000', 10);
    body = { n, primes: primes(n) };
  } else if (u.pathname === '/fill') {
    const mb = parseInt(u.searchParams.get('mb') || '16', 10);
    for (let i = 0; i < mb; i++) heap.push(crypto.randomBytes(1 << 20));
    body = { heap_mb: heap.length };
  } else {
    res.writeHead(404); res.end(); return;
  }
  const data = JSON.stringify(body) + '\n';
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}).listen(8080, '127.0.0.1', () => {
  // One invocation as the /prime handler serves it, with no client
  // process (a client's start costs seconds under nested TCG).
  process.on('SIGUSR2', () => {
    let n = 2000;
    try { n = parseInt(fs.readFileSync('/tmp/fn-poke-n', 'utf8'), 10) || 2000; } catch (e) { }
    replies.push(JSON.stringify({ n, primes: primes(n), seq: poked }));
    if (replies.length > 16) replies.shift();
    poked++;
    fs.writeFileSync('/tmp/fn-poked.tmp', String(poked));
    fs.renameSync('/tmp/fn-poked.tmp', '/tmp/fn-poked');
  });
  fs.writeFileSync('/tmp/fn-ready', String(process.pid));
});
