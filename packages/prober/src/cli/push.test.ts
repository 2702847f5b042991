import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/resolved.js';
import { nextRunTimes } from '../scheduler/next-run.js';
import { memoryIo } from '../testing/cli-io.js';
import { main } from './main.js';
import { configWarnings } from './warnings.js';

const TOKEN = 'seed-job-token-0123456789abcdef';

const io = memoryIo;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-push-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `checks:
  - name: seed-job
    type: push
    schedule: "0 8 * * *"
    timezone: UTC
    grace: 10m
    maxRunTime: 30m
    token: \${SEED_JOB_TOKEN}
  - name: ticker
    type: push
    every: 1m
    grace: 30s
    token: \${SEED_JOB_TOKEN}
`;

describe('lifeline validate with push checks', () => {
  it('says where each job pings, its schedule, grace, and for cron the next expected run and its deadline; never the token', async () => {
    const file = join(dir, 'push.yaml');
    writeFileSync(file, CONFIG);
    const t = io({ SEED_JOB_TOKEN: TOKEN });
    const before = Date.now();
    assert.equal(await main(['validate', '-c', file], t.io), 0);
    const afterMs = Date.now();
    const out = t.out();
    assert.equal(t.err(), '');
    assert.match(out, /: ok, 2 check\(s\)\n/);
    const line =
      /\n {2}seed-job: waits for pings at \/api\/v1\/push\/seed-job, cron "0 8 \* \* \*" \(UTC\), grace 10m, maxRunTime 30m, next expected (\S+) \(ping by (\S+)\)\n/.exec(
        out,
      );
    assert.ok(line, out);
    const next = Date.parse(line[1] as string);
    // The run validate saw as next: computed from a moment between before and after.
    const candidates = new Set(
      [before, afterMs].map(
        (now) => nextRunTimes({ kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' }, now, now, 1)[0],
      ),
    );
    assert.ok(candidates.has(next), `${line[1]} is not the next 08:00 UTC`);
    assert.equal(line[2], new Date(next + 600_000).toISOString());
    assert.match(out, /\n {2}ticker: waits for pings at \/api\/v1\/push\/ticker, every 1m, grace 30s\n/);
    assert.doesNotMatch(out, /warning:/);
    assert.ok(!out.includes(TOKEN), 'the token was printed');
  });

  it('a refused push config names the field and never prints the token', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `checks:\n  - name: j\n    type: push\n    every: 1m\n    grace: 1m\n    token: "\${SEED_JOB_TOKEN} x"\n`,
    );
    const t = io({ SEED_JOB_TOKEN: TOKEN });
    assert.equal(await main(['validate', '-c', file], t.io), 2);
    assert.match(t.err(), /bad\.yaml:5:12: checks\[0\]\.grace: grace "1m" is not shorter than every "1m"/);
    assert.match(t.err(), /bad\.yaml:6:12: checks\[0\]\.token: token may use only letters/);
    assert.ok(!t.err().includes(TOKEN) && !t.out().includes(TOKEN), 'the token was printed');
  });
});

describe('configWarnings and push checks', () => {
  /** The config with its one check's timeoutMs set far past the gap between its runs. */
  function withLongTimeout(text: string): ResolvedConfig {
    const config = parseConfig(text, { file: 'w.yaml', env: { SEED_JOB_TOKEN: TOKEN } });
    return { ...config, checks: config.checks.map((check) => ({ ...check, timeoutMs: 86_400_000 })) };
  }

  it('stays quiet for a push check, whatever its timeoutMs (the grace, validated against the gap)', () => {
    const config = withLongTimeout(
      'checks:\n  - name: j\n    type: push\n    schedule: "*/5 * * * *"\n    grace: 1m\n    token: ${SEED_JOB_TOKEN}\n',
    );
    assert.deepEqual(configWarnings(config, Date.now()), []);
  });

  it('still warns for a probed check on the same schedule', () => {
    const config = withLongTimeout('checks:\n  - name: p\n    url: http://api/\n    schedule: "*/5 * * * *"\n');
    assert.equal(configWarnings(config, Date.now()).length, 1);
  });
});
