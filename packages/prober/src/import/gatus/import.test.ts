// `lifeline import gatus` on Gatus's own example configs and its README's examples (fixtures/README.md
// says where each comes from): the real CLI converts them, and `lifeline validate` accepts what it writes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../cli/main.js';
import { startTarget } from '../../testing/targets.js';
import { convertGatus } from './convert.js';

const BIN = new URL('../../../bin/lifeline.js', import.meta.url).pathname;
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
/** The postgres example reads these from the environment, as Lifeline does. */
const ENV = { POSTGRES_USER: 'gatus', POSTGRES_PASSWORD: 'secret', POSTGRES_DB: 'gatus' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real executable (bin/lifeline.js over dist/), bounded at 20 s. */
function lifeline(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...ENV },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same CLI in-process, for the many README examples. */
async function inProcess(args: string[]): Promise<Run> {
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

describe('lifeline import gatus, on the example configs of Gatus’s repository', () => {
  // [fixture, exit code, lines it must print]
  const cases: [string, number, RegExp[]][] = [
    ['docker-minimal.yaml', 0, []],
    ['docker-compose.yaml', 0, []],
    [
      'config.yaml',
      1,
      [
        /^not carried over: endpoints\[5\] \(icmp-ping\): icmp:\/\/ endpoints cannot be carried over: Lifeline has no ICMP/m,
        /^not carried over: endpoints\[6\] \(check-domain-expiration\)\.conditions\[0\]: "\[DOMAIN_EXPIRATION\] > 720h" is left out: Lifeline has no \[DOMAIN_EXPIRATION\] yet/m,
        /^note: endpoints\[0\] \(core\/front-end\): named "core\.front-end"/m,
      ],
    ],
    [
      'docker-compose-mattermost.yaml',
      1,
      [
        /^not carried over: alerting\.mattermost: Lifeline has no alerting yet/m,
        /^not carried over: endpoints\[0\] \(example\).alerts: 1 alert\(s\): Lifeline has no alerting yet/m,
      ],
    ],
    ['docker-compose-mtls.yaml', 1, [/^not carried over: endpoints\[0\] \(example\)\.client\.tls: .*mTLS/m]],
    ['docker-compose-postgres-storage.yaml', 1, [/icmp-ping/]],
    ['docker-compose-sqlite-storage.yaml', 1, [/icmp-ping/]],
    ['docker-compose-grafana-prometheus.yaml', 1, [/^note: metrics: Lifeline always serves \/metrics/m]],
    ['multiple-config-files', 1, [/check-if-website-is-pingable/]],
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
    await lifeline([
      'import',
      'gatus',
      '--from',
      join(FIXTURES, 'examples', 'docker-compose-postgres-storage.yaml'),
      '--out',
      out,
    ]);
    const config = parse(readFileSync(out, 'utf8'));
    assert.equal(
      config.storage,
      'postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${POSTGRES_DB}?sslmode=disable',
    );
    assert.deepEqual(config.checks[0], {
      name: 'core.back-end',
      url: 'https://example.org/',
      every: '5m',
      conditions: ['[STATUS] == 200', '[CERTIFICATE_EXPIRATION] > 48h'],
    });
    // Gatus's DNS body is one answer; Lifeline's is all of them as a JSON array.
    assert.deepEqual(config.checks[3], {
      name: 'example-dns-query',
      url: 'dns://8.8.8.8/example.com?type=A',
      every: '5m',
      conditions: ['[BODY] == pat(*"93.184.215.14"*)', '[DNS_RCODE] == NOERROR'],
    });
  });

  it('writes to stdout without --out; exit 2 for a file it cannot read or parse, and writes nothing', async () => {
    const printed = await lifeline(['import', 'gatus', '--from', join(FIXTURES, 'examples', 'docker-minimal.yaml')]);
    assert.equal(printed.code, 0);
    assert.deepEqual(parse(printed.stdout).checks, [
      { name: 'example', url: 'https://example.org', every: '30s', conditions: ['[STATUS] == 200'] },
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

describe('lifeline import gatus, on every example of Gatus’s README with endpoints', () => {
  const docs = parseAllDocuments(readFileSync(join(FIXTURES, 'readme-examples.yaml'), 'utf8'));
  it(`converts each of the ${docs.length} into a config that validates, or says why nothing could be`, async () => {
    const codes: number[] = [];
    let written = 0;
    for (const [i, doc] of docs.entries()) {
      const from = join(dir, `readme-${i}.yaml`);
      const out = join(dir, `readme-${i}.lifeline.yaml`);
      writeFileSync(from, doc.toString());
      const imported = await inProcess(['import', 'gatus', '--from', from, '--out', out]);
      codes.push(imported.code ?? -1);
      assert.notEqual(imported.code, 2, `example ${i}: ${imported.stderr}`);
      if (!existsSync(out)) {
        assert.equal(imported.code, 1);
        assert.match(imported.stderr, /nothing was written/, `example ${i}`);
        continue;
      }
      written += 1;
      const validated = await inProcess(['validate', '--config', out]);
      assert.equal(validated.code, 0, `example ${i}: ${validated.stderr}\n${readFileSync(out, 'utf8')}`);
    }
    console.log(
      `README examples: ${docs.length}; ${written} converted to a valid config (${codes.filter((c) => c === 0).length} entirely), ${docs.length - written} with nothing Lifeline can check`,
    );
    assert.ok(written >= 60, `${written} of ${docs.length}`);
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
