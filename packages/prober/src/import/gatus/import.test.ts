// `lifeline import gatus` on configs in Gatus's format, written for these tests (fixtures/README.md), one
// for each kind of setting: the real CLI converts them, and `lifeline validate` accepts what it writes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { main } from '../../cli/main.js';
import { type CliRun, runLifeline } from '../../testing/cli.js';
import { startTarget } from '../../testing/targets.js';
import { convertGatus } from './convert.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
/** The postgres example reads these from the environment, as Lifeline does. */
const ENV = { PGUSER: 'gatus', PGPASSWORD: 'secret', PGDATABASE: 'gatus' };

/** The real executable, with the variables the postgres example reads. */
const lifeline = (args: string[]) => runLifeline(args, { env: ENV });

/** The same CLI in-process, for the many README examples. */
async function inProcess(args: string[]): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, env: ENV, signals: { on: () => process, off: () => process } });
  return { code, stdout: out, stderr: err };
}

const dir = mkdtempSync(join(tmpdir(), 'lifeline-import-gatus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('lifeline import gatus, on a Gatus config of each kind', () => {
  // [fixture, exit code, lines it must print]
  const cases: [string, number, RegExp[]][] = [
    ['minimal.yaml', 0, []],
    ['grouped.yaml', 0, [/^note: endpoints\[0\] \(payments\/orders\): named "payments\.orders"/m]],
    [
      'mixed.yaml',
      1,
      [
        /^not carried over: endpoints\[2\] \(gateway-ping\): icmp:\/\/ endpoints cannot be carried over: Lifeline has no ICMP/m,
        /^not carried over: endpoints\[3\] \(domain-renewal\)\.conditions\[0\]: "\[DOMAIN_EXPIRATION\] > 720h" is left out: Lifeline has no \[DOMAIN_EXPIRATION\] yet/m,
        /^note: endpoints\[0\] \(shop\/catalog\): named "shop\.catalog"/m,
      ],
    ],
    [
      'alerts.yaml',
      1,
      [
        /^not carried over: alerting\.slack: Lifeline has no alerting yet/m,
        /^not carried over: endpoints\[0\] \(billing\).alerts: 1 alert\(s\): Lifeline has no alerting yet/m,
      ],
    ],
    ['client-cert.yaml', 1, [/^not carried over: endpoints\[0\] \(internal-api\)\.client\.tls: .*mTLS/m]],
    ['postgres-storage.yaml', 1, [/edge-ping/]],
    ['sqlite-storage.yaml', 1, [/web-ping/]],
    ['metrics-ui.yaml', 1, [/^note: metrics: Lifeline always serves \/metrics/m, /^not carried over: ui: /m]],
    ['split', 1, [/office-router-ping/, /^note: endpoints\[0\] \(frontend\/landing-page\)/m]],
  ];
  for (const [fixture, code, lines] of cases) {
    it(`${fixture}: exit ${code}, and the config it writes validates`, async () => {
      const out = join(dir, `${fixture}.lifeline.yaml`);
      const imported = await lifeline(['import', 'gatus', '--from', join(FIXTURES, 'examples', fixture), '--out', out]);
      assert.equal(imported.code, code, imported.stderr);
      for (const line of lines) assert.match(imported.stderr, line);
      const dropped = imported.stderr.split('\n').filter((l) => l.startsWith('not carried over:')).length;
      assert.equal(dropped > 0, code === 1, 'exit 1 exactly when a line says something was not carried over');
      const validated = await lifeline(['validate', '--config', out]);
      assert.equal(validated.code, 0, validated.stderr);
    });
  }

  it('carries over what Lifeline has: group, interval, conditions, storage, a DNS query', async () => {
    const out = join(dir, 'postgres.lifeline.yaml');
    await lifeline(['import', 'gatus', '--from', join(FIXTURES, 'examples', 'postgres-storage.yaml'), '--out', out]);
    const config = parse(readFileSync(out, 'utf8'));
    assert.equal(
      config.storage,
      'postgres://${PGUSER}:${PGPASSWORD}@db.example.test:5432/${PGDATABASE}?sslmode=disable',
    );
    assert.deepEqual(config.checks[0], {
      name: 'edge.api',
      url: 'https://api.example.test/',
      every: '5m',
      conditions: ['[STATUS] == 200', '[CERTIFICATE_EXPIRATION] > 48h'],
    });
    // Gatus's DNS body is one answer; Lifeline's is all of them as a JSON array.
    assert.deepEqual(config.checks[1], {
      name: 'records',
      url: 'dns://192.0.2.53/api.example.test?type=A',
      every: '5m',
      conditions: ['[BODY] == pat(*"192.0.2.10"*)', '[DNS_RCODE] == NOERROR'],
    });
    assert.equal(config.checks.length, 2, 'the icmp endpoint is not carried over');
  });

  it('writes to stdout without --out; exit 2 for a file it cannot read or parse, and writes nothing', async () => {
    const printed = await lifeline(['import', 'gatus', '--from', join(FIXTURES, 'examples', 'minimal.yaml')]);
    assert.equal(printed.code, 0);
    assert.deepEqual(parse(printed.stdout).checks, [
      { name: 'storefront', url: 'https://shop.example.test', every: '30s', conditions: ['[STATUS] == 200'] },
    ]);
    const missing = await lifeline(['import', 'gatus', '--from', join(dir, 'nope.yaml'), '--out', join(dir, 'x.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^lifeline import gatus: cannot read .*nope\.yaml: ENOENT/m);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'endpoints:\n  - name: [unclosed\n');
    const broken = await lifeline(['import', 'gatus', '--from', bad, '--out', join(dir, 'y.yaml')]);
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /bad\.yaml:\d+:\d+: not YAML/);
    assert.equal(existsSync(join(dir, 'x.yaml')) || existsSync(join(dir, 'y.yaml')), false);
  });
});

describe('an imported Gatus config, run by lifeline check --once against a server on loopback', () => {
  it('passes where Gatus would pass, and fails where Gatus would fail', async () => {
    const target = await startTarget((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        req.url === '/items' ? '[{"id": 1}, {"id": 2}, {"id": 3}]' : '{"status": "UP", "user": {"name": "john"}}',
      );
    });
    try {
      const gatus = join(dir, 'loopback-gatus.yaml');
      writeFileSync(
        gatus,
        [
          'endpoints:',
          '  - name: health',
          '    group: core',
          `    url: "${target.url}/health"`,
          '    interval: 30s',
          '    conditions:',
          '      - "[status] == 200"',
          '      - "any(200, 429) == [STATUS]"',
          '      - "[BODY].status == UP"',
          '      - "len([BODY].user) == 15"',
          '      - "[BODY] == pat(*john*)"',
          '  - name: items',
          `    url: "${target.url}/items"`,
          '    conditions:',
          '      - "len([BODY]) == 3"',
          '      - "[BODY][0].id == 1"',
          '  - name: wrong',
          `    url: "${target.url}/health"`,
          '    conditions:',
          '      - "[BODY].status == DOWN"',
          '',
        ].join('\n'),
      );
      const out = join(dir, 'loopback-lifeline.yaml');
      const imported = await lifeline(['import', 'gatus', '--from', gatus, '--out', out]);
      assert.equal(imported.code, 0, imported.stderr);
      const checked = await lifeline(['check', '--once', '--config', out]);
      assert.equal(checked.code, 1, 'the check meant to fail fails');
      const results = checked.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { check: string; ok: boolean });
      assert.deepEqual(
        results.map((r) => [r.check, r.ok]),
        [
          ['core.health', true],
          ['items', true],
          ['wrong', false],
        ],
      );
    } finally {
      await target.close();
    }
  });
});

describe('lifeline import gatus, on one small config for each setting Gatus documents', () => {
  // Documents are separated by `---`; each opens with a comment line that names it.
  const docs = readFileSync(join(FIXTURES, 'format-examples.yaml'), 'utf8').split(/^---$/m);
  // What each document must come to: a config that validates (0 all carried over, 1 with lines
  // saying what was not), or nothing Lifeline can check (null: nothing written, exit 1).
  const expected: Record<string, 0 | 1 | null> = {
    'an http endpoint with headers and a JSON body condition': 0,
    'a POST with a body that names the endpoint': 0,
    'a GraphQL query': 0,
    'conditions with len, any and pat': 0,
    'a tcp endpoint': 0,
    'a tls endpoint with a certificate condition': 0,
    'a DNS query against a given server': 0,
    'client settings: timeout, insecure, ignore-redirect': 0,
    'a custom DNS resolver for the client': 1,
    'a disabled endpoint next to an enabled one': 1,
    'an ssh endpoint': null,
    'a udp endpoint': null,
    'an icmp endpoint': null,
    'a starttls endpoint': null,
    'external endpoints, pushed to by a job': null,
    "alerting providers and an endpoint's alerts": 1,
    "a maintenance window and the web server's address": 1,
    'a condition Lifeline cannot evaluate yet next to one it can': 1,
  };
  it('converts each as expected, and every config it writes validates', async () => {
    const seen: string[] = [];
    for (const [i, doc] of docs.entries()) {
      const title = /^# (.*)$/m.exec(doc)?.[1] ?? `document ${i}`;
      seen.push(title);
      const from = join(dir, `format-${i}.yaml`);
      const out = join(dir, `format-${i}.lifeline.yaml`);
      writeFileSync(from, doc);
      const imported = await inProcess(['import', 'gatus', '--from', from, '--out', out]);
      const want = expected[title];
      if (want === null) {
        assert.equal(imported.code, 1, `${title}: ${imported.stderr}`);
        assert.match(imported.stderr, /nothing was written/, title);
        assert.equal(existsSync(out), false, title);
        continue;
      }
      assert.equal(imported.code, want, `${title}: ${imported.stderr}`);
      const validated = await inProcess(['validate', '--config', out]);
      assert.equal(validated.code, 0, `${title}: ${validated.stderr}\n${readFileSync(out, 'utf8')}`);
    }
    assert.deepEqual(seen, Object.keys(expected), 'one document for each expectation, in order');
  });
});

describe('convertGatus', () => {
  it('carries method, headers, a GraphQL body, timeout, insecure, ignore-redirect; resolves [ENDPOINT_NAME] in a body', () => {
    const { config, notes } = convertGatus({
      endpoints: [
        {
          name: 'graph QL',
          group: 'api',
          url: 'https://api.test/graphql',
          method: 'post',
          graphql: true,
          body: '{ user(id: "[ENDPOINT_NAME]") { id } }',
          headers: { Authorization: 'Bearer ${TOKEN}' },
          client: { timeout: '3s', insecure: true, 'ignore-redirect': true },
          conditions: ['[status] == 200', 'any(200, 204) == [STATUS]'],
        },
      ],
    });
    assert.deepEqual(config.checks, [
      {
        name: 'api.graph-QL',
        url: 'https://api.test/graphql',
        every: '60s',
        method: 'POST',
        headers: { 'content-type': 'application/json', Authorization: 'Bearer ${TOKEN}' },
        body: '{"query":"{ user(id: \\"graph QL\\") { id } }"}',
        conditions: ['[status] == 200', 'any(200, 204) == [STATUS]'],
        timeout: '3s',
        insecure: true,
        maxRedirects: 0,
      },
    ]);
    assert.equal(notes.filter((n) => n.dropped).length, 0);
  });

  it('drops with a line each: disabled endpoints, a body Lifeline cannot fill in, external endpoints, alerting providers', () => {
    const { config, notes } = convertGatus({
      alerting: { slack: { 'webhook-url': 'x' }, pagerduty: { 'integration-key': 'y' } },
      'external-endpoints': [{ name: 'ext-1', token: 't' }],
      endpoints: [
        { name: 'off', enabled: false, url: 'https://a.test' },
        { name: 'random', url: 'https://a.test', body: 'id=[RANDOM_STRING_8]' },
        { name: 'ok', url: 'tcp://db:5432', conditions: ['[CONNECTED] == true', '[STATUS] == 200'] },
        { name: 'ok', url: 'tls://db:5432', client: { insecure: true }, interval: '10ms' },
      ],
    });
    assert.deepEqual(
      notes.filter((n) => n.dropped).map((n) => n.where),
      [
        'alerting.slack',
        'alerting.pagerduty',
        'external-endpoints[0] (ext-1)',
        'endpoints[0] (off)',
        'endpoints[1] (random).body',
        'endpoints[2] (ok).conditions[1]',
        'endpoints[3] (ok)',
      ],
    );
    assert.match(
      notes.find((n) => n.where === 'endpoints[3] (ok)' && n.dropped)?.message ?? '',
      /every "10ms" is below the minimum/,
    );
    assert.deepEqual(config.checks, [
      { name: 'ok', url: 'tcp://db:5432', every: '60s', conditions: ['[CONNECTED] == true'] },
    ]);
  });

  it('keeps a check whose URL or condition takes ${VAR}s from the environment, as Lifeline expands them at load', () => {
    const { config, notes } = convertGatus({
      endpoints: [{ name: 'env', url: 'https://${API_HOST}:${API_PORT}/health', conditions: ['[STATUS] == ${CODE}'] }],
    });
    assert.deepEqual(notes, []);
    assert.deepEqual(config.checks[0]?.conditions, ['[STATUS] == ${CODE}']);
  });

  it('keeps names unique, and says nothing was convertible rather than write an empty config', () => {
    const { config } = convertGatus({
      endpoints: [
        { name: 'a b', url: 'http://x.test' },
        { name: 'a  b', url: 'http://x.test' },
      ],
    });
    assert.deepEqual(
      config.checks.map((c) => c.name),
      ['a-b', 'a-b-2'],
    );
    assert.equal(convertGatus({ 'external-endpoints': [{ name: 'e' }] }).config.checks.length, 0);
  });
});
