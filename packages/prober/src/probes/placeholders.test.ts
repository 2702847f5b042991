import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { checkSchema, PLACEHOLDER_SCHEMES } from '../config/schema.js';
import { parseCondition } from '../domain/conditions.js';
import { needsHeaders } from '../domain/evaluate.js';
import type { CheckResult } from '../domain/result.js';
import { executeCheck } from '../execute.js';
import { makeCheck } from '../testing/check.js';
import { startTarget, type Target } from '../testing/targets.js';
import { makeCertificates } from '../testing/tls.js';
import { probeHttp } from './http.js';

/** The value a condition saw, as the result shows it: `[TTFB] (1.23) >= 0` -> 1.23. */
function seen(result: CheckResult, index: number): string | undefined {
  return /\(([^)]*)\)/.exec(result.conditions?.[index]?.condition ?? '')?.[1];
}

describe('[DNS_TIME], [CONNECT_TIME], [TLS_TIME], [TTFB] and [HEADER].name against real servers on loopback', () => {
  let plain: Target;
  let secure: https.Server;
  let secureUrl: string;
  let ca: string;
  before(async () => {
    const respond = (_req: unknown, res: import('node:http').ServerResponse) => {
      res.setHeader('X-Version', '1.2.3');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end('{"status":"pass"}');
    };
    plain = await startTarget(respond);
    const certs = makeCertificates();
    ca = certs.ca;
    secure = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, respond);
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    secureUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await plain.close();
    secure.closeAllConnections();
    await new Promise((resolve) => secure.close(resolve));
  });

  const run = (url: string, conditions: string[], extra: { ca?: string } = {}) =>
    executeCheck(makeCheck({ name: 'placeholders', url, conditions: conditions.map(parseCondition), ...extra }));

  it('judges the phase timings of the run, in ms, as the result reports them', async () => {
    const result = await run(secureUrl, ['[DNS_TIME] == 0', '[CONNECT_TIME] >= 0', '[TLS_TIME] > 0', '[TTFB] >= 0'], {
      ca,
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    // An IP literal is not looked up; the others are the very figures of `phases`.
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => Number(seen(result, i))),
      [0, result.phases.connect, result.phases.tls, result.phases.ttfb],
    );
    assert.ok(result.phases.tls > 0);
  });

  it('fails a phase condition that does not hold, showing the value', async () => {
    const result = await run(`${plain.url}/`, ['[TTFB] < 0', '[TLS_TIME] == 0']);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.conditions?.map((c) => c.ok),
      [false, true],
    );
    assert.equal(result.conditions?.[0]?.condition, `[TTFB] (${result.phases.ttfb}) < 0`);
  });

  it('reads response headers by name in any letter case; a header sent twice is joined; an absent one is empty and fails has()', async () => {
    const result = await run(`${plain.url}/`, [
      '[HEADER].x-version == 1.2.3',
      '[HEADER].X-VERSION == pat(1.*)',
      '[HEADER].content-type == pat(application/json*)',
      '[HEADER].set-cookie == a=1, b=2',
      'has([HEADER].x-version) == true',
      'has([HEADER].x-missing) == false',
      'len([HEADER].x-missing) == 0',
      '[HEADER].x-missing != 1.2.3',
    ]);
    assert.equal(result.ok, true, JSON.stringify(result.conditions));
    const failed = await run(`${plain.url}/`, ['[HEADER].x-missing == 1.2.3', '[HEADER].x-version == 2']);
    assert.deepEqual(
      failed.conditions?.map((c) => c.condition),
      ['[HEADER].x-missing (<absent>) == 1.2.3', '[HEADER].x-version (1.2.3) == 2'],
    );
  });

  it('keeps the headers only when asked (a check with a [HEADER] condition)', async () => {
    const request = { url: `${plain.url}/`, method: 'GET', headers: {}, timeoutMs: 2_000 };
    assert.equal((await probeHttp(request)).headers, undefined);
    const kept = (await probeHttp({ ...request, readHeaders: true })).headers;
    assert.equal(kept?.['x-version'], '1.2.3');
    assert.equal(needsHeaders({ conditions: [parseCondition('[STATUS] == 200')] }), false);
    assert.equal(needsHeaders({ conditions: [parseCondition('has([Header].etag) == true')] }), true);
  });
});

describe('the new placeholders at config load', () => {
  const load = (url: string, condition: string) =>
    checkSchema.safeParse({ name: 'c', url, every: '1m', conditions: [condition] });
  const cases: [string, string, RegExp | undefined][] = [
    ['https://api/', '[TLS_TIME] < 100', undefined],
    ['tls://api:443', '[TLS_TIME] < 100', undefined],
    ['http://api/', '[TLS_TIME] < 100', /\[TLS_TIME\] does not apply to a http:\/\/ check/],
    ['tcp://api:5432', '[CONNECT_TIME] < 20', undefined],
    ['dns:///api', '[CONNECT_TIME] < 20', /does not apply to a dns:\/\/ check/],
    ['dns:///api', '[DNS_TIME] < 20', undefined],
    ['tcp://api:5432', '[TTFB] < 20', /\[TTFB\] does not apply to a tcp:\/\/ check/],
    ['http://api/', '[HEADER].etag != ""', undefined],
    ['tls://api:443', 'has([HEADER].etag) == true', /\[HEADER\] does not apply to a tls:\/\/ check/],
    ['http://api/', '[HEADER] == x', /\[HEADER\] takes a header name/],
    ['http://api/', '[HEADER].a.b == x', /\[HEADER\] takes a header name/],
    ['http://api/', '[HEADER][0] == x', /\[HEADER\] takes a header name/],
    ['http://api/', '[TTFB].x == 1', /only \[BODY\] and \[HEADER\] take a path/],
  ];
  for (const [url, condition, problem] of cases) {
    it(`${url} ${condition}: ${problem ?? 'loads'}`, () => {
      const loaded = load(url, condition);
      if (!problem) assert.equal(loaded.success, true, JSON.stringify(loaded.error?.issues));
      else assert.match(loaded.error?.issues.map((i) => i.message).join('\n') ?? 'loaded', problem);
    });
  }
});

describe('README: the table of placeholders per scheme', () => {
  it('says what PLACEHOLDER_SCHEMES enforces, for every placeholder', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const table = readme.split('| placeholder ')[1]?.split('\n\n')[0] ?? '';
    const stated: Record<string, string[]> = {};
    for (const row of table.split('\n').slice(2)) {
      const [names, schemes] = row.split('|').slice(1, 3);
      const list = schemes?.trim() === 'all' ? ['http', 'https', 'tcp', 'tls', 'dns'] : (schemes ?? '').split(',');
      for (const [, name] of (names ?? '').matchAll(/`\[([A-Z_]+)\]/g))
        stated[name as string] = list.map((s) => s.trim());
    }
    const enforced = Object.fromEntries(Object.entries(PLACEHOLDER_SCHEMES).map(([k, v]) => [k, [...v].sort()]));
    for (const k of Object.keys(stated)) stated[k]?.sort();
    assert.deepEqual(stated, enforced);
  });
});
