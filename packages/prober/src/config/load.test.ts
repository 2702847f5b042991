import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeCertificates } from '../testing/tls.js';
import { ConfigError, formatProblem, loadConfigFile, parseConfig } from './load.js';

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, { file: 'lifeline.yaml', env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.code, 'LIFELINE_ERR_CONFIG');
    return error.problems.map(formatProblem);
  }
  assert.fail('the config was accepted');
}

const SEED = `checks:
  - name: api
    url: http://api:3000/healthcheck
    schedule: "0 8 * * *"
`;

describe('parseConfig', () => {
  it('resolves the seed check with every default', () => {
    const config = parseConfig(SEED, { file: 'seed.yaml', env: {} });
    assert.deepEqual(config.checks[0], {
      name: 'api',
      url: 'http://api:3000/healthcheck',
      displayUrl: 'http://api:3000/healthcheck',
      secrets: [],
      kind: 'http',
      target: { kind: 'http' },
      schedule: { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' },
      timeoutMs: 5_000,
      method: 'GET',
      headers: {},
      expectStatus: [{ min: 200, max: 399 }],
      conditions: [],
      maxRedirects: 10,
      maxBodyBytes: 1_048_576,
      insecure: false,
      keepAlive: false,
      retries: 0,
      jitterMs: 0,
      labels: {},
      group: null,
      alerts: {
        failureThreshold: 3,
        successThreshold: 2,
        reminderMs: null,
        sendResolved: true,
        channels: [],
        severity: 'critical',
      },
    });
    assert.equal(config.storage, undefined, 'no storage unless the config says so');
    assert.deepEqual(config.server, { port: 8080 });
    assert.equal(config.source, 'seed.yaml');
  });

  it('freezes the resolved config', () => {
    const config = parseConfig(SEED, { file: 'seed.yaml', env: {} });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.checks[0]));
    assert.ok(Object.isFrozen(config.checks[0]?.schedule));
  });

  it('takes every option', () => {
    const config = parseConfig(
      `checks:
  - name: billing
    url: https://billing.payments.svc.cluster.local/readyz
    every: 30s
    timeout: 500ms
    method: HEAD
    headers: { authorization: "Bearer \${TOKEN}" }
    expectStatus: [200, "300-302"]
  - name: six-fields
    url: http://x
    schedule: "*/30 * * * * *"
    timezone: Europe/Berlin
`,
      { file: 'f.yaml', env: { TOKEN: 's3cret' } },
    );
    const [billing, six] = config.checks;
    assert.deepEqual(billing?.schedule, { kind: 'every', intervalMs: 30_000 });
    assert.equal(billing?.timeoutMs, 500);
    assert.equal(billing?.method, 'HEAD');
    assert.deepEqual(billing?.headers, { authorization: 'Bearer s3cret' });
    assert.deepEqual(billing?.expectStatus, [
      { min: 200, max: 200 },
      { min: 300, max: 302 },
    ]);
    assert.deepEqual(six?.schedule, { kind: 'cron', pattern: '*/30 * * * * *', timezone: 'Europe/Berlin' });
  });

  it('expands ${VAR}, ${VAR:-default} and keeps $${ literal', () => {
    const config = parseConfig(
      `checks:
  - name: a
    url: http://\${HOST}:\${PORT:-3000}/healthcheck?q=$\${x}
    every: 10s
`,
      { file: 'f.yaml', env: { HOST: 'api' } },
    );
    assert.equal(config.checks[0]?.url, 'http://api:3000/healthcheck?q=${x}');
  });

  it('expansion cannot change the YAML structure', () => {
    const config = parseConfig(
      `checks:
  - name: a
    url: http://api/
    every: 10s
    headers: { x: "\${V}" }
`,
      { file: 'f.yaml', env: { V: 'a: b\n- c' } },
    );
    assert.equal(config.checks[0]?.headers.x, 'a: b\n- c');
  });

  const bad: [string, string, string[]][] = [
    ['malformed YAML', 'checks:\n  - name: [a\n', ['lifeline.yaml:3:1: YAML syntax:']],
    ['an empty file', '', ['lifeline.yaml: the config is empty']],
    ['no checks', 'checks: []\n', ['lifeline.yaml:1:9: checks: checks must list at least one check']],
    [
      'unknown keys, at the key',
      `${SEED}    retry: 3\nextra: true\n`,
      ['lifeline.yaml:5:5: checks[0].retry: unknown key "retry"', 'lifeline.yaml:6:1: extra: unknown key "extra"'],
    ],
    [
      'a bad cron expression',
      SEED.replace('0 8 * * *', '61 8 * * *'),
      ['lifeline.yaml:4:15: checks[0].schedule: invalid cron expression "61 8 * * *": Invalid value for minute: 61'],
    ],
    [
      'a cron with 4 fields',
      SEED.replace('0 8 * * *', '0 8 * *'),
      ['lifeline.yaml:4:15: checks[0].schedule: invalid cron expression "0 8 * *"'],
    ],
    [
      'an unknown time zone',
      `${SEED}    timezone: Europe/Atlantis\n`,
      ['lifeline.yaml:5:15: checks[0].timezone: unknown time zone "Europe/Atlantis"'],
    ],
    [
      'a bad URL',
      SEED.replace('http://api:3000/healthcheck', 'not a url'),
      ['lifeline.yaml:3:10: checks[0].url: "not a url" is not an absolute URL'],
    ],
    [
      'a non-HTTP URL',
      SEED.replace('http://api:3000/healthcheck', 'ftp://api/x'),
      ['checks[0].url: "ftp://api/x" uses ftp:'],
    ],
    [
      'a negative timeout',
      `${SEED}    timeout: -5s\n`,
      ['lifeline.yaml:5:14: checks[0].timeout: "-5s" is not a duration: timeout must be a positive duration'],
    ],
    [
      'a numeric timeout',
      `${SEED}    timeout: 5\n`,
      ['lifeline.yaml:5:14: checks[0].timeout: timeout must be a duration string'],
    ],
    [
      'an interval below the minimum',
      SEED.replace('schedule: "0 8 * * *"', 'every: 10ms'),
      ['checks[0].every: every "10ms" is below the minimum of 100ms'],
    ],
    [
      'neither schedule nor every',
      SEED.replace('    schedule: "0 8 * * *"\n', ''),
      ['lifeline.yaml:2:5: checks[0]: a check needs either schedule (cron) or every (interval)'],
    ],
    ['both schedule and every', `${SEED}    every: 10s\n`, ['checks[0].every: schedule and every are exclusive']],
    [
      'timezone with every',
      SEED.replace('schedule: "0 8 * * *"', 'every: 10s\n    timezone: UTC'),
      ['checks[0].timezone: timezone only applies to a cron schedule'],
    ],
    ['a bad method', `${SEED}    method: FETCH\n`, ['checks[0].method: method must be one of GET, HEAD']],
    [
      'a bad status',
      `${SEED}    expectStatus: [200, 2000]\n`,
      ['lifeline.yaml:5:25: checks[0].expectStatus[1]: "2000" is not a status code'],
    ],
    [
      'a bad name',
      SEED.replace('name: api', 'name: "my api"'),
      ['checks[0].name: name must start with a letter or digit'],
    ],
    [
      'a duplicate name',
      `${SEED}${SEED.slice('checks:\n'.length)}`,
      ['lifeline.yaml:5:11: checks[1].name: duplicate check name "api" (first used by checks[0])'],
    ],
    [
      'a bad condition, naming the check and the column',
      `${SEED}    conditions:\n      - "[STATUS] == 200"\n      - "[STATUSS] == 200"\n`,
      ['lifeline.yaml:7:9: checks[0].conditions[1]: check "api": unknown placeholder [STATUSS]'],
    ],
    [
      'caFile on an http check',
      `${SEED}    caFile: ca.pem\n`,
      ['checks[0].caFile: caFile only applies to https:// and tls:// checks'],
    ],
    [
      'keepAlive on a tcp check',
      `${SEED.replace('http://api:3000/healthcheck', 'tcp://api:3000')}    keepAlive: true\n`,
      ['checks[0].keepAlive: keepAlive only applies to http(s) checks, not tcp://'],
    ],
    [
      'a missing caFile',
      `${SEED.replace('http://api', 'https://api')}    caFile: missing-ca.pem\n`,
      ['lifeline.yaml:5:13: checks[0].caFile: cannot read'],
    ],
    [
      'a tcp URL without a port',
      SEED.replace('http://api:3000/healthcheck', 'tcp://redis'),
      ['checks[0].url: "tcp://redis": a tcp URL needs a host and a port'],
    ],
    [
      'an unknown DNS record type',
      SEED.replace('http://api:3000/healthcheck', 'dns:///api?type=BOGUS'),
      ['checks[0].url: "dns:///api?type=BOGUS": unknown record type "BOGUS"'],
    ],
    [
      'an unset variable',
      SEED.replace('http://api:3000', 'http://${API_HOST}:3000'),
      ['lifeline.yaml:3:10: checks[0].url: environment variable API_HOST is not set'],
    ],
  ];
  const TCP = SEED.replace('http://api:3000/healthcheck', 'tcp://api:3000');
  const DNS = SEED.replace('http://api:3000/healthcheck', 'dns:///api');
  bad.push(
    [
      'misspelled keys, suggesting the known key (edit distance at most 2)',
      `${SEED}    retry: 3\n    Timeout: 5s\n    frobnicate: 1\nserver:\n  prot: 1\nchekcs: []\n`,
      [
        'lifeline.yaml:5:5: checks[0].retry: unknown key "retry" (did you mean "retries"?)',
        'lifeline.yaml:6:5: checks[0].Timeout: unknown key "Timeout" (did you mean "timeout"?)',
        'lifeline.yaml:7:5: checks[0].frobnicate: unknown key "frobnicate"',
        'lifeline.yaml:9:3: server.prot: unknown key "prot" (did you mean "port"?)',
        'lifeline.yaml:10:1: chekcs: unknown key "chekcs" (did you mean "checks"?)',
      ],
    ],
    [
      'a duplicate name together with the other problems',
      `${SEED}  - name: api\n    url: 42\n    every: 10s\n`,
      [
        'lifeline.yaml:5:11: checks[1].name: duplicate check name "api" (first used by checks[0])',
        'lifeline.yaml:6:10: checks[1].url: url must be a string',
      ],
    ],
    [
      'a key given twice',
      `${SEED}    schedule: "1 8 * * *"\n`,
      ['lifeline.yaml:5:5: duplicate key "schedule" in one mapping'],
    ],
    [
      'a cron expression that never runs',
      SEED.replace('0 8 * * *', '0 0 30 2 *'),
      ['lifeline.yaml:4:15: checks[0].schedule: cron expression "0 0 30 2 *" never runs'],
    ],
    [
      'conditions that cannot apply to the scheme',
      `${TCP}    conditions: ["[STATUS] == 200", "len([BODY]) > 0", "[CONNECTED] == true"]\n` +
        `  - name: web\n    url: http://web/\n    every: 10s\n    conditions: ["[CERTIFICATE_EXPIRATION] > 48h", "[DNS_RCODE] == NOERROR"]\n` +
        `  - name: ns\n    url: dns:///x\n    every: 10s\n    conditions: ["[CONNECTED] == true", "[BODY] == pat(*)", "[IP] == any(1.1.1.1)"]\n`,
      [
        'lifeline.yaml:5:18: checks[0].conditions[0]: check "api": [STATUS] does not apply to a tcp:// check (only to http://, https://)',
        'lifeline.yaml:5:37: checks[0].conditions[1]: check "api": [BODY] does not apply to a tcp:// check',
        'lifeline.yaml:9:18: checks[1].conditions[0]: check "web": [CERTIFICATE_EXPIRATION] does not apply to a http:// check (only to https://, tls://)',
        'lifeline.yaml:9:52: checks[1].conditions[1]: check "web": [DNS_RCODE] does not apply to a http:// check (only to dns://)',
        'lifeline.yaml:13:18: checks[2].conditions[0]: check "ns": [CONNECTED] does not apply to a dns:// check',
      ],
    ],
    [
      'a timeout that overflows a timer',
      `${SEED}    timeout: 25d\n`,
      ['lifeline.yaml:5:14: checks[0].timeout: timeout "25d" is above the maximum of 24d20h31m23s647ms (2147483647ms)'],
    ],
    [
      'a timeout from a variable that overflows a timer',
      `${SEED}    timeout: \${TIMEOUT:-25d}\n`,
      ['lifeline.yaml:5:14: checks[0].timeout: timeout "25d" is above the maximum'],
    ],
    [
      'every, jitter and missedRunWindow beyond a timer',
      `${SEED.replace('schedule: "0 8 * * *"', 'every: 30d\n    jitter: 25d')}scheduler:\n  missedRunWindow: 1000h\n`,
      [
        'lifeline.yaml:4:12: checks[0].every: every "30d" is above the maximum of 24d20h31m23s647ms (2147483647ms); use a cron schedule',
        'lifeline.yaml:5:13: checks[0].jitter: jitter "25d" is above the maximum',
        'lifeline.yaml:7:20: scheduler.missedRunWindow: scheduler.missedRunWindow "1000h" is above the maximum',
      ],
    ],
    [
      'a retention past ten years',
      `${SEED}retention:\n  raw: 3651d\n`,
      [
        'lifeline.yaml:6:8: retention.raw: retention "3651d" is above the maximum of 3650d (315360000000ms); write "forever"',
      ],
    ],
    [
      'a jitter longer than the interval',
      SEED.replace('schedule: "0 8 * * *"', 'every: 10s\n    jitter: 11s'),
      ['lifeline.yaml:5:13: checks[0].jitter: jitter "11s" is longer than every "10s": runs would pile up'],
    ],
    [
      'a redact section of the wrong shape',
      `${SEED}redact:\n  queryParams: token\n  header: [x]\n`,
      [
        'lifeline.yaml:6:16: redact.queryParams: redact.queryParams must be a list of names',
        'lifeline.yaml:7:3: redact.header: unknown key "header" (did you mean "headers"?)',
      ],
    ],
  );
  void DNS;

  it('accepts the longest durations a timer holds, and conditions that apply', () => {
    const config = parseConfig(
      `${SEED.replace('schedule: "0 8 * * *"', 'every: 24d20h31m23s647ms\n    timeout: 24d20h31m23s647ms\n    jitter: 24d20h31m23s647ms')}` +
        `  - name: t\n    url: tls://api:443\n    every: 10s\n    conditions: ["[CERTIFICATE_EXPIRATION] > 48h", "[CONNECTED] == true", "[RESPONSE_TIME] < 100", "[IP] == 10.0.0.1"]\n` +
        `  - name: d\n    url: dns:///api?type=A\n    every: 10s\n    conditions: ["[DNS_RCODE] == NOERROR", "len([BODY]) > 0"]\n` +
        'retention:\n  raw: 3650d\n  day: forever\n',
      { file: 'f.yaml', env: {} },
    );
    assert.equal(config.checks[0]?.timeoutMs, 2 ** 31 - 1);
    assert.equal(config.retention.rawMs, 3650 * 86_400_000);
  });

  for (const [what, text, expected] of bad) {
    it(`rejects ${what} with file, line and field`, () => {
      const found = problems(text);
      assert.equal(found.length, expected.length, `problems: ${found.join(' | ')}`);
      // Each expectation is the start of the line, or (without a location) a part of it.
      expected.forEach((part, i) => {
        const line = found[i] ?? '';
        const matches = part.startsWith('lifeline.yaml') ? line.startsWith(part) : line.includes(`: ${part}`);
        assert.ok(matches, `"${line}" should contain "${part}"`);
      });
    });
  }

  it('reports every problem at once, in file order', () => {
    const found = problems(`checks:
  - name: a
    url: nope
    schedule: "99 * * * *"
    timezone: Mars/Olympus
    timeout: -1s
  - name: a
    url: http://ok
    every: 1x
`);
    assert.deepEqual(
      found.map((p) => p.split(': ')[0]),
      [
        'lifeline.yaml:3:10',
        'lifeline.yaml:4:15',
        'lifeline.yaml:5:15',
        'lifeline.yaml:6:14',
        'lifeline.yaml:7:11',
        'lifeline.yaml:9:12',
      ],
    );
  });
});

describe('loadConfigFile', () => {
  it('names a missing file', () => {
    assert.throws(
      () => loadConfigFile('/nonexistent/lifeline.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(
          formatProblem(error.problems[0] as never),
          '/nonexistent/lifeline.yaml: cannot read the config: file not found',
        );
        return true;
      },
    );
  });

  it('refuses a caFile whose PEM does not parse, naming the file and the certificate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-config-'));
    try {
      const { ca } = makeCertificates();
      const garbage = '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n';
      const cases: [string, string, RegExp | undefined][] = [
        ['good.pem', ca, undefined],
        [
          'garbage.pem',
          garbage,
          /caFile: cannot read .*garbage\.pem: certificate 1 of 1 is not a valid PEM certificate/,
        ],
        ['second.pem', ca + garbage, /certificate 2 of 2 is not a valid PEM certificate/],
        ['unterminated.pem', ca.replace(/-----END CERTIFICATE-----\s*$/, ''), /have no -----END CERTIFICATE-----/],
        ['key.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /no PEM certificate in it/],
      ];
      for (const [name, pem, expected] of cases) {
        writeFileSync(join(dir, name), pem);
        writeFileSync(join(dir, 'c.yaml'), `${SEED.replace('http://api', 'https://api')}    caFile: ${name}\n`);
        if (expected === undefined) {
          assert.equal(loadConfigFile(join(dir, 'c.yaml'), {}).checks[0]?.ca, pem);
          continue;
        }
        assert.throws(
          () => loadConfigFile(join(dir, 'c.yaml'), {}),
          (error: unknown) => {
            assert.ok(error instanceof ConfigError);
            assert.match(formatProblem(error.problems[0] as never), expected, name);
            return true;
          },
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a file from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-config-'));
    try {
      writeFileSync(join(dir, 'c.yaml'), SEED);
      assert.equal(loadConfigFile(join(dir, 'c.yaml'), {}).checks.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads every example shipped in examples/', () => {
    const dir = new URL('../../../../examples/', import.meta.url).pathname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 2);
    for (const file of files) {
      const config = loadConfigFile(join(dir, file), {});
      assert.ok(config.checks.length > 0, file);
    }
  });

  it('documents the seed check as the Kubernetes example', () => {
    const dir = new URL('../../../../examples/', import.meta.url).pathname;
    const [check] = loadConfigFile(join(dir, 'kubernetes.yaml'), {}).checks;
    assert.equal(check?.url, 'http://api:3000/healthcheck');
    assert.deepEqual(check?.schedule, { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' });
  });
});
