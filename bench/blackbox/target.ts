// The target of bench:blackbox: a keep-alive node:http server answering 200 with a small
// JSON body, in its own process. It counts the connections it accepts and the requests it
// answers, so the bench can show that each prober opened a new connection per probe (a
// keep-alive server would let a prober reuse one). Prints {"port":N} when listening; answers
// each "stats" line on stdin with {"connections":N,"requests":N,"cpuUs":N}; exits when stdin closes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const body = '{"status":"pass"}';
let connections = 0;
let requests = 0;
const server = http.createServer((_req, res) => {
  requests += 1;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.on('connection', () => {
  connections += 1;
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`),
);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'stats') return;
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ connections, requests, cpuUs: cpu.user + cpu.system })}\n`);
});
// The bench closes stdin when it is done (or dies): so do we.
process.stdin.on('end', () => process.exit(0));
