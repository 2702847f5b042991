// certificateExpiresAt in results (issue #12): every run whose TLS handshake
// completed says when the peer certificate expires, read from the socket once
// per connection; a real TLS server on loopback with a certificate made here.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../config/load.js';
import type { ResolvedCheck } from '../config/resolved.js';
import { executeCheck } from '../execute.js';
import { startTarget, type Target } from '../testing/targets.js';
import { makeServerCertificate } from '../testing/tls.js';
import { createHttpProber } from './http.js';

const DAY = 86_400_000;
/** X.509 keeps whole seconds. */
const NOT_AFTER = new Date(Math.floor((Date.now() + 30 * DAY) / 1000) * 1000);

function check(yaml: string, ca: string): ResolvedCheck {
  const config = parseConfig(`checks:\n  - name: c\n    every: 10s\n${yaml.replace(/^/gm, '    ')}\n`, {
    file: 't.yaml',
    env: {},
  });
  return { ...(config.checks[0] as ResolvedCheck), ca };
}

describe('certificate expiry in results', () => {
  const pem = makeServerCertificate(NOT_AFTER);
  let server: https.Server;
  let port = 0;
  let handshakes = 0;
  let plain: Target;
  before(async () => {
    server = https.createServer({ key: pem.key, cert: pem.cert }, (req, res) => {
      if (req.url === '/to-plain') res.writeHead(302, { location: `${plain.url}/` }).end();
      else res.writeHead(200).end('ok');
    });
    server.on('secureConnection', () => {
      handshakes += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    plain = await startTarget((_req, res) => res.writeHead(200).end('ok'));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await plain.close();
  });

  it('an https:// run carries the notAfter of the certificate it saw, and [CERTIFICATE_EXPIRATION] still reads it', async () => {
    const r = await executeCheck(
      check(
        `url: https://localhost:${port}/\nconditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 696h"]`,
        pem.ca,
      ),
    );
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.certificateExpiresAt, NOT_AFTER.toISOString());
  });

  it('a tls:// run carries it too', async () => {
    const r = await executeCheck(check(`url: tls://localhost:${port}`, pem.ca));
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.certificateExpiresAt, NOT_AFTER.toISOString());
  });

  it('a run on a kept connection (no handshake of its own) carries the certificate of that connection', async () => {
    const http = createHttpProber();
    try {
      const c = { ...check(`url: https://localhost:${port}/`, pem.ca), keepAlive: true };
      const before = handshakes;
      const first = await executeCheck(c, { http });
      const second = await executeCheck(c, { http });
      assert.equal(handshakes - before, 1, 'the second run reused the connection');
      assert.equal(second.phases.tls, 0);
      assert.deepEqual(
        [first.certificateExpiresAt, second.certificateExpiresAt],
        [NOT_AFTER.toISOString(), NOT_AFTER.toISOString()],
      );
    } finally {
      await http.close();
    }
  });

  it('a run without TLS has none, nor does one redirected from https:// to http:// (the final response counts)', async () => {
    const http = await executeCheck(check(`url: ${plain.url}/`, pem.ca));
    assert.equal(http.ok, true, JSON.stringify(http));
    assert.ok(!('certificateExpiresAt' in http));
    const redirected = await executeCheck(check(`url: https://localhost:${port}/to-plain`, pem.ca));
    assert.deepEqual([redirected.ok, redirected.status], [true, 200], JSON.stringify(redirected));
    assert.ok(!('certificateExpiresAt' in redirected));
  });
});
