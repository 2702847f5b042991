import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ALERT_POLICY } from '../domain/alerts.js';
import { runLifeline } from '../testing/cli.js';
import { ConfigError, formatProblem, parseConfig } from './load.js';

const ENV = {
  WEBHOOK_SECRET: 'whsec-0123456789abcdef',
  PD_KEY: 'R0UT1NGKEY0123456789abcdefABCDEF',
  SMTP_PASS: 'smtp-pa55word',
};
const SECRETS = [...Object.values(ENV), 'XXXXSLACKTOKEN'];

/** The example of issue #10, as users write it. */
const FULL = `alerting:
  externalUrl: http://lifeline-monitor:8080/
  defaults: {failureThreshold: 3, successThreshold: 2, reminder: 1h, sendResolved: true, severity: critical, channels: [oncall]}
  channels:
    - name: oncall
      type: webhook
      url: http://receiver.example:9000/hook
      secret: \${WEBHOOK_SECRET}
      headers: {X-Team: sre}
      timeout: 10s
      concurrency: 4
      maxAttempts: 10
    - {name: am, type: alertmanager, url: http://alertmanager.monitoring:9093}
    - {name: chat, type: slack, url: https://hooks.slack.com/services/T0/B0/XXXXSLACKTOKEN}
    - {name: pd, type: pagerduty, routingKey: "\${PD_KEY}"}
    - {name: mail, type: email, url: "smtp://user:\${SMTP_PASS}@smtp.example:587", from: "Lifeline <lifeline@example.com>", to: [sre@example.com]}
maintenance:
  - name: nightly-db
    schedule: "0 2 * * *"
    duration: 30m
    timezone: Europe/Berlin
    checks: [api]
  - name: weekly
    schedule: "0 4 * * 0"
    duration: 2h
checks:
  - name: api
    url: http://api:3000/healthcheck
    every: 30s
    labels: {team: payments}
    alerts: {failureThreshold: 2, successThreshold: 1, reminder: 30m, sendResolved: false, severity: warning, channels: [oncall]}
  - name: web
    url: http://web:8080/
    every: 30s
`;

function parse(text: string, env: Record<string, string> = ENV) {
  return parseConfig(text, { file: 'lifeline.yaml', env });
}

function problems(text: string, env: Record<string, string> = ENV): string[] {
  try {
    parse(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.code, 'LIFELINE_ERR_CONFIG');
    const lines = error.problems.map(formatProblem);
    for (const secret of SECRETS) {
      assert.ok(!error.message.includes(secret), `the error shows a secret: ${error.message}`);
    }
    return lines;
  }
  assert.fail('the config was accepted');
}

/** A minimal valid config with one check; `alerting` and `extra` go before `checks:`, `check` lines inside the check. */
function config({ alerting = '', extra = '', check = '' }: { alerting?: string; extra?: string; check?: string }) {
  return `${alerting ? `alerting:\n${alerting}` : ''}${extra}checks:\n  - name: api\n    url: http://api:3000/healthcheck\n    every: 30s\n${check}`;
}

describe('alerting config', () => {
  it('parses and resolves the full example', () => {
    const resolved = parse(FULL);
    assert.deepEqual(resolved.alerting, {
      externalUrl: 'http://lifeline-monitor:8080',
      defaults: {
        failureThreshold: 3,
        successThreshold: 2,
        reminderMs: 3_600_000,
        sendResolved: true,
        channels: ['oncall'],
        severity: 'critical',
      },
      channels: [
        {
          name: 'oncall',
          type: 'webhook',
          url: 'http://receiver.example:9000/hook',
          secret: ENV.WEBHOOK_SECRET,
          headers: { 'X-Team': 'sre' },
          timeoutMs: 10_000,
          concurrency: 4,
          maxAttempts: 10,
          displayUrl: 'http://receiver.example:9000/hook',
          secrets: [ENV.WEBHOOK_SECRET],
        },
        {
          name: 'am',
          type: 'alertmanager',
          url: 'http://alertmanager.monitoring:9093',
          headers: {},
          timeoutMs: 10_000,
          concurrency: 4,
          maxAttempts: 10,
          displayUrl: 'http://alertmanager.monitoring:9093',
          secrets: [],
        },
        {
          name: 'chat',
          type: 'slack',
          url: 'https://hooks.slack.com/services/T0/B0/XXXXSLACKTOKEN',
          timeoutMs: 10_000,
          concurrency: 4,
          maxAttempts: 10,
          displayUrl: 'https://hooks.slack.com/services/***',
          secrets: ['T0/B0/XXXXSLACKTOKEN', 'XXXXSLACKTOKEN'],
        },
        {
          name: 'pd',
          type: 'pagerduty',
          url: 'https://events.pagerduty.com/v2/enqueue',
          routingKey: ENV.PD_KEY,
          timeoutMs: 10_000,
          concurrency: 4,
          maxAttempts: 10,
          displayUrl: 'https://events.pagerduty.com/v2/enqueue',
          secrets: [ENV.PD_KEY],
        },
        {
          name: 'mail',
          type: 'email',
          url: `smtp://user:${ENV.SMTP_PASS}@smtp.example:587`,
          from: 'Lifeline <lifeline@example.com>',
          to: ['sre@example.com'],
          timeoutMs: 10_000,
          concurrency: 4,
          maxAttempts: 10,
          displayUrl: 'smtp://user:***@smtp.example:587',
          secrets: [ENV.SMTP_PASS],
        },
      ],
    });
    assert.deepEqual(resolved.maintenance, [
      {
        name: 'nightly-db',
        schedule: { pattern: '0 2 * * *', timezone: 'Europe/Berlin' },
        durationMs: 1_800_000,
        checks: ['api'],
      },
      { name: 'weekly', schedule: { pattern: '0 4 * * 0', timezone: 'UTC' }, durationMs: 7_200_000, checks: null },
    ]);
    const [api, web] = resolved.checks;
    assert.deepEqual(api?.labels, { team: 'payments' });
    assert.deepEqual(api?.alerts, {
      failureThreshold: 2,
      successThreshold: 1,
      reminderMs: 1_800_000,
      sendResolved: false,
      channels: ['oncall'],
      severity: 'warning',
    });
    assert.deepEqual(web?.labels, {});
    assert.deepEqual(web?.alerts, resolved.alerting.defaults, 'a check without alerts: takes alerting.defaults');
    assert.ok(Object.isFrozen(resolved.alerting.channels[0]));
    assert.ok(Object.isFrozen(resolved.maintenance[0]?.checks));
  });

  it('without alerting or maintenance: no channel, the default policy, no window', () => {
    const resolved = parse(config({}));
    assert.deepEqual(resolved.alerting, { channels: [], defaults: DEFAULT_ALERT_POLICY });
    assert.deepEqual(resolved.maintenance, []);
    assert.deepEqual(resolved.checks[0]?.alerts, DEFAULT_ALERT_POLICY);
    assert.deepEqual(resolved.checks[0]?.labels, {});
  });

  const CHANNELS =
    '  channels:\n    - {name: oncall, type: webhook, url: http://r:9000/}\n    - {name: am, type: alertmanager, url: http://am:9093}\n';
  const merging: [string, { alerting?: string; check?: string }, Partial<typeof DEFAULT_ALERT_POLICY>][] = [
    ['nothing given: the built-in policy', {}, DEFAULT_ALERT_POLICY],
    [
      'defaults only',
      { alerting: `${CHANNELS}  defaults: {failureThreshold: 5, reminder: 2h, channels: [oncall]}\n` },
      { ...DEFAULT_ALERT_POLICY, failureThreshold: 5, reminderMs: 7_200_000, channels: ['oncall'] },
    ],
    [
      "the check's fields override the defaults' one by one",
      {
        alerting: `${CHANNELS}  defaults: {failureThreshold: 5, severity: error, channels: [oncall]}\n`,
        check: '    alerts: {successThreshold: 4}\n',
      },
      { ...DEFAULT_ALERT_POLICY, failureThreshold: 5, successThreshold: 4, severity: 'error', channels: ['oncall'] },
    ],
    [
      "a check's channels replace the defaults' list",
      { alerting: `${CHANNELS}  defaults: {channels: [oncall]}\n`, check: '    alerts: {channels: [am]}\n' },
      { ...DEFAULT_ALERT_POLICY, channels: ['am'] },
    ],
    [
      'an empty channel list notifies nobody',
      { alerting: `${CHANNELS}  defaults: {channels: [oncall]}\n`, check: '    alerts: {channels: []}\n' },
      { ...DEFAULT_ALERT_POLICY, channels: [] },
    ],
    [
      'reminder off in the check turns off the defaults reminder',
      { alerting: '  defaults: {reminder: 1h}\n', check: '    alerts: {reminder: "off"}\n' },
      DEFAULT_ALERT_POLICY,
    ],
    [
      'thresholds as digit strings (from variables)',
      { check: '    alerts: {failureThreshold: "7", successThreshold: "${OK_AFTER}"}\n' },
      { ...DEFAULT_ALERT_POLICY, failureThreshold: 7, successThreshold: 9 },
    ],
  ];
  for (const [name, parts, expected] of merging) {
    it(`merges the policy: ${name}`, () => {
      const resolved = parse(config(parts), { ...ENV, OK_AFTER: '9' });
      assert.deepEqual(resolved.checks[0]?.alerts, expected);
    });
  }

  it('channel defaults and values from variables', () => {
    const resolved = parse(
      config({
        alerting:
          '  channels:\n    - {name: a, type: alertmanager, url: "${AM_URL}", timeout: 2m, concurrency: "${C}", maxAttempts: 100}\n    - {name: m, type: email, url: smtps://smtp.example:465, from: a@example.com, to: b@example.com}\n',
      }),
      { AM_URL: 'https://am.example:9093', C: '64' },
    );
    const [am, mail] = resolved.alerting.channels;
    assert.equal(am?.url, 'https://am.example:9093');
    assert.equal(am?.timeoutMs, 120_000);
    assert.equal(am?.concurrency, 64);
    assert.equal(am?.maxAttempts, 100);
    assert.equal(mail?.type === 'email' && mail.to.join(), 'b@example.com', 'one address becomes a list of one');
  });

  it('redacts secret query values and credential headers of webhook and alertmanager URLs', () => {
    const resolved = parse(
      config({
        alerting:
          '  channels:\n    - name: w\n      type: webhook\n      url: "https://u:pw-secret@r.example/hook?token=tok-secret&x=1"\n      headers: {Authorization: "Bearer hdr-secret-value"}\n',
      }),
    );
    const [w] = resolved.alerting.channels;
    assert.equal(w?.displayUrl, 'https://u:***@r.example/hook?token=***&x=1');
    for (const secret of ['pw-secret', 'tok-secret', 'hdr-secret-value'])
      assert.ok(w?.secrets.includes(secret), secret);
  });

  it('redacts the whole path of a Slack-compatible URL without /services/', () => {
    const resolved = parse(
      config({ alerting: '  channels:\n    - {name: mm, type: slack, url: "http://chat.example/hooks/abcdef123"}\n' }),
    );
    assert.equal(resolved.alerting.channels[0]?.displayUrl, 'http://chat.example/***');
    assert.ok(resolved.alerting.channels[0]?.secrets.includes('hooks/abcdef123'));
  });

  const ch = (channels: string) => config({ alerting: `  channels:\n${channels}` });
  const bad: [string, string, string[]][] = [
    [
      'an unknown channel in a check, with did-you-mean',
      config({
        alerting:
          '  channels:\n    - {name: oncall, type: webhook, url: http://r/}\n    - {name: am, type: alertmanager, url: http://am:9093}\n',
        check: '    alerts:\n      channels: [am, oncal]\n',
      }),
      [
        'lifeline.yaml:10:22: checks[0].alerts.channels[1]: unknown channel "oncal" (channels: oncall, am); did you mean "oncall"?',
      ],
    ],
    [
      'an unknown channel in the defaults, none configured',
      config({ alerting: '  defaults:\n    channels: [pager]\n' }),
      [
        'lifeline.yaml:3:16: alerting.defaults.channels[0]: unknown channel "pager" (no channels are configured: add them under alerting.channels)',
      ],
    ],
    [
      'a channel without its url',
      ch('    - name: oncall\n      type: webhook\n'),
      ['lifeline.yaml:3:7: alerting.channels[0]: url is required for a webhook channel'],
    ],
    [
      'a pagerduty channel without a routing key, an email channel without from and to',
      ch('    - {name: pd, type: pagerduty}\n    - {name: m, type: email, url: "smtp://h:25"}\n'),
      [
        'lifeline.yaml:3:7: alerting.channels[0]: routingKey is required for a pagerduty channel',
        'lifeline.yaml:4:7: alerting.channels[1]: from is required for an email channel',
        'lifeline.yaml:4:7: alerting.channels[1]: to is required for an email channel',
      ],
    ],
    [
      'an unknown type',
      ch('    - {name: x, type: teams, url: "http://t/"}\n'),
      [
        'lifeline.yaml:3:23: alerting.channels[0].type: unknown channel type "teams" (use alertmanager, webhook, slack, pagerduty or email)',
      ],
    ],
    [
      'a duplicate channel name',
      ch(
        '    - {name: a, type: slack, url: "https://h/services/x/y/z"}\n    - {name: a, type: slack, url: "https://h/services/x/y/w"}\n',
      ),
      [
        'lifeline.yaml:4:14: alerting.channels[1].name: duplicate channel name "a" (first used by alerting.channels[0])',
      ],
    ],
    [
      'a key of another type, a misspelled key',
      ch('    - {name: s, type: slack, url: "https://h/services/a/b/c", secret: "${WEBHOOK_SECRET}", maxAttempt: 3}\n'),
      [
        'lifeline.yaml:3:71: alerting.channels[0].secret: secret does not apply to a slack channel (only to webhook)',
        'lifeline.yaml:3:92: alerting.channels[0].maxAttempt: unknown key "maxAttempt" (did you mean "maxAttempts"?)',
      ],
    ],
    [
      'a url of the wrong scheme, not echoing it',
      ch('    - {name: m, type: email, url: "https://u:${SMTP_PASS}@h/", from: a@b, to: c@d}\n'),
      ["lifeline.yaml:3:35: alerting.channels[0].url: an email channel's url must use smtp: or smtps:, not https:"],
    ],
    [
      'a url that does not parse, not echoing it',
      ch('    - {name: w, type: webhook, url: "not a url ${SMTP_PASS}"}\n'),
      ['lifeline.yaml:3:37: alerting.channels[0].url: url is not an absolute URL'],
    ],
    [
      'a webhook secret too short, not echoing it',
      ch('    - {name: w, type: webhook, url: "http://r/", secret: "${SHORT}"}\n'),
      ['lifeline.yaml:3:58: alerting.channels[0].secret: secret is too short: use at least 16 characters'],
    ],
    [
      'a routing key with a space, not echoing it',
      ch('    - {name: pd, type: pagerduty, routingKey: "${PD_KEY} x"}\n'),
      ['lifeline.yaml:3:47: alerting.channels[0].routingKey: routingKey must be the 32-character integration key'],
    ],
    [
      'an email to with a line break',
      ch(
        '    - name: m\n      type: email\n      url: smtp://h:25\n      from: a@example.com\n      to: ["sre@example.com\\nBcc: all@example.com"]\n',
      ),
      [
        'lifeline.yaml:7:12: alerting.channels[0].to[0]: to: "sre@example.com\\nBcc: all@example.com" is not an email address',
      ],
    ],
    [
      'an email from with two @ and a to list that is empty',
      ch('    - {name: m, type: email, url: "smtp://h:25", from: "a@b@c", to: []}\n'),
      [
        'lifeline.yaml:3:56: alerting.channels[0].from: from: "a@b@c" is not an email address',
        'lifeline.yaml:3:69: alerting.channels[0].to: to must list at least one address',
      ],
    ],
    [
      'a header with a line break, timeout, concurrency and maxAttempts out of range',
      ch(
        '    - name: w\n      type: webhook\n      url: http://r/\n      headers: {X-A: "a\\r\\nX-B: b"}\n      timeout: 3m\n      concurrency: 65\n      maxAttempts: 0\n',
      ),
      [
        'lifeline.yaml:6:22: alerting.channels[0].headers.X-A: the value of header "X-A" has a line break or NUL',
        'lifeline.yaml:7:16: alerting.channels[0].timeout: timeout "3m" is above the maximum of 2m (120000ms)',
        'lifeline.yaml:8:20: alerting.channels[0].concurrency: concurrency must be a whole number from 1 to 64',
        'lifeline.yaml:9:20: alerting.channels[0].maxAttempts: maxAttempts must be a whole number from 1 to 100',
      ],
    ],
    [
      'a bad reminder duration, and one too short',
      config({ alerting: '  defaults: {reminder: soon}\n', check: '    alerts: {reminder: 30s}\n' }),
      [
        'lifeline.yaml:2:24: alerting.defaults.reminder: "soon" is not a duration: reminder is a duration such as "1h", or "off"',
        'lifeline.yaml:7:24: checks[0].alerts.reminder: reminder "30s" is below the minimum of 1m',
      ],
    ],
    [
      'a severity not in the set, thresholds out of range',
      config({ check: '    alerts: {severity: page, failureThreshold: 0, successThreshold: 1001}\n' }),
      [
        'lifeline.yaml:5:24: checks[0].alerts.severity: severity must be one of critical, error, warning, info',
        'lifeline.yaml:5:48: checks[0].alerts.failureThreshold: failureThreshold must be a whole number from 1 to 1000',
        'lifeline.yaml:5:69: checks[0].alerts.successThreshold: successThreshold must be a whole number from 1 to 1000',
      ],
    ],
    [
      'bad label names, a reserved label, a number value',
      config({ check: '    labels: {team-name: a, __meta: b, severity: c, tier: 1}\n' }),
      [
        'lifeline.yaml:5:25: checks[0].labels.team-name: label name "team-name" must match ^[a-zA-Z_][a-zA-Z0-9_]*$',
        'lifeline.yaml:5:36: checks[0].labels.__meta: label name "__meta" may not start with "__"',
        'lifeline.yaml:5:49: checks[0].labels.severity: label "severity" is set by Lifeline on every alert',
        'lifeline.yaml:5:58: checks[0].labels.tier: label values must be strings',
      ],
    ],
    [
      'a label value over 1024 characters',
      config({ check: `    labels: {team: ${'x'.repeat(1025)}}\n` }),
      [
        'lifeline.yaml:5:20: checks[0].labels.team: label "team" has a value of 1025 characters, over the limit of 1024',
      ],
    ],
    [
      'a maintenance window with a bad cron, an unknown check, a bad duration',
      config({
        extra:
          'maintenance:\n  - name: w\n    schedule: "61 2 * * *"\n    duration: forever\n    checks: [api, apii]\n  - name: w\n    schedule: "0 2 * * *"\n    duration: 8d\n    timezone: Mars/Olympus\n',
      }),
      [
        'lifeline.yaml:3:15: maintenance[0].schedule: invalid cron expression "61 2 * * *"',
        'lifeline.yaml:4:15: maintenance[0].duration: "forever" is not a duration',
        'lifeline.yaml:5:19: maintenance[0].checks[1]: unknown check "apii" (did you mean "api"?)',
        'lifeline.yaml:6:11: maintenance[1].name: duplicate maintenance window name "w" (first used by maintenance[0])',
        'lifeline.yaml:8:15: maintenance[1].duration: duration "8d" is above the maximum of 7d (604800000ms)',
        'lifeline.yaml:9:15: maintenance[1].timezone: unknown time zone "Mars/Olympus"',
      ],
    ],
    [
      'a maintenance window without schedule and duration, with an empty checks list',
      config({ extra: 'maintenance:\n  - {name: w, checks: []}\n' }),
      [
        'lifeline.yaml:2:5: maintenance[0].schedule: schedule is required',
        'lifeline.yaml:2:5: maintenance[0].duration: duration is required',
        'lifeline.yaml:2:23: maintenance[0].checks: checks lists no check: leave it out to cover every check',
      ],
    ],
    [
      'a maintenance window shorter than a minute',
      config({ extra: 'maintenance:\n  - {name: w, schedule: "0 2 * * *", duration: 30s}\n' }),
      ['lifeline.yaml:2:48: maintenance[0].duration: duration "30s" is below the minimum of 60000ms'],
    ],
    [
      'sections of the wrong shape',
      config({
        alerting: '  channels: [oncall]\n  defaults: null\n',
        extra: 'maintenance: {}\n',
        check: '    alerts: {channels: oncall}\n    labels: [a]\n',
      }),
      [
        'lifeline.yaml:2:14: alerting.channels[0]: a channel is a mapping with name, type and the settings of its type',
        'lifeline.yaml:3:13: alerting.defaults: alerting.defaults takes failureThreshold, successThreshold',
        'lifeline.yaml:4:14: maintenance: maintenance must be a list of windows',
        'lifeline.yaml:9:24: checks[0].alerts.channels: channels must be a list of names',
        'lifeline.yaml:10:13: checks[0].labels: labels must be a mapping of label names to values',
      ],
    ],
    [
      'an externalUrl that is not http(s), an unknown alerting key',
      config({ alerting: '  externalUrl: ftp://x/\n  channel: []\n' }),
      [
        'lifeline.yaml:2:16: alerting.externalUrl: alerting.externalUrl must be an http(s) URL',
        'lifeline.yaml:3:3: alerting.channel: unknown key "channel" (did you mean "channels"?)',
      ],
    ],
  ];
  for (const [name, text, expected] of bad) {
    it(`rejects ${name} with file, line and field`, () => {
      const found = problems(text, { ...ENV, SHORT: 'too-short' });
      assert.equal(found.length, expected.length, found.join('\n'));
      expected.forEach((line, i) => {
        assert.ok(found[i]?.startsWith(line), `expected\n  ${line}\ngot\n  ${found.join('\n  ')}`);
      });
      assert.ok(!found.join('\n').includes('too-short'), 'a short secret is not echoed either');
    });
  }

  it('cross-reference problems come with the schema problems', () => {
    const found = problems(
      config({ alerting: '  defaults: {channels: [x], severity: loud}\n', check: '    labels: {check: a}\n' }),
    );
    assert.equal(found.length, 3, found.join('\n'));
  });

  it('no error message echoes a channel secret, whatever is wrong around it', () => {
    const text = FULL.replace('maxAttempts: 10', 'maxAttempts: many')
      .replace('http://alertmanager.monitoring:9093', '"ftp://u:${SMTP_PASS}@am/"')
      .replace('routingKey: "${PD_KEY}"', 'routingKey: "${PD_KEY} ${PD_KEY}"')
      .replace('url: https://hooks.slack.com/', 'url: smtp://hooks.slack.com/')
      .replace('secret: ${WEBHOOK_SECRET}', 'secret: "${WEBHOOK_SECRET}${WEBHOOK_SECRET}"')
      .replace('type: webhook', 'type: slack');
    const found = problems(text);
    assert.ok(found.length >= 4, found.join('\n'));
  });

  // The real executable (bin/lifeline.js over dist/, built by `npx tsc -b tsconfig.build.json` or `npm test`).
  describe('lifeline validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-alerting-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
      mkdirSync(join(dir, name));
      const path = join(dir, name, 'lifeline.yaml');
      writeFileSync(path, text);
      return path;
    };
    const env = { ...ENV, SHORT: 'too-short' };

    it('accepts the full example and prints no channel secret', async () => {
      const run = await runLifeline(['validate', '--config', write('full', FULL)], { env });
      assert.equal(run.code, 0, run.stderr);
      for (const secret of SECRETS) assert.ok(!`${run.stdout}${run.stderr}`.includes(secret), run.stdout);
    });

    bad.forEach(([name, text, expected], index) => {
      it(`exits 2 and prints file:line:field: ${name}`, async () => {
        const file = write(`bad-${index}`, text);
        const run = await runLifeline(['validate', '--config', file], { env });
        assert.equal(run.code, 2, run.stdout);
        const lines = run.stderr.split('\n');
        for (const line of expected) {
          const want = line.startsWith('lifeline.yaml') ? line.replace('lifeline.yaml', file) : line;
          assert.ok(
            lines.some((l) => l.startsWith(want) || (!line.startsWith('lifeline.yaml') && l.includes(want))),
            `expected ${want} in\n${run.stderr}`,
          );
        }
        for (const secret of [...SECRETS, 'too-short']) assert.ok(!run.stderr.includes(secret), run.stderr);
      });
    });
  });
});
