import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from './config/load.js';
import { DEFAULT_REDACTED_QUERY_PARAMS, redactCheck, redactOptions, scrub, scrubUrls } from './config/redact.js';
import { startMonitor } from './main.js';
import { closedPort, startTarget, type Target } from './testing/targets.js';

const SECRETS = [
  'hunter2pass',
  'tok3nvalue',
  'b3arer-secret',
  'k3y-secret',
  'c00kie-secret',
  'custom-s3cret',
  'server-s1gnature',
  'l0cation-pass',
];

describe('redactCheck', () => {
  const options = redactOptions({ queryParams: ['X-Custom'], headers: ['x-tenant'] });
  const cases: [string, string][] = [
    ['https://user:pass@host/x?token=t0k&a=1#f', 'https://user:***@host/x?token=***&a=1#f'],
    ['https://ghp_abcdef@host/', 'https://***@host/'],
    [
      'http://host:80/?Access_Token=a&sig=b&keep=c&x-custom=d&flag',
      'http://host:80/?Access_Token=***&sig=***&keep=c&x-custom=***&flag',
    ],
    ['http://host/?a=%20b&key=%2Fsecret', 'http://host/?a=%20b&key=***'],
    ['dns:///api?type=A', 'dns:///api?type=A'],
    ['tcp://redis:6379', 'tcp://redis:6379'],
  ];
  for (const [url, shown] of cases) {
    it(`shows ${url} as ${shown}`, () => assert.equal(redactCheck(url, {}, options).displayUrl, shown));
  }

  it('collects the secret values of credential headers, raw and as the bare credential', () => {
    const { secrets } = redactCheck(
      'http://h/',
      {
        Authorization: 'Bearer abc.def',
        'X-Api-Key': 'k3y',
        'X-Auth-Token': 'tok',
        Cookie: 'sid=xyz',
        'x-tenant': 'acme-1',
        Accept: 'application/json',
      },
      options,
    );
    for (const s of ['Bearer abc.def', 'abc.def', 'k3y', 'tok', 'sid=xyz', 'acme-1']) assert.ok(secrets.includes(s), s);
    assert.ok(!secrets.includes('application/json'));
    assert.equal(scrub('GET http://h/ with Bearer abc.def failed', secrets), 'GET http://h/ with *** failed');
  });

  it('redacts credentials in URLs the config did not name (a Location in a message)', () => {
    assert.equal(
      scrubUrls('redirect back to https://u:pw@h/x?X-Amz-Signature=abc&a=1&token=t, already visited'),
      'redirect back to https://u:***@h/x?X-Amz-Signature=***&a=1&token=***, already visited',
    );
    assert.equal(scrubUrls('to http://tok@h/ and mail a@b.c?x=1'), 'to http://***@h/ and mail a@b.c?x=1');
  });

  it('has the documented default query parameters', () => {
    for (const name of ['token', 'access_token', 'api_key', 'apikey', 'key', 'password', 'secret', 'signature', 'sig'])
      assert.ok((DEFAULT_REDACTED_QUERY_PARAMS as readonly string[]).includes(name), name);
  });
});

describe('secrets in check URLs and headers never leave the monitor', () => {
  let target: Target;
  const seen: { authorization?: string; url?: string }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-redact-'));
  before(async () => {
    target = await startTarget((req, res) => {
      seen.push({
        url: req.url ?? '',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      });
      // A redirect that carries the token on: its error message would echo the URL.
      // The server's own secrets in the Location (a signature, a password) are not in the config.
      if (req.url?.startsWith('/loop'))
        res
          .writeHead(302, {
            location: `http://user:l0cation-pass@${req.headers.host}/loop?token=tok3nvalue&sig=server-s1gnature&n=${seen.length}`,
          })
          .end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"pass"}');
    });
  });
  after(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('not in a log line, an API response, /metrics or a stored row', async () => {
    const storage = join(dir, 'monitor.db');
    const host = new URL(target.url).host;
    const closed = await closedPort();
    const headers =
      '    headers:\n      Authorization: "Bearer b3arer-secret"\n      X-Api-Key: k3y-secret\n      Cookie: "session=c00kie-secret"\n      X-Custom: custom-s3cret\n';
    // Runs every 100 ms; the redirect loop has all the time it needs to end as redirect_loop, not timeout.
    const check = (name: string, url: string, timing = 'every: 100ms\n    timeout: 100ms') =>
      `  - name: ${name}\n    url: ${url}\n    ${timing}\n${headers}`;
    const config = parseConfig(
      `storage: ${storage}\nredact:\n  headers: [X-Custom]\nchecks:\n${[
        check('ok', `http://user:hunter2pass@${host}/ok?token=tok3nvalue&keep=1`),
        check(
          'loop',
          `http://user:hunter2pass@${host}/loop?api_key=tok3nvalue`,
          'every: 30s\n    timeout: 30s\n    maxRedirects: 3',
        ),
        check('refused', `http://user:hunter2pass@127.0.0.1:${closed}/?token=tok3nvalue`),
      ].join('')}`,
      { file: 'secrets.yaml', env: {} },
    );
    const out: string[] = [];
    const logger = pino(
      { base: null },
      new Writable({
        write(chunk, _enc, done) {
          out.push(String(chunk));
          done();
        },
      }),
    );
    const monitor = await startMonitor({ config, logger, port: 0 });
    const responses: string[] = [];
    try {
      const deadline = Date.now() + 10_000;
      const results = () => {
        const log = out.join('');
        return ['"check":"ok","url"', '"code":"redirect_loop"', '"code":"refused"'].every((s) => log.includes(s));
      };
      while (!results()) {
        assert.ok(Date.now() < deadline, 'a result of every check within 10 s');
        await new Promise((r) => setTimeout(r, 25));
      }
      for (const path of [
        '/api/v1/checks',
        '/api/v1/checks/ok',
        '/api/v1/checks/loop/results',
        '/api/v1/checks/refused/results',
        '/metrics',
      ]) {
        const response = await fetch(`${monitor.url}${path}`);
        responses.push(`${path} ${response.status} ${await response.text()}`);
      }
    } finally {
      await monitor.stop();
    }
    // The probe itself still sends the credentials.
    assert.ok(seen.some((s) => s.authorization === 'Bearer b3arer-secret' && s.url?.includes('token=tok3nvalue')));
    const log = out.join('');
    assert.match(log, /"url":"http:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/ok\?token=\*\*\*&keep=1"/);
    assert.match(log, /"code":"redirect_loop"/);
    assert.match(log, /"code":"refused"/);
    assert.match(responses[0] ?? '', /"url":"http:\/\/user:\*\*\*@/);
    const stored = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n');
    assert.match(stored, /user:\*\*\*@/, 'the stored rows have the redacted URL');
    for (const secret of SECRETS) {
      assert.ok(!log.includes(secret), `${secret} in a log line`);
      for (const r of responses) assert.ok(!r.includes(secret), `${secret} in ${r.slice(0, 40)}`);
      assert.ok(!stored.includes(secret), `${secret} in the SQLite file`);
    }
  });
});
