// Every error class produced by a real fault on loopback, through the same
// executeCheck the CLI uses.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError, type ConfigProblem, formatProblem, parseConfig } from '../config/load.js';
import type { ResolvedCheck } from '../config/resolved.js';
import { executeCheck } from '../execute.js';
import { createFaultRoutes, startSilentPeer } from '../testing/faults.js';
import { closedPort, startDns, startTarget, type Target } from '../testing/targets.js';
import { makeCertificates } from '../testing/tls.js';
import { createHttpProber } from './http.js';

function check(yaml: string): ResolvedCheck {
  const config = parseConfig(`checks:\n  - name: c\n    every: 10s\n${yaml.replace(/^/gm, '    ')}\n`, {
    file: 't.yaml',
    env: {},
  });
  return config.checks[0] as ResolvedCheck;
}

describe('HTTP faults on loopback', () => {
  let target: Target;
  const faults = createFaultRoutes();
  let flaky = 0;
  before(async () => {
    target = await startTarget((req, res) => {
      if (faults.handle(req, res)) return;
      switch (req.url) {
        case '/json':
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"status":"pass","items":[{"ok":true},{"ok":true}]}');
          return;
        case '/loop-a':
          res.writeHead(302, { location: '/loop-b' }).end();
          return;
        case '/loop-b':
          res.writeHead(302, { location: '/loop-a' }).end();
          return;
        case '/moved':
          res.writeHead(301, { location: '/json' }).end();
          return;
        case '/flaky':
          flaky += 1;
          if (flaky < 3) res.writeHead(503).end();
          else res.writeHead(200).end('ok');
          return;
        case '/health-warn':
          res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"warn"}');
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  after(async () => {
    faults.close();
    await target.close();
  });

  it('slow headers: timeout in ttfb', async () => {
    const r = await executeCheck(check(`url: ${target.url}/slow-headers\ntimeout: 300ms`));
    assert.deepEqual([r.ok, r.error?.code, r.error?.phase], [false, 'timeout', 'ttfb']);
  });

  it('slow body: timeout in transfer, with the status seen', async () => {
    const r = await executeCheck(check(`url: ${target.url}/slow-body\ntimeout: 300ms\nconditions: ["[BODY].a == 1"]`));
    assert.deepEqual([r.status, r.error?.code, r.error?.phase], [200, 'timeout', 'transfer']);
  });

  it('reset mid-body: reset', async () => {
    const r = await executeCheck(check(`url: ${target.url}/reset-mid-body`));
    assert.equal(r.error?.code, 'reset');
  });

  it('a 10 MB body read by a condition: body_too_large; not read: passes on status', async () => {
    const read = await executeCheck(check(`url: ${target.url}/ten-mb\nconditions: ["[BODY].status == pass"]`));
    assert.equal(read.error?.code, 'body_too_large');
    const ignored = await executeCheck(check(`url: ${target.url}/ten-mb`));
    assert.equal(ignored.ok, true);
  });

  it('invalid JSON under a [BODY] path: invalid_json', async () => {
    const r = await executeCheck(check(`url: ${target.url}/not-json\nconditions: ["[BODY].status == pass"]`));
    assert.equal(r.error?.code, 'invalid_json');
  });

  it('a redirect loop: redirect_loop; a redirect: followed', async () => {
    const loop = await executeCheck(check(`url: ${target.url}/loop-a`));
    assert.equal(loop.error?.code, 'redirect_loop');
    assert.match(loop.error?.message ?? '', /already visited/);
    const moved = await executeCheck(
      check(`url: ${target.url}/moved\nconditions: ["[STATUS] == 200", "[BODY].items[*].ok == true"]`),
    );
    assert.equal(moved.ok, true, JSON.stringify(moved));
    const notFollowed = await executeCheck(check(`url: ${target.url}/moved\nmaxRedirects: 0\nexpectStatus: 301`));
    assert.equal(notFollowed.status, 301);
    assert.equal(notFollowed.ok, true);
  });

  it('a closed port: refused', async () => {
    const r = await executeCheck(check(`url: http://127.0.0.1:${await closedPort()}/`));
    assert.deepEqual([r.status, r.error?.code], [null, 'refused']);
  });

  it('a [BODY] condition on a refused connection says there was no response', async () => {
    const r = await executeCheck(
      check(
        `url: http://127.0.0.1:${await closedPort()}/\nconditions: ["[BODY].status == pass", "[BODY] == pat(*ok*)"]`,
      ),
    );
    assert.equal(r.error?.code, 'refused');
    assert.deepEqual(
      r.conditions?.map((c) => c.condition),
      ['[BODY].status (<no response>) == pass', '[BODY] (<no response>) == pat(*ok*)'],
    );
  });

  it('a slowloris peer (status line, then headers a byte at a time): timeout in ttfb, no status', async () => {
    const peer = await startSilentPeer('headers');
    try {
      const r = await executeCheck(check(`url: http://127.0.0.1:${peer.port}/\ntimeout: 300ms`));
      assert.deepEqual([r.status, r.error?.code, r.error?.phase], [null, 'timeout', 'ttfb'], JSON.stringify(r));
      assert.match(r.error?.message ?? '', /stopped in ttfb/);
    } finally {
      await peer.close();
    }
  });

  it('a peer that accepts and sends nothing: timeout in ttfb', async () => {
    const peer = await startSilentPeer('tcp');
    try {
      const r = await executeCheck(check(`url: http://127.0.0.1:${peer.port}/\ntimeout: 300ms`));
      assert.deepEqual([r.status, r.error?.code, r.error?.phase], [null, 'timeout', 'ttfb'], JSON.stringify(r));
    } finally {
      await peer.close();
    }
  });

  it('an unknown host: dns_nxdomain, resolved through a loopback DNS server', async () => {
    const dns = await startDns({});
    try {
      const r = await executeCheck(check('url: http://no-such-service.default.svc.cluster.local:3000/'), {
        lookup: dns.lookup,
      });
      assert.equal(r.error?.code, 'dns_nxdomain');
      assert.ok(dns.queries() > 0);
    } finally {
      await dns.close();
    }
  });

  it('records every phase and the conditions with resolved values', async () => {
    const r = await executeCheck(
      check(
        `url: ${target.url.replace('127.0.0.1', 'localhost')}/json\nconditions: ["[STATUS] == 200", "[BODY].status == pass", "[RESPONSE_TIME] < 5000"]`,
      ),
    );
    assert.equal(r.ok, true);
    assert.deepEqual(Object.keys(r.phases), ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total']);
    assert.ok(r.phases.total >= r.phases.ttfb && r.phases.connect >= 0);
    assert.equal(r.phases.tls, 0);
    assert.deepEqual(r.conditions?.map((c) => c.condition).slice(0, 2), [
      '[STATUS] (200) == 200',
      '[BODY].status (pass) == pass',
    ]);
    assert.equal(r.ip, '127.0.0.1');
  });

  it('retries with backoff inside the timeout and records the attempts', async () => {
    flaky = 0;
    const r = await executeCheck(check(`url: ${target.url}/flaky\nretries: 3\ntimeout: 5s`));
    assert.deepEqual([r.ok, r.attempts], [true, 3]);
    flaky = -100;
    const exhausted = await executeCheck(check(`url: ${target.url}/flaky\nretries: 2\ntimeout: 5s`));
    assert.deepEqual([exhausted.ok, exhausted.attempts, exhausted.error?.code], [false, 3, 'http_status']);
  });

  it('expect: health marks a warn report degraded', async () => {
    const r = await executeCheck(check(`url: ${target.url}/health-warn\nexpect: health`));
    assert.deepEqual([r.ok, r.degraded], [true, true]);
  });
});

describe('peers that do not speak HTTP: protocol', () => {
  const replies: [string, string | Buffer][] = [
    ['an SSH server', 'SSH-2.0-OpenSSH_9.6\r\n'],
    ['random bytes', randomBytes(64)],
    ['an invalid header line', 'HTTP/1.1 200 OK\r\nnot a header\r\n\r\n'],
    ['an invalid status', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'],
    ['a response head past the size limit', `HTTP/1.1 200 OK\r\nx-pad: ${'a'.repeat(70_000)}\r\n\r\n`],
  ];
  for (const [name, reply] of replies) {
    it(`${name}: protocol`, async () => {
      const peer = await startSilentPeer('garbage', { reply });
      try {
        const r = await executeCheck(check(`url: http://127.0.0.1:${peer.port}/\ntimeout: 5s`));
        assert.deepEqual([r.ok, r.error?.code], [false, 'protocol'], JSON.stringify(r));
      } finally {
        await peer.close();
      }
    });
  }

  it('the message shows what the peer sent', async () => {
    const peer = await startSilentPeer('garbage', { reply: 'SSH-2.0-OpenSSH_9.6\r\n' });
    try {
      const r = await executeCheck(check(`url: http://127.0.0.1:${peer.port}/`));
      assert.match(r.error?.message ?? '', /near "SSH-2\.0-OpenSSH_9\.6\.\."/);
    } finally {
      await peer.close();
    }
  });
});

describe('TLS faults on loopback', () => {
  const certs = makeCertificates();
  const servers: https.Server[] = [];
  const ports: Record<string, number> = {};
  before(async () => {
    for (const [name, pem] of Object.entries({
      valid: certs.valid,
      expired: certs.expired,
      otherHost: certs.otherHost,
      selfSigned: certs.selfSigned,
    })) {
      const server = https.createServer({ key: pem.key, cert: pem.cert }, (_req, res) => res.writeHead(200).end('ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports[name] = (server.address() as AddressInfo).port;
    }
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const withCa = (name: string, extra = '') => {
    const c = check(`url: https://localhost:${ports[name]}/\n${extra}`);
    return { ...c, ca: certs.ca };
  };

  it('a valid certificate from a trusted CA passes, with its expiry as a condition', async () => {
    const c = {
      ...check(
        `url: https://localhost:${ports.valid}/\nconditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 48h"]`,
      ),
      ca: certs.ca,
    };
    const r = await executeCheck(c);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(r.phases.tls > 0);
  });

  it('self-signed: tls_untrusted', async () => {
    assert.equal(
      (await executeCheck(check(`url: https://localhost:${ports.selfSigned}/`))).error?.code,
      'tls_untrusted',
    );
  });

  it('expired: tls_expired', async () => {
    assert.equal((await executeCheck(withCa('expired'))).error?.code, 'tls_expired');
  });

  it('issued for another host: tls_hostname', async () => {
    assert.equal((await executeCheck(withCa('otherHost'))).error?.code, 'tls_hostname');
  });

  it('every run of a monitored check sees each TLS fault again, never a client stuck on the last one', async () => {
    // undici 7 leaves a Client stalled after ERR_TLS_CERT_ALTNAME_INVALID (nodejs/undici#5355);
    // the prober drops a client whose connection failed, so the next run connects anew.
    const http = createHttpProber();
    try {
      for (const [name, code] of [
        ['otherHost', 'tls_hostname'],
        ['expired', 'tls_expired'],
        ['selfSigned', 'tls_untrusted'],
      ] as const) {
        for (const keepAlive of [false, true]) {
          const c = { ...withCa(name, 'timeout: 1s'), keepAlive };
          const codes = [];
          for (let run = 0; run < 3; run++) codes.push((await executeCheck(c, { http })).error?.code);
          assert.deepEqual(codes, [code, code, code], `${name}, keepAlive ${keepAlive}`);
        }
      }
    } finally {
      await http.close();
    }
  });

  it('insecure: true skips verification', async () => {
    assert.equal((await executeCheck(check(`url: https://localhost:${ports.selfSigned}/\ninsecure: true`))).ok, true);
  });

  it('tls:// checks the handshake and the certificate expiry', async () => {
    const ok = await executeCheck({
      ...check(`url: tls://localhost:${ports.valid}\nconditions: ["[CERTIFICATE_EXPIRATION] > 24h"]`),
      ca: certs.ca,
    });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const expired = await executeCheck({ ...check(`url: tls://localhost:${ports.expired}`), ca: certs.ca });
    assert.equal(expired.error?.code, 'tls_expired');
  });
});

describe('tcp:// and dns:// checks', () => {
  it('tcp:// connects to an open port and is refused by a closed one', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const open = await executeCheck(
        check(`url: tcp://127.0.0.1:${port}\nconditions: ["[CONNECTED] == true", "[IP] == 127.0.0.1"]`),
      );
      assert.equal(open.ok, true, JSON.stringify(open));
      const closed = await executeCheck(check(`url: tcp://127.0.0.1:${await closedPort()}`));
      assert.equal(closed.error?.code, 'refused');
    } finally {
      server.close();
    }
  });

  it('dns:// reports answers and rcode from a real DNS server on loopback', async () => {
    const dns = await startDns({ 'api.default.svc.cluster.local': ['10.96.0.12'] });
    try {
      const found = await executeCheck(
        check(
          `url: dns://${dns.server}/api.default.svc.cluster.local?type=A\nconditions: ["[DNS_RCODE] == NOERROR", "[IP] == 10.96.0.12", "[BODY] == pat(*10.96.0.12*)"]`,
        ),
      );
      assert.equal(found.ok, true, JSON.stringify(found));
      const missing = await executeCheck(check(`url: dns://${dns.server}/nope.default.svc.cluster.local`));
      assert.equal(missing.error?.code, 'dns_nxdomain');
      const expectMissing = await executeCheck(
        check(`url: dns://${dns.server}/nope.default.svc.cluster.local\nconditions: ["[DNS_RCODE] == NXDOMAIN"]`),
      );
      assert.equal(expectMissing.ok, true);
    } finally {
      await dns.close();
    }
  });

  it('dns:// against a server that never answers: dns_timeout', async () => {
    const { createSocket } = await import('node:dgram');
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const r = await executeCheck(
        check(`url: dns://127.0.0.1:${silent.address().port}/api.default.svc.cluster.local\ntimeout: 300ms`),
      );
      assert.deepEqual([r.error?.code, r.error?.phase], ['dns_timeout', 'dns']);
    } finally {
      silent.close();
    }
  });

  it('rejects http-only fields on other schemes, with the field', () => {
    assert.throws(
      () => check('url: tcp://redis:6379\nmethod: POST'),
      (error: unknown) =>
        error instanceof ConfigError &&
        formatProblem(error.problems[0] as ConfigProblem) ===
          't.yaml:5:13: checks[0].method: method only applies to http(s) checks, not tcp://',
    );
  });
});
