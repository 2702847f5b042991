// The alerting bench's two loopback servers, each run in its own process so
// that neither shares an event loop with the monitor or the other:
//   target   — every path answers 200 {"status":"pass"}; after `fail P` every path under /P/
//              answers 503 (all at once), after `pass P` 200 again
//   receiver — the webhook receiver: answers 200 and logs each request's
//              Idempotency-Key, kind and arrival (its own clock); `down` closes
//              its port (connection refused), `up` opens the same port again, `reset`
//              forgets what it received.
// Commands arrive as lines on stdin; each is answered with one JSON line on stdout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

const role = process.argv[2];
const reply = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const failing = new Set<string>();

interface Received {
  readonly key: string;
  readonly kind: string;
  /** Date.now() when the 200 was written. */
  readonly at: number;
}
const received: Received[] = [];

const server = http.createServer((req, res) => {
  if (role === 'target') {
    const fail = failing.has(req.url?.split('/')[1] ?? '');
    const body = fail ? '{"status":"fail"}' : '{"status":"pass"}';
    res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
    return;
  }
  let size = 0;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= 1_000_000) chunks.push(c);
  });
  req.on('end', () => {
    let kind = 'unknown';
    try {
      kind =
        (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { lifeline?: { kind?: string } }).lifeline?.kind ?? kind;
    } catch {}
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    received.push({ key: String(req.headers['idempotency-key'] ?? ''), kind, at: Date.now() });
  });
});
server.keepAliveTimeout = 60_000;

let port = 0;
const listen = () =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      port = (server.address() as AddressInfo).port;
      resolve();
    });
  });

await listen();
reply({ port });
createInterface({ input: process.stdin }).on('line', async (line) => {
  try {
    const [command, prefix = ''] = line.split(' ');
    if (command === 'fail') failing.add(prefix);
    else if (command === 'pass') failing.delete(prefix);
    else if (line === 'down') {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } else if (line === 'up') await listen();
    else if (line === 'reset') received.length = 0;
    else if (line === 'log') {
      reply({ at: Date.now(), received });
      return;
    }
    reply({ ok: line, at: Date.now() });
  } catch (error) {
    reply({ error: String(error) });
  }
});
// The bench closes stdin when it is done (or dies): so do we.
process.stdin.on('end', () => process.exit(0));
