// Issue #12: a check's `group`, `statusPage:` and `server.auth.statusPage` / `.badges`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runLifeline } from '../testing/cli.js';
import { ConfigError, formatProblem, parseConfig } from './load.js';
import { publicTextProblem } from './status-page.js';

const TOKEN = 'abcdefghijklmnop0123';

const FULL = `server:
  auth:
    bearer: ${TOKEN}
    statusPage: protected
    badges: public
statusPage:
  title: Acme status
  description: |
    Services of Acme.
    Times are UTC.
  groups:
    - name: Core
      checks:
        - api
        - {check: web, label: Website}
    - name: Jobs
      checks: [backup]
checks:
  - {name: api, url: "http://api:3000/healthcheck", every: 30s, group: Core services}
  - {name: web, url: "http://web:8080/", every: 30s}
  - {name: backup, url: "http://backup:8080/", every: 30s}
  - {name: internal, url: "http://internal:8080/", every: 30s}
`;

const parse = (text: string) => parseConfig(text, { file: 'lifeline.yaml', env: {} });

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error.problems.map(formatProblem);
  }
  assert.fail('the config was accepted');
}

const CHECKS = `checks:
  - {name: api, url: "http://api:3000/healthcheck", every: 30s}
  - {name: web-frontend, url: "http://web:8080/", every: 30s}
`;
/** A config whose statusPage is `page` (indented under statusPage:). */
const withPage = (page: string) => `statusPage:\n${page.replace(/^/gm, '  ')}\n${CHECKS}`;

describe('config: statusPage, group and the access of /status and badges', () => {
  it('resolves the page (labels default to the name), each check group and the access settings, frozen', () => {
    const config = parse(FULL);
    assert.deepEqual(config.statusPage, {
      title: 'Acme status',
      description: 'Services of Acme.\nTimes are UTC.\n',
      groups: [
        {
          name: 'Core',
          checks: [
            { check: 'api', label: 'api' },
            { check: 'web', label: 'Website' },
          ],
        },
        { name: 'Jobs', checks: [{ check: 'backup', label: 'backup' }] },
      ],
    });
    assert.ok(Object.isFrozen(config.statusPage?.groups[0]?.checks[1]));
    assert.deepEqual(
      config.checks.map((c) => c.group),
      ['Core services', null, null, null],
    );
    assert.equal(config.server.auth?.statusPage, 'protected');
    assert.equal(config.server.auth?.badges, 'public');
  });

  it('without statusPage there is none; /status is public and badges protected by default', () => {
    const config = parse(`server: {auth: {bearer: ${TOKEN}}}\n${CHECKS}`);
    assert.equal(config.statusPage, undefined);
    assert.equal(config.server.auth?.statusPage, 'public');
    assert.equal(config.server.auth?.badges, 'protected');
  });

  it('counts characters, not UTF-16 units: 64 emoji make a label, 65 do not', () => {
    const label = (text: string) =>
      withPage(`title: T\ngroups:\n  - name: G\n    checks: [{check: api, label: "${text}"}]`);
    assert.equal(parse(label('🚀'.repeat(64))).statusPage?.groups[0]?.checks[0]?.label, '🚀'.repeat(64));
    assert.match(problems(label('🚀'.repeat(65))).join('\n'), /label has 65 characters, over the limit of 64/);
  });

  it('a public text: printable, not blank, bounded', () => {
    const cases: [string, boolean, string | undefined][] = [
      ['Payments API', false, undefined],
      ['Zahlungen – Überweisungen ✓', false, undefined],
      ['  ', false, 'name is empty'],
      ['a\nb', false, 'name may not contain control characters, line breaks or bidirectional overrides'],
      ['a\u0007b', false, 'name may not contain control characters, line breaks or bidirectional overrides'],
      ['evil\u202egnp.exe', false, 'name may not contain control characters, line breaks or bidirectional overrides'],
      ['a\u2028b', false, 'name may not contain control characters, line breaks or bidirectional overrides'],
      ['line one\nline two\ttabbed', true, undefined],
      ['a\u0000b', true, 'name may not contain control characters (other than line breaks) or bidirectional overrides'],
    ];
    for (const [text, lines, expected] of cases) {
      assert.equal(publicTextProblem(text, 'name', 64, lines), expected, JSON.stringify(text));
    }
  });

  const bad: [string, string, RegExp[]][] = [
    [
      'an unknown check, with did-you-mean, as a name and as {check}',
      withPage('title: T\ngroups:\n  - name: Core\n    checks: [apii, {check: web-frontnd, label: Web}]'),
      [
        /^lifeline\.yaml:5:16: statusPage\.groups\[0\]\.checks\[0\]: unknown check "apii" \(did you mean "api"\?\)$/,
        /^lifeline\.yaml:5:30: statusPage\.groups\[0\]\.checks\[1\]\.check: unknown check "web-frontnd" \(did you mean "web-frontend"\?\)$/,
      ],
    ],
    [
      'an unknown check without a near name',
      withPage('title: T\ngroups:\n  - name: Core\n    checks: [database]'),
      [/statusPage\.groups\[0\]\.checks\[0\]: unknown check "database"$/],
    ],
    [
      'a check listed twice, in two groups',
      withPage(
        'title: T\ngroups:\n  - name: A\n    checks: [api]\n  - name: B\n    checks: [{check: api, label: API}]',
      ),
      [
        /^lifeline\.yaml:7:24: statusPage\.groups\[1\]\.checks\[0\]\.check: check "api" is listed twice on the status page \(first at statusPage\.groups\[0\]\.checks\[0\]\)$/,
      ],
    ],
    [
      'a group name used twice',
      withPage('title: T\ngroups:\n  - name: A\n    checks: [api]\n  - name: A\n    checks: [web-frontend]'),
      [/statusPage\.groups\[1\]\.name: duplicate group name "A" \(first used by statusPage\.groups\[0\]\)/],
    ],
    [
      'no title, no groups',
      withPage('description: about us'),
      [/statusPage\.title: title is required/, /statusPage\.groups: groups is required/],
    ],
    [
      'a title too long, an empty group list',
      withPage(`title: "${'x'.repeat(101)}"\ngroups: []`),
      [
        /statusPage\.title: title has 101 characters, over the limit of 100/,
        /statusPage\.groups: statusPage\.groups lists no group/,
      ],
    ],
    [
      'a group without name or checks, and one with an empty list',
      withPage('title: T\ngroups:\n  - {}\n  - {name: B, checks: []}'),
      [
        /statusPage\.groups\[0\]\.name: name is required/,
        /statusPage\.groups\[0\]\.checks: checks is required/,
        /statusPage\.groups\[1\]\.checks: checks lists no check/,
      ],
    ],
    [
      'an entry that is neither a name nor {check, label}; a label too long, one with a line break',
      withPage(
        `title: T\ngroups:\n  - name: G\n    checks:\n      - 42\n      - {check: api, label: "${'y'.repeat(65)}"}\n      - {check: web-frontend, label: "a\\nb"}`,
      ),
      [
        /statusPage\.groups\[0\]\.checks\[0\]: a status page entry is a check name or \{check: <name>, label: <public name>\}/,
        /statusPage\.groups\[0\]\.checks\[1\]\.label: label has 65 characters, over the limit of 64/,
        /statusPage\.groups\[0\]\.checks\[2\]\.label: label may not contain control characters/,
      ],
    ],
    [
      'misspelled keys get did-you-mean, in the page and in an entry',
      withPage('titel: T\ngroups:\n  - name: G\n    checks: [{check: api, lable: API}]'),
      [
        /^lifeline\.yaml:2:3: statusPage\.titel: unknown key "titel" \(did you mean "title"\?\)$/,
        /statusPage\.groups\[0\]\.checks\[0\]\.lable: unknown key "lable" \(did you mean "label"\?\)$/,
      ],
    ],
    [
      'a check group that is empty, too long, or has a line break',
      `checks:\n  - {name: a, url: "http://a/", every: 30s, group: ""}\n  - {name: b, url: "http://b/", every: 30s, group: "${'g'.repeat(65)}"}\n  - {name: c, url: "http://c/", every: 30s, group: "x\\ty"}\n  - {name: d, url: "http://d/", every: 30s, group: 7}`,
      [
        /checks\[0\]\.group: group is empty/,
        /checks\[1\]\.group: group has 65 characters, over the limit of 64/,
        /checks\[2\]\.group: group may not contain control characters/,
        /checks\[3\]\.group: group must be a string/,
      ],
    ],
    [
      'server.auth.statusPage and .badges take public or protected',
      `server:\n  auth:\n    bearer: ${TOKEN}\n    statusPage: open\n    badges: yes\n${CHECKS}`,
      [
        /^lifeline\.yaml:4:17: server\.auth\.statusPage: server\.auth\.statusPage is "public" .* or "protected"$/,
        /^lifeline\.yaml:5:13: server\.auth\.badges: server\.auth\.badges is "protected" .* or "public"$/,
      ],
    ],
  ];

  for (const [name, text, expected] of bad) {
    it(`refuses ${name}, saying file:line:field`, () => {
      const found = problems(text);
      for (const pattern of expected)
        assert.ok(
          found.some((p) => pattern.test(p)),
          `${pattern} not in\n${found.join('\n')}`,
        );
    });
  }

  // The real executable (bin/lifeline.js over dist/, built by `npx tsc -b tsconfig.build.json` or `npm test`).
  describe('lifeline validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-status-page-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('accepts the page and prints what it shows', async () => {
      const file = join(dir, 'good.yaml');
      writeFileSync(file, FULL);
      const run = await runLifeline(['validate', '--config', file]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(
        run.stdout
          .split('\n')
          .includes(
            '  status page "Acme status" at /status: 3 check(s) in 2 group(s): "Core": api, web as "Website"; "Jobs": backup',
          ),
        run.stdout,
      );
    });

    it('exits 2 on an unknown check, with file:line:field and did-you-mean', async () => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, withPage('title: T\ngroups:\n  - name: Core\n    checks: [apii]'));
      const run = await runLifeline(['validate', '--config', file]);
      assert.equal(run.code, 2, run.stdout);
      assert.ok(
        run.stderr
          .split('\n')
          .includes(`${file}:5:16: statusPage.groups[0].checks[0]: unknown check "apii" (did you mean "api"?)`),
        run.stderr,
      );
    });
  });
});
