// Issue #13: the `cluster:` section (high availability on PostgreSQL).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runLifeline } from '../testing/cli.js';
import { describeCluster } from './cluster.js';
import { ConfigError, formatProblem, parseConfig } from './load.js';

const CHECKS = 'checks:\n  - {name: api, url: "http://api:3000/healthcheck", every: 30s}\n';
const PG = 'storage: postgres://lifeline@db:5432/lifeline\n';
/** A config on PostgreSQL whose `cluster:` has these lines (each indented under it). */
const withCluster = (lines: string, storage = PG) => `${storage}cluster:\n${lines.replace(/^/gm, '  ')}\n${CHECKS}`;

const ENV = { POD_NAME: 'lifeline-monitor-7d9f-x2x4q' };
const parse = (text: string, env: Record<string, string> = ENV) => parseConfig(text, { file: 'lifeline.yaml', env });

function problems(text: string, env: Record<string, string> = ENV): string[] {
  try {
    parse(text, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    assert.equal(error.code, 'LIFELINE_ERR_CONFIG');
    return error.problems.map(formatProblem);
  }
  assert.fail('the config was accepted');
}

describe('config: cluster', () => {
  it('resolves every key: the id from ${POD_NAME}, the durations in ms, the URL without its trailing slash; frozen', () => {
    const config = parse(
      withCluster('id: ${POD_NAME}\nleaseTtl: 9s\nrenewEvery: 3s\nadvertiseUrl: http://10.0.0.5:8080/'),
    );
    assert.deepEqual(config.cluster, {
      id: 'lifeline-monitor-7d9f-x2x4q',
      leaseTtlMs: 9_000,
      renewMs: 3_000,
      advertiseUrl: 'http://10.0.0.5:8080',
    });
    assert.ok(Object.isFrozen(config.cluster));
    assert.deepEqual(config.storage, { kind: 'postgres', url: 'postgres://lifeline@db:5432/lifeline' });
  });

  it('is always resolved, defaults filled and no id, with or without the section and on any storage', () => {
    const defaults = { leaseTtlMs: 15_000, renewMs: 5_000 };
    for (const text of [CHECKS, `storage: none\n${CHECKS}`, `${PG}${CHECKS}`, withCluster('{}')]) {
      const config = parse(text);
      assert.deepEqual(config.cluster, defaults, text);
      assert.ok(!('id' in config.cluster) && !('advertiseUrl' in config.cluster));
    }
  });

  const good: [string, string, { id?: string; leaseTtlMs: number; renewMs: number; advertiseUrl?: string }][] = [
    [
      'postgresql:// is PostgreSQL too',
      withCluster('id: a', 'storage: postgresql://db/l\n'),
      {
        id: 'a',
        leaseTtlMs: 15_000,
        renewMs: 5_000,
      },
    ],
    [
      'the shortest lease, renewed at a third of it',
      withCluster('leaseTtl: 3s\nrenewEvery: 1s'),
      {
        leaseTtlMs: 3_000,
        renewMs: 1_000,
      },
    ],
    [
      'the longest lease, a renewal as often as allowed',
      withCluster('leaseTtl: 5m\nrenewEvery: 100ms'),
      {
        leaseTtlMs: 300_000,
        renewMs: 100,
      },
    ],
    [
      'a renewal of exactly a third of the default lease',
      withCluster('renewEvery: 5s'),
      {
        leaseTtlMs: 15_000,
        renewMs: 5_000,
      },
    ],
    ['a longer lease with the default renewal', withCluster('leaseTtl: 1m'), { leaseTtlMs: 60_000, renewMs: 5_000 }],
    [
      'an id of 63 characters, and an https URL with a path',
      withCluster(`id: ${'a'.repeat(60)}._-\nadvertiseUrl: https://mon.example/lifeline`),
      {
        id: `${'a'.repeat(60)}._-`,
        leaseTtlMs: 15_000,
        renewMs: 5_000,
        advertiseUrl: 'https://mon.example/lifeline',
      },
    ],
  ];
  for (const [name, text, expected] of good) {
    it(`accepts ${name}`, () => assert.deepEqual(parse(text).cluster, expected));
  }

  const bad: [string, string, string[], Record<string, string>?][] = [
    [
      'cluster without storage (SQLite by default)',
      `cluster:\n  id: a\n${CHECKS}`,
      [
        'lifeline.yaml:2:3: cluster: cluster needs PostgreSQL storage (storage: postgres://...), but storage is not set, so the monitor uses SQLite (./data/lifeline.db): only monitors sharing a PostgreSQL database form a cluster',
      ],
    ],
    [
      'cluster on a SQLite file',
      withCluster('id: a', 'storage: sqlite:///var/lib/lifeline/l.db\n'),
      [
        'lifeline.yaml:3:3: cluster: cluster needs PostgreSQL storage (storage: postgres://...), but storage is the SQLite file "/var/lib/lifeline/l.db": only monitors sharing a PostgreSQL database form a cluster',
      ],
    ],
    [
      'cluster with storage: none, found with the other problems',
      `storage: none\ncluster: {leaseTtl: 1s}\nchecks: []\n`,
      [
        'lifeline.yaml:2:10: cluster: cluster needs PostgreSQL storage (storage: postgres://...), but storage is "none": only monitors sharing a PostgreSQL database form a cluster',
        'lifeline.yaml:2:21: cluster.leaseTtl: cluster.leaseTtl "1s" is below the minimum of 3000ms',
        'lifeline.yaml:3:9: checks: checks must list at least one check',
      ],
    ],
    [
      'a storage from an unset variable: reported once, at storage',
      withCluster('id: a', 'storage: ${DATABASE_URL}\n'),
      [
        'lifeline.yaml:1:10: storage: environment variable DATABASE_URL is not set (write ${DATABASE_URL:-default} to give a default)',
      ],
    ],
    [
      'an id from an unset variable',
      withCluster('id: ${POD_NAME}'),
      [
        'lifeline.yaml:3:7: cluster.id: environment variable POD_NAME is not set (write ${POD_NAME:-default} to give a default)',
      ],
      {},
    ],
    [
      'an empty id',
      withCluster('id: ${POD_NAME:-}'),
      ['lifeline.yaml:3:7: cluster.id: cluster.id is empty: is its variable set?'],
      {},
    ],
    [
      'an id of 64 characters',
      withCluster(`id: ${'a'.repeat(64)}`),
      [
        `lifeline.yaml:3:7: cluster.id: cluster.id "${'a'.repeat(64)}" must be 1 to 63 letters, digits, ".", "_" and "-"`,
      ],
    ],
    [
      'an id with a slash',
      withCluster('id: ns/pod'),
      ['lifeline.yaml:3:7: cluster.id: cluster.id "ns/pod" must be 1 to 63 letters, digits, ".", "_" and "-"'],
    ],
    [
      'an id that is a number',
      withCluster('id: 7'),
      [
        'lifeline.yaml:3:7: cluster.id: cluster.id must be a string of 1 to 63 letters, digits, ".", "_" and "-", e.g. ${POD_NAME}',
      ],
    ],
    [
      'a lease below 3s',
      withCluster('leaseTtl: 2999ms'),
      ['lifeline.yaml:3:13: cluster.leaseTtl: cluster.leaseTtl "2999ms" is below the minimum of 3000ms'],
    ],
    [
      'a lease past 5m',
      withCluster('leaseTtl: 5m1s'),
      ['lifeline.yaml:3:13: cluster.leaseTtl: cluster.leaseTtl "5m1s" is above the maximum of 5m (300000ms)'],
    ],
    [
      'a lease that is no duration',
      withCluster('leaseTtl: soon'),
      [
        'lifeline.yaml:3:13: cluster.leaseTtl: "soon" is not a duration: cluster.leaseTtl must be a positive duration such as "5s", "500ms" or "1m"',
      ],
    ],
    [
      'a renewal below 100ms',
      withCluster('leaseTtl: 3s\nrenewEvery: 99ms'),
      ['lifeline.yaml:4:15: cluster.renewEvery: cluster.renewEvery "99ms" is below the minimum of 100ms'],
    ],
    [
      'a renewal of more than a third of the lease',
      withCluster('leaseTtl: 10s\nrenewEvery: 3334ms'),
      [
        'lifeline.yaml:4:15: cluster.renewEvery: cluster.renewEvery "3334ms" is more than a third of leaseTtl "10s": make it at most 3s333ms, so that a lease outlives two failed renewals',
      ],
    ],
    [
      'a renewal of more than a third of the default lease',
      withCluster('renewEvery: 6s'),
      [
        'lifeline.yaml:3:15: cluster.renewEvery: cluster.renewEvery "6s" is more than a third of leaseTtl 15s (the default): make it at most 5s, so that a lease outlives two failed renewals',
      ],
    ],
    [
      'a short lease with the default renewal: said at leaseTtl',
      withCluster('leaseTtl: 9s'),
      [
        'lifeline.yaml:3:13: cluster.leaseTtl: cluster.leaseTtl "9s" is less than three times renewEvery 5s (the default): set renewEvery to at most 3s, so that a lease outlives two failed renewals',
      ],
    ],
    [
      'an ftp advertiseUrl',
      `${PG}cluster: {advertiseUrl: "ftp://mon:21"}\n${CHECKS}`,
      [
        'lifeline.yaml:2:25: cluster.advertiseUrl: cluster.advertiseUrl is the http(s) base URL other members reach this one at, e.g. http://10.0.0.5:8080',
      ],
    ],
    [
      'an advertiseUrl that is no URL',
      withCluster('advertiseUrl: 10.0.0.5:8080'),
      [
        'lifeline.yaml:3:17: cluster.advertiseUrl: cluster.advertiseUrl is the http(s) base URL other members reach this one at, e.g. http://10.0.0.5:8080',
      ],
    ],
    [
      'an advertiseUrl with credentials (GET /api/v1/cluster shows it)',
      withCluster('advertiseUrl: http://ops:s3cret@10.0.0.5:8080'),
      [
        'lifeline.yaml:3:17: cluster.advertiseUrl: cluster.advertiseUrl may not carry credentials: GET /api/v1/cluster shows it',
      ],
    ],
    [
      'an advertiseUrl with a query',
      withCluster('advertiseUrl: http://10.0.0.5:8080/?x=1'),
      [
        'lifeline.yaml:3:17: cluster.advertiseUrl: cluster.advertiseUrl is the http(s) base URL other members reach this one at, e.g. http://10.0.0.5:8080 (no query or fragment)',
      ],
    ],
    [
      'a misspelled key, with did-you-mean',
      withCluster('leaseTTL: 15s'),
      ['lifeline.yaml:3:3: cluster.leaseTTL: unknown key "leaseTTL" (did you mean "leaseTtl"?)'],
    ],
    [
      'an empty section (null)',
      `${PG}cluster:\n${CHECKS}`,
      ['lifeline.yaml:2:9: cluster: cluster takes id, leaseTtl, renewEvery and advertiseUrl'],
    ],
  ];
  for (const [name, text, expected, env] of bad) {
    it(`refuses ${name}, saying file:line:field`, () => assert.deepEqual(problems(text, env), expected));
  }

  it('the id check quotes a hostile id cut short', () => {
    const [line] = problems(withCluster(`id: "${'x/'.repeat(10_000)}"`));
    assert.ok(line && line.length < 250, line);
  });

  it('describes itself for validate: the id (or how it is chosen), the lease and the API', () => {
    assert.equal(
      describeCluster({ id: 'monitor-0', leaseTtlMs: 9_000, renewMs: 3_000, advertiseUrl: 'http://10.0.0.5:8080' }),
      'cluster member monitor-0: lease 9s, renewed every 3s, API advertised as http://10.0.0.5:8080',
    );
    assert.equal(
      describeCluster({ leaseTtlMs: 15_000, renewMs: 5_000 }),
      'cluster member <host name>-<6 random characters> (chosen at start): lease 15s, renewed every 5s, no API advertised',
    );
  });

  // The real executable (bin/lifeline.js over dist/, built by `npx tsc -b tsconfig.build.json` or `npm test`).
  describe('lifeline validate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-cluster-config-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('prints the cluster line on PostgreSQL (without connecting), none on SQLite', async () => {
      const file = join(dir, 'good.yaml');
      writeFileSync(file, withCluster('id: ${POD_NAME}\nleaseTtl: 30s\nrenewEvery: 10s'));
      const run = await runLifeline(['validate', '--config', file], { env: ENV });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(
        run.stdout
          .split('\n')
          .includes('  cluster member lifeline-monitor-7d9f-x2x4q: lease 30s, renewed every 10s, no API advertised'),
        run.stdout,
      );
      const sqlite = join(dir, 'sqlite.yaml');
      writeFileSync(sqlite, `storage: ${join(dir, 'l.db')}\n${CHECKS}`);
      const single = await runLifeline(['validate', '--config', sqlite]);
      assert.equal(single.code, 0, single.stderr);
      assert.ok(!single.stdout.includes('cluster member'), single.stdout);
    });

    it('exits 2 on cluster with SQLite storage, naming the field with file:line', async () => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, `storage: ./l.db\ncluster:\n  leaseTtl: 30s\n${CHECKS}`);
      const run = await runLifeline(['validate', '--config', file]);
      assert.equal(run.code, 2, run.stdout);
      assert.ok(
        run.stderr
          .split('\n')
          .includes(
            `${file}:3:3: cluster: cluster needs PostgreSQL storage (storage: postgres://...), but storage is the SQLite file "./l.db": only monitors sharing a PostgreSQL database form a cluster`,
          ),
        run.stderr,
      );
    });
  });
});
