// server.auth (issue #9, defect 9): validated once, with located errors that never echo a secret.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, formatProblem, parseConfig } from './load.js';

const TOKEN = 'abcdefghijklmnop0123';
const config = (auth: string) =>
  `server:\n  port: 8080\n  auth:\n${auth
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\nchecks:\n  - name: api\n    url: http://api:3000/\n    every: 10s\n`;

const problems = (text: string, env: Record<string, string> = {}) => {
  try {
    parseConfig(text, { file: 'lifeline.yaml', env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map(formatProblem);
  }
  assert.fail('the config was accepted');
};

describe('config: server.auth', () => {
  it('resolves a bearer token from ${VAR}, basic credentials, and metrics (protected by default)', () => {
    const bearer = parseConfig(config('bearer: ${LIFELINE_TOKEN}'), {
      file: 'lifeline.yaml',
      env: { LIFELINE_TOKEN: TOKEN },
    });
    assert.deepEqual(bearer.server.auth, {
      bearer: TOKEN,
      metrics: 'protected',
      statusPage: 'public',
      badges: 'protected',
    });
    assert.ok(Object.isFrozen(bearer.server.auth));
    const both = parseConfig(
      config(`bearer: ${TOKEN}\nbasic:\n  username: ops\n  password: "a long pass: phrase"\nmetrics: open`),
      { file: 'lifeline.yaml', env: {} },
    );
    assert.deepEqual(both.server.auth, {
      bearer: TOKEN,
      basic: { username: 'ops', password: 'a long pass: phrase' },
      metrics: 'open',
      statusPage: 'public',
      badges: 'protected',
    });
    const none = parseConfig(config('bearer: x').replace(/ {2}auth:\n.*\n/, ''), { file: 'l.yaml', env: {} });
    assert.equal(none.server.auth, undefined);
  });

  it('refuses empty, short and malformed secrets and says where, without echoing them', () => {
    const cases: [string, RegExp][] = [
      ['bearer: ${LIFELINE_TOKEN:-}', /lifeline.yaml:4:13: server\.auth\.bearer: .*is empty: is its variable set\?/],
      [
        'bearer: ${LIFELINE_TOKEN}',
        /lifeline.yaml:4:13: server\.auth\.bearer: environment variable LIFELINE_TOKEN is not set/,
      ],
      ['bearer: sh0rt-secret', /server\.auth\.bearer: .*too short: use at least 16 characters/],
      ['bearer: "has spaces in the token"', /may use only letters, digits and - \. _ ~ \+ \/ \(then = padding\)/],
      ['bearer: 12345', /server\.auth\.bearer: .*must be a string/],
      ['basic:\n  username: ops', /server\.auth\.basic\.password: .*is required/],
      ['basic:\n  username: "a:b"\n  password: a-long-enough-password', /username may not contain ":"/],
      ['basic:\n  username: ""\n  password: a-long-enough-password', /username is empty/],
      ['basic:\n  username: ops\n  password: tiny-pw', /server\.auth\.basic\.password: .*too short/],
      [
        'metrics: open',
        /lifeline.yaml:4:5: server\.auth: server\.auth needs bearer \(a token\), basic \(username and password\), or both/,
      ],
      [`bearer: ${TOKEN}\nmetrics: public`, /server\.auth\.metrics: .*"protected" .* or "open"/],
      [`bearer: ${TOKEN}\ntoken: x`, /server\.auth\.token: unknown key "token"/],
    ];
    for (const [auth, message] of cases) {
      const found = problems(config(auth));
      assert.ok(
        found.some((p) => message.test(p)),
        `${auth}\n${found.join('\n')}`,
      );
      for (const secret of ['sh0rt-secret', 'has spaces in the token', 'tiny-pw'])
        if (auth.includes(secret)) assert.ok(!found.join('\n').includes(secret), `${secret} is not echoed`);
    }
  });
});
