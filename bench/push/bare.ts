// The comparison for bench:push: a bare node:http handler that answers every
// request with the exact headers and JSON body the monitor gave one ping
// (argv[2], JSON { headers, body }), after reading the request. Prints {"port":N}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const { headers, body } = JSON.parse(process.argv[2] ?? '{}') as { headers: Record<string, string>; body: string };
const bytes = Buffer.from(body);
const server = http.createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    res.writeHead(200, { ...headers, 'content-length': String(bytes.length) });
    res.end(bytes);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
