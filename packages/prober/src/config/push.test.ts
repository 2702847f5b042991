import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PUSH_THRESHOLDS } from './alerting-resolve.js';
import { ConfigError, formatProblem, parseConfig } from './load.js';
import { shortestCronGap } from './push.js';

/** The token of every config here: no message may carry it. */
const TOKEN = 'seed-job-token-0123456789abcdef';
const ENV = { SEED_JOB_TOKEN: TOKEN };

const EXAMPLE = `checks:
  - name: seed-job
    type: push
    schedule: "0 8 * * *"
    timezone: UTC
    grace: 10m
    maxRunTime: 30m
    token: \${SEED_JOB_TOKEN}
    labels: { team: data }
    alerts: { channels: [oncall] }
alerting:
  channels:
    - name: oncall
      type: alertmanager
      url: http://alertmanager:9093
`;

const parse = (text: string) => parseConfig(text, { file: 'lifeline.yaml', env: ENV });

/** Every problem of a config that must be refused, formatted as `file:line:column: field: message`. */
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    const lines = error.problems.map(formatProblem);
    for (const line of lines) assert.ok(!line.includes(TOKEN), `the token leaked: ${line}`);
    assert.ok(!error.lines().join('\n').includes(TOKEN));
    return lines;
  }
  assert.fail('the config was accepted');
}

/** A push check with `extra` lines (each indented as a field of the check). */
function push(extra: string, schedule = 'every: 1h'): string {
  return `checks:\n  - name: job\n    type: push\n    ${schedule}\n    token: \${SEED_JOB_TOKEN}\n${extra}`;
}

/** The 1-based line of the first `key:` in the text. */
function lineOf(text: string, key: string): number {
  const index = text.split('\n').findIndex((line) => new RegExp(`^\\s*(- )?${key}:`).test(line));
  assert.ok(index >= 0, `no ${key}: in the config`);
  return index + 1;
}

describe('push checks (type: push)', () => {
  it('resolves the example: kind push, push settings, /api/v1/push/<name>, the token as its one secret', () => {
    const config = parse(EXAMPLE);
    assert.deepEqual(config.checks[0], {
      name: 'seed-job',
      url: 'push:seed-job',
      displayUrl: '/api/v1/push/seed-job',
      secrets: [TOKEN],
      kind: 'push',
      target: { kind: 'push' },
      push: { graceMs: 600_000, maxRunTimeMs: 1_800_000, token: TOKEN },
      schedule: { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' },
      timeoutMs: 600_000,
      method: 'GET',
      headers: {},
      conditions: [],
      maxRedirects: 0,
      maxBodyBytes: 0,
      insecure: false,
      keepAlive: false,
      retries: 0,
      jitterMs: 0,
      labels: { team: 'data' },
      group: null,
      alerts: {
        failureThreshold: 1,
        successThreshold: 1,
        reminderMs: null,
        sendResolved: true,
        channels: ['oncall'],
        severity: 'critical',
      },
    });
    assert.ok(Object.isFrozen(config.checks[0]?.push));
  });

  it('defaults: grace 5m, no maxRunTime; a config of push checks only resolves', () => {
    const config = parse(push('', 'every: 1h'));
    assert.equal(config.checks.length, 1);
    assert.deepEqual(config.checks[0]?.push, { graceMs: 300_000, maxRunTimeMs: null, token: TOKEN });
    assert.deepEqual(config.checks[0]?.schedule, { kind: 'every', intervalMs: 3_600_000 });
    assert.equal(config.checks[0]?.timeoutMs, 300_000);
    assert.equal(config.checks[0]?.expectStatus, undefined);
    assert.equal(config.checks[0]?.body, undefined);
  });

  const policies: {
    name: string;
    defaults?: string;
    alerts?: string;
    push: [number, number];
    probed: [number, number];
  }[] = [
    { name: 'nothing set: push 1/1, probed 3/2', push: [1, 1], probed: [3, 2] },
    {
      name: "the check's alerts win",
      alerts: '{ failureThreshold: 2, successThreshold: 3 }',
      push: [2, 3],
      probed: [3, 2],
    },
    {
      name: "the check's alerts win, one threshold at a time",
      alerts: '{ failureThreshold: 2 }',
      push: [2, 1],
      probed: [3, 2],
    },
    {
      name: 'alerting.defaults win',
      defaults: '{ failureThreshold: 4, successThreshold: 5 }',
      push: [4, 5],
      probed: [4, 5],
    },
    {
      name: 'alerting.defaults win, one threshold at a time',
      defaults: '{ successThreshold: 2 }',
      push: [1, 2],
      probed: [3, 2],
    },
    {
      name: "the check's alerts over alerting.defaults",
      defaults: '{ failureThreshold: 4 }',
      alerts: '{ failureThreshold: 6 }',
      push: [6, 1],
      probed: [4, 2],
    },
  ];
  for (const c of policies) {
    it(`alert thresholds: ${c.name}`, () => {
      const text = `${push(c.alerts ? `    alerts: ${c.alerts}\n` : '')}  - name: api
    url: http://api/
    every: 1m
${c.defaults ? `alerting:\n  defaults: ${c.defaults}\n` : ''}`;
      const [job, api] = parse(text).checks;
      assert.deepEqual([job?.alerts.failureThreshold, job?.alerts.successThreshold], c.push);
      assert.deepEqual([api?.alerts.failureThreshold, api?.alerts.successThreshold], c.probed);
    });
  }
  it('PUSH_THRESHOLDS are 1 and 1', () =>
    assert.deepEqual({ ...PUSH_THRESHOLDS }, { failureThreshold: 1, successThreshold: 1 }));

  const valid: { name: string; text: string; graceMs: number }[] = [
    {
      name: 'a 6-field cron every 5 s with grace 2s',
      text: push('    grace: 2s\n', 'schedule: "*/5 * * * * *"'),
      graceMs: 2_000,
    },
    { name: 'every 1m with grace 59s', text: push('    grace: 59s\n', 'every: 1m'), graceMs: 59_000 },
    {
      name: 'a daily cron in a DST zone with grace 12h',
      text: push('    grace: 12h\n    timezone: Europe/Berlin\n', 'schedule: "0 8 * * *"'),
      graceMs: 43_200_000,
    },
    { name: 'maxRunTime 1s', text: push('    maxRunTime: 1s\n'), graceMs: 300_000 },
  ];
  for (const c of valid) {
    it(`accepts ${c.name}`, () => assert.equal(parse(c.text).checks[0]?.push?.graceMs, c.graceMs));
  }

  const PROBE_FIELDS: [string, string][] = [
    ['url', 'http://api/'],
    ['method', 'GET'],
    ['headers', '{ x-a: b }'],
    ['body', 'hello'],
    ['expectStatus', '200'],
    ['conditions', '["[STATUS] == 200"]'],
    ['expect', 'health'],
    ['maxRedirects', '1'],
    ['maxBodyBytes', '100'],
    ['insecure', 'true'],
    ['keepAlive', 'false'],
    ['caFile', 'ca.pem'],
    ['retries', '1'],
    ['jitter', '1s'],
    ['timeout', '1s'],
  ];
  for (const [key, value] of PROBE_FIELDS) {
    it(`refuses ${key} on a push check, at that field`, () => {
      const text = push(`    ${key}: ${value}\n`);
      // A problem of conditions names its check (load.ts withCheckName).
      const named = key === 'conditions' ? 'check "job": ' : '';
      assert.deepEqual(problems(text), [
        `lifeline.yaml:${lineOf(text, key)}:${key.length + 7}: checks[0].${key}: ${named}${key} does not apply to a push check (type: push): the job pings the monitor`,
      ]);
    });
  }

  const bad: { name: string; text: string; key: string; message: RegExp; field?: string }[] = [
    {
      name: 'a push check without token',
      text: 'checks:\n  - name: job\n    type: push\n    every: 1h\n',
      key: 'name',
      field: 'token',
      message: /token is required for a push check: the job sends it as "Authorization: Bearer <token>"/,
    },
    {
      name: 'a short token',
      text: 'checks:\n  - name: job\n    type: push\n    every: 1h\n    token: seed-job-token\n',
      key: 'token',
      message: /token is too short: use at least 16 characters/,
    },
    {
      name: 'a token a bearer header cannot carry',
      text: `checks:\n  - name: job\n    type: push\n    every: 1h\n    token: "${TOKEN} x"\n`,
      key: 'token',
      message: /token may use only letters, digits and/,
    },
    {
      name: 'an empty token (its variable unset, with a default of nothing)',
      text: 'checks:\n  - name: job\n    type: push\n    every: 1h\n    token: ${NOPE:-}\n',
      key: 'token',
      message: /token is empty: is its variable set\?/,
    },
    {
      name: 'grace as long as every',
      text: push('    grace: 1h\n'),
      key: 'grace',
      message: /^grace "1h" is not shorter than every "1h": two runs would be pending at once/,
    },
    {
      name: 'the default grace (5m) as long as every',
      text: push('', 'every: 2m'),
      key: 'every',
      message: /^grace 5m \(the default\) is not shorter than every "2m"/,
    },
    {
      name: 'grace as long as the cron gap',
      text: push('    grace: 5m\n', 'schedule: "*/5 * * * *"'),
      key: 'grace',
      message:
        /^grace "5m" is not shorter than 5m, the shortest gap between two runs of cron "\*\/5 \* \* \* \*" \(UTC\): two runs would be pending at once; make grace shorter than 5m$/,
    },
    {
      name: 'grace longer than the shortest of uneven cron gaps',
      text: push('    grace: 2h\n    timezone: Europe/Berlin\n', 'schedule: "0 8,9 * * *"'),
      key: 'grace',
      message:
        /^grace "2h" is not shorter than 1h, the shortest gap between two runs of cron "0 8,9 \* \* \*" \(Europe\/Berlin\)/,
    },
    {
      name: 'the default grace against an every-minute cron',
      text: push('', 'schedule: "* * * * *"'),
      key: 'schedule',
      message: /^grace 5m \(the default\) is not shorter than 1m/,
    },
    {
      name: 'grace "0s"',
      text: push('    grace: 0s\n'),
      key: 'grace',
      message: /grace "0s" is below the minimum of 1000ms/,
    },
    { name: 'grace "soon"', text: push('    grace: soon\n'), key: 'grace', message: /"soon" is not a duration: grace/ },
    {
      name: 'maxRunTime "0s"',
      text: push('    maxRunTime: 0s\n'),
      key: 'maxRunTime',
      message: /maxRunTime "0s" is below the minimum/,
    },
    {
      name: 'maxRunTime "later"',
      text: push('    maxRunTime: later\n'),
      key: 'maxRunTime',
      message: /"later" is not a duration: maxRunTime/,
    },
    {
      name: 'maxRunTime past what a timer holds',
      text: push('    maxRunTime: 30d\n'),
      key: 'maxRunTime',
      message: /maxRunTime "30d" is above the maximum of 24d/,
    },
    {
      name: 'maxRunTime as a number',
      text: push('    maxRunTime: 30\n'),
      key: 'maxRunTime',
      message: /maxRunTime must be a duration string/,
    },
    {
      name: 'an unknown type',
      text: push('').replace('type: push', 'type: job'),
      key: 'type',
      message: /^type takes one value: push \(a job that pings the monitor\); leave type out for a probed check$/,
    },
    {
      name: 'type: http',
      text: 'checks:\n  - name: api\n    type: http\n    url: http://api/\n    every: 1m\n',
      key: 'type',
      message: /^type "http": leave type out for a probed check; its URL says what is probed/,
    },
    {
      name: 'a probed check with grace',
      text: 'checks:\n  - name: api\n    url: http://api/\n    every: 1m\n    grace: 10s\n',
      key: 'grace',
      message: /^grace only applies to a push check \(type: push\)$/,
    },
    {
      name: 'a probed check with maxRunTime',
      text: 'checks:\n  - name: api\n    url: http://api/\n    every: 1m\n    maxRunTime: 10s\n',
      key: 'maxRunTime',
      message: /^maxRunTime only applies to a push check \(type: push\)$/,
    },
    {
      name: 'a probed check with token',
      text: `checks:\n  - name: api\n    url: http://api/\n    every: 1m\n    token: \${SEED_JOB_TOKEN}\n`,
      key: 'token',
      message: /^token only applies to a push check \(type: push\)$/,
    },
    {
      name: 'a check with neither url nor type',
      text: 'checks:\n  - name: api\n    every: 1m\n',
      key: 'name',
      field: 'url',
      message: /^url is required \(or type: push for a job that pings the monitor\)$/,
    },
    {
      name: 'a misspelt push field',
      text: push('    grce: 10s\n'),
      key: 'grce',
      message: /^unknown key "grce" \(did you mean "grace"\?\)$/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, at file:line:field, without the token`, () => {
      const found = problems(c.text);
      assert.equal(found.length, 1, found.join('\n'));
      const match = /^lifeline\.yaml:(\d+):\d+: checks\[0\]\.(\w+): (.*)$/.exec(found[0] as string);
      assert.ok(match, found[0]);
      assert.equal(Number(match[1]), lineOf(c.text, c.key), found[0]);
      assert.equal(match[2], c.field ?? c.key);
      assert.match(match[3] as string, c.message);
    });
  }

  it('reports a push check with probe fields, no token and a bad grace all at once', () => {
    const text =
      'checks:\n  - name: job\n    type: push\n    url: http://api/\n    every: 1m\n    grace: 1m\n    retries: 2\n';
    const found = problems(text);
    assert.equal(found.length, 4, found.join('\n'));
    assert.match(found.join('\n'), /checks\[0\]\.token: token is required/);
    assert.match(found.join('\n'), /checks\[0\]\.url: url does not apply/);
    assert.match(found.join('\n'), /checks\[0\]\.retries: retries does not apply/);
    assert.match(found.join('\n'), /checks\[0\]\.grace: grace "1m" is not shorter than every "1m"/);
  });

  it('shortestCronGap: croner in the zone, DST days included', () => {
    const from = new Date('2026-03-20T00:00:00Z');
    // 01:00 and 03:00 Berlin: 2h apart, but 1h on 29 March when 02:00 does not exist.
    assert.equal(shortestCronGap('0 1,3 * * *', 'Europe/Berlin', from), 3_600_000);
    assert.equal(shortestCronGap('0 1,3 * * *', 'UTC', from), 7_200_000);
    assert.equal(shortestCronGap('*/5 * * * * *', 'UTC', from), 5_000);
    assert.equal(shortestCronGap('not a cron', 'UTC', from), undefined);
  });
});
