// The benchmark target: a keep-alive HTTP server answering a small JSON body.
// Prints {"port":N} when listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = '{"status":"pass"}';
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`),
);
