// The real `lifeline` executable (bin/lifeline.js over dist/, built by `npm test`'s typecheck), as a user runs it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLifeline } from '../testing/cli.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const lifeline = runLifeline;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-bin-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const NO_STACK = /^\s+at |Error:|node:internal/m;

describe('the lifeline executable', () => {
  it('--version prints the package version', async () => {
    const run = await lifeline(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `${VERSION}\n`);
  });

  it('validate | head: a reader that goes away ends it quietly, with no EPIPE stack', async () => {
    let text = 'checks:\n';
    for (let i = 0; i < 3_000; i++) text += `  - { name: c${i}, url: "tcp://127.0.0.1:1", every: 10s }\n`;
    const run = await lifeline(['validate', '-c', configFile('many.yaml', text)], { closeStdout: true });
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
  });

  it('a port in use: one sentence naming the port and the options, exit 2', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const file = configFile(
        'port.yaml',
        `storage: none\nserver:\n  host: 127.0.0.1\nchecks:\n  - name: a\n    url: tcp://127.0.0.1:1\n    every: 10s\n`,
      );
      const run = await lifeline(['run', '-c', file, '--port', String(port)]);
      assert.equal(run.code, 2);
      assert.equal(
        run.stderr,
        `lifeline cannot start: port ${port} on 127.0.0.1 is already in use; choose another with --port, server.port in the config (LIFELINE_PORT in the example configs)\n`,
      );
      assert.doesNotMatch(run.stdout, /fatal|"level":"(fatal|error)"/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('a data directory that cannot be made (under a regular file; root bypasses permissions): one sentence, exit 2', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const storage = join(blocker, 'data', 'lifeline.db');
    const file = configFile(
      'storage.yaml',
      `storage: ${storage}\nchecks:\n  - name: a\n    url: tcp://127.0.0.1:1\n    every: 10s\n`,
    );
    const run = await lifeline(['run', '-c', file, '--port', '0']);
    assert.equal(run.code, 2);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(`^lifeline cannot start: cannot write the data directory ${join(blocker, 'data')} for ${storage}`),
    );
    assert.match(
      lines[0] ?? '',
      /choose another place with storage: in the config \(LIFELINE_STORAGE in the example configs\)$/,
    );
    assert.doesNotMatch(run.stderr, NO_STACK);
  });

  describe('on a read-only file system (a tmpfs the test mounts read-only)', () => {
    const mnt = join(dir, 'ro');
    let mounted = false;
    before(() => {
      mkdirSync(mnt);
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
      mounted = mount.status === 0;
      if (!mounted && process.env.CI === 'true') throw new Error(`cannot mount a tmpfs: ${mount.stderr}`);
    });
    after(() => {
      if (mounted) spawnSync('umount', [mnt]);
    });
    for (const [what, relative, reason] of [
      ['a data directory to make', 'data/lifeline.db', /cannot write the data directory .*: read-only file system\)/],
      ['the database file itself', 'lifeline.db', /cannot open the SQLite file .* \(SQLITE_CANTOPEN/],
    ] as const) {
      it(`${what}: one sentence naming the path and storage, exit 2`, async (t) => {
        if (!mounted) return t.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
        const storage = join(mnt, relative);
        const file = configFile(
          `ro-${relative.replace(/\W/g, '-')}.yaml`,
          `storage: ${storage}\nchecks:\n  - name: a\n    url: tcp://127.0.0.1:1\n    every: 10s\n`,
        );
        const run = await lifeline(['run', '-c', file, '--port', '0']);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
        assert.match(run.stderr, reason);
        assert.match(run.stderr, new RegExp(`${storage}.*choose another place with storage: in the config`));
        assert.doesNotMatch(run.stderr, NO_STACK);
      });
    }
  });

  // What a pod with a 256 MiB limit gives Node (bench/prober's HEAP_MB): a hostile config must not exhaust it.
  const hostile: [string, () => string][] = [
    ['a 1 MiB flow list of 520,000 values', () => `checks: [${Array(520_000).fill('1').join(',')}]\n`],
    [
      '50,000 anchors on small lists',
      () => `${Array.from({ length: 50_000 }, (_, i) => `a${i}: &a${i} [1]\n`).join('')}checks: []\n`,
    ],
    ['4 MiB of nested flow lists', () => `checks: ${'['.repeat(4 * 1024 * 1024 - 20)}\n`],
    ['150,000 nested block lists', () => `checks:\n  ${'- '.repeat(150_000)}x\n`],
  ];
  for (const [what, text] of hostile) {
    it(`${what}: exit 2 within a 128 MB heap, no crash`, async () => {
      const run = await lifeline(['validate', '-c', configFile('hostile.yaml', text())], {
        node: ['--max-old-space-size=128'],
      });
      assert.equal(run.code, 2, run.stderr.slice(0, 500));
      // Refused by the YAML limits (LIFELINE_ERR_CONFIG) or, for what they let through, by the heap check.
      assert.match(run.stderr, /\[LIFELINE_ERR_(?:CONFIG|HEAP)\]; nothing was started\n$/);
      assert.doesNotMatch(run.stderr, /FATAL|heap out of memory/);
      assert.doesNotMatch(run.stderr, NO_STACK);
    });
  }

  it('a config that cannot be read at all: one line, exit 2, never a stack', async () => {
    mkdirSync(join(dir, 'a-dir'));
    for (const path of [join(dir, 'a-dir'), join(dir, 'missing.yaml')]) {
      const run = await lifeline(['validate', '-c', path]);
      assert.equal(run.code, 2, path);
      assert.match(run.stderr, /cannot read the config/);
      assert.doesNotMatch(run.stderr, NO_STACK);
    }
  });
});
