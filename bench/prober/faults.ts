// The monitor under every fault at once, for minutes: does it keep running,
// does its memory stay bounded? The real `lifeline run` (compiled, its own
// process, --max-old-space-size as in a 256 MiB pod) against loopback servers
// that misbehave in each way the fault tests use, each fault checked both on
// a new connection per run and on a kept one. Writes its section of
// docs/benchmarks.md.
//   npm run bench:faults   (BENCH_FAULT_SECONDS=300)
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createFaultRoutes } from '../../packages/prober/src/testing/faults.js';
import { makeCertificates } from '../../packages/prober/src/testing/tls.js';
import { unusedPort } from '../../test/support/services.js';
import { machine, ROOT, writeSection } from '../common.js';
import { HEAP_MB, procStats } from './throughput.js';

const seconds = Number(process.env.BENCH_FAULT_SECONDS ?? 300);

const listen = (server: http.Server | https.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

const routes = createFaultRoutes();
const faults = http.createServer((req, res) => {
  // Anything but a fault route answers 503 with a failing health report.
  if (!routes.handle(req, res))
    res.writeHead(503, { 'content-type': 'application/health+json' }).end('{"status":"fail"}');
});
faults.keepAliveTimeout = 60_000;
const certs = makeCertificates();
const tlsServer = (pem: { key: string; cert: string }) =>
  https.createServer(pem, (_req, res) => res.writeHead(200).end('{"status":"pass"}'));
const servers = {
  faults,
  selfSigned: tlsServer(certs.selfSigned),
  expired: tlsServer(certs.expired),
  otherHost: tlsServer(certs.otherHost),
};
const port = {
  faults: await listen(servers.faults),
  selfSigned: await listen(servers.selfSigned),
  expired: await listen(servers.expired),
  otherHost: await listen(servers.otherHost),
  closed: await unusedPort(),
};

const body = '["[BODY].status == pass"]';
const targets: [string, string, string?][] = [
  ['slow-headers', `http://127.0.0.1:${port.faults}/slow-headers`],
  ['slow-body', `http://127.0.0.1:${port.faults}/slow-body`],
  ['reset-mid-body', `http://127.0.0.1:${port.faults}/reset-mid-body`],
  ['reset', `http://127.0.0.1:${port.faults}/reset`],
  ['ten-mb', `http://127.0.0.1:${port.faults}/ten-mb`, body],
  ['not-json', `http://127.0.0.1:${port.faults}/not-json`, body],
  ['loop', `http://127.0.0.1:${port.faults}/loop`],
  ['status-503', `http://127.0.0.1:${port.faults}/down`],
  ['self-signed', `https://localhost:${port.selfSigned}/`],
  ['expired', `https://localhost:${port.expired}/`],
  ['other-host', `https://localhost:${port.otherHost}/`],
  ['closed-port', `http://127.0.0.1:${port.closed}/`],
];
const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-faults-'));
// The test CA is trusted, so that an expired or another host's certificate is that fault, not an unknown issuer.
writeFileSync(join(dir, 'ca.pem'), certs.ca);
const lines = [`storage: ${join(dir, 'faults.db')}`, 'checks:'];
for (const [name, url, conditions] of targets) {
  for (const keepAlive of [false, true]) {
    lines.push(
      `  - name: ${name}${keepAlive ? '-kept' : ''}`,
      `    url: ${url}`,
      '    every: 100ms',
      '    timeout: 250ms',
    );
    if (conditions) lines.push(`    conditions: ${conditions}`);
    if (url.startsWith('https:')) lines.push('    caFile: ca.pem');
    if (keepAlive) lines.push('    keepAlive: true');
  }
}
const file = join(dir, 'faults.yaml');
writeFileSync(file, lines.join('\n'));

const child = spawn(
  process.execPath,
  [join(ROOT, 'packages/prober/bin/lifeline.js'), 'run', '--config', file, '--port', '0'],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } },
);
const codes = new Map<string, number>();
let results = 0;
let crashed = 0;
const stderr: string[] = [];
createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
  if (line.includes(' crashed')) crashed += 1;
  if (!line.includes('"durationMs"')) return;
  results += 1;
  const code = (JSON.parse(line) as { error?: { code: string } }).error?.code ?? 'none';
  codes.set(code, (codes.get(code) ?? 0) + 1);
});
createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => stderr.push(line));
let exitCode: number | null | undefined;
const exited = new Promise<void>((resolve) =>
  child.once('exit', (code) => {
    exitCode = code;
    resolve();
  }),
);

const rssMb = () => procStats(child.pid as number).rss / 1_048_576;
const samples: number[] = [];
for (let s = 0; s < seconds && exitCode === undefined; s++) {
  await new Promise((r) => setTimeout(r, 1_000));
  if (exitCode === undefined) samples.push(rssMb());
}
const alive = exitCode === undefined;
child.kill('SIGTERM');
await exited;
routes.close();
for (const server of Object.values(servers)) {
  server.closeAllConnections();
  server.close();
}

const tenth = Math.max(1, Math.floor(samples.length / 10));
const first = Math.max(...samples.slice(0, tenth));
const last = Math.max(...samples.slice(-tenth));
const peak = Math.max(...samples);
const perMinute: number[] = [];
for (let i = 0; i < samples.length; i += 60) perMinute.push(Math.max(...samples.slice(i, i + 60)));
const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
const result = {
  seconds,
  alive,
  exitCode,
  results,
  crashed,
  codes: Object.fromEntries(codes),
  first,
  last,
  peak,
  stderr,
};
console.log(result);

writeSection(
  'prober-faults',
  `
## lifeline prober under every fault at once

Command: \`npm run bench:faults\` (BENCH_FAULT_SECONDS=${seconds}).
Machine: ${machine()}.
The real \`lifeline run\` (\`--max-old-space-size=${HEAP_MB}\`, results in SQLite) runs ${targets.length * 2} checks \`every: 100ms\` with a 250 ms timeout, each fault once on a new connection per run and once with \`keepAlive: true\`, against loopback servers that hang before the headers, stall mid-body, reset before and during the body, send 10 MB, send HTML to a JSON condition, redirect to themselves, answer 503, present a self-signed, an expired or another host's certificate (the issuing CA is trusted through \`caFile\`), or are not listening.

| measure | value |
| --- | --- |
| still running after ${seconds} s | ${alive ? 'yes' : `**no** (exit ${exitCode})`} |
| results | ${n(results)} |
| runs that crashed, lines on stderr | ${crashed}, ${stderr.length} |
| RSS, highest in the first / last tenth of the run | ${first.toFixed(0)} / ${last.toFixed(0)} MB |
| RSS, peak | ${peak.toFixed(0)} MB |
| RSS, highest in each minute | ${perMinute.map((mb) => mb.toFixed(0)).join(', ')} MB |

Results by error class: ${[...codes]
    .sort((a, b) => b[1] - a[1])
    .map(([code, count]) => `\`${code}\` ${n(count)}`)
    .join(', ')}.
`,
);
process.exit(alive && crashed === 0 && stderr.length === 0 ? 0 : 1);
