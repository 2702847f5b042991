// Issue #9, defect 3, through the real CLI: `check --once` exits by itself
// right after its results, and `run` exits after SIGTERM, even when targets
// accept connections and never answer (no socket, timer or client may keep
// the process alive).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, run, type Spawned } from '../../../test/e2e/helpers.js';
import { type SilentPeer, startSilentPeer } from './testing/faults.js';
import { makeCertificates } from './testing/tls.js';

const CLI = 'packages/prober/bin/lifeline.js';
/** What bin/lifeline.js says when it has to end a finished command that something still holds open. */
const PENDING = /^lifeline: finished, but work was still pending \((.*)\); exiting$/;
/** Generous: the bound of a wait for an event, never a measure of speed. */
const EXIT_WITHIN_MS = 30_000;

/** Waits for the process to exit, or kills it and fails. */
async function exitOf(child: Spawned): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit within ${EXIT_WITHIN_MS} ms; output:\n${child.lines.join('\n')}`));
    }, EXIT_WITHIN_MS);
  });
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the real CLI exits with silent targets', () => {
  let dir: string;
  const peers: Record<string, SilentPeer> = {};
  let config: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-exit-'));
    const certs = makeCertificates();
    peers.tcp = await startSilentPeer('tcp');
    peers.tls = await startSilentPeer('tls', certs.selfSigned);
    peers.half = await startSilentPeer('half-body');
    const checks = {
      'https-no-handshake': `https://127.0.0.1:${peers.tcp.port}/`,
      'tls-no-handshake': `tls://127.0.0.1:${peers.tcp.port}`,
      'http-no-answer': `http://127.0.0.1:${peers.tcp.port}/`,
      'https-no-answer': `https://127.0.0.1:${peers.tls.port}/\n    insecure: true`,
      'http-half-body': `http://127.0.0.1:${peers.half.port}/`,
    };
    config = join(dir, 'silent.yaml');
    writeFileSync(
      config,
      `storage: none\nserver:\n  host: 127.0.0.1\nchecks:\n${Object.entries(checks)
        .map(([name, url]) => `  - name: ${name}\n    url: ${url}\n    every: 1s\n    timeout: 500ms\n`)
        .join('')}`,
    );
  });
  after(async () => {
    for (const peer of Object.values(peers)) await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check --once prints a timeout for each and exits 1 by itself', async () => {
    const cli = run(process.execPath, [CLI, 'check', '--once', '--config', config]);
    assert.deepEqual(await exitOf(cli), { code: 1, signal: null });
    assert.ok(
      !cli.lines.some((l) => PENDING.test(l)),
      `exited by itself, not by the fallback:\n${cli.lines.join('\n')}`,
    );
    const results = cli.lines.map(json).filter((l) => l?.check !== undefined);
    assert.deepEqual(
      results.map((r) => [r?.check, (r?.error as { code?: string } | undefined)?.code]),
      [
        ['https-no-handshake', 'timeout'],
        ['tls-no-handshake', 'timeout'],
        ['http-no-answer', 'timeout'],
        ['https-no-answer', 'timeout'],
        ['http-half-body', 'timeout'],
      ],
      cli.lines.join('\n'),
    );
  });

  it('run exits 0 after SIGTERM once its runs have stalled on every target', async () => {
    const cli = run(process.execPath, [CLI, 'run', '--port', '0', '--config', config]);
    try {
      // Two rounds of failed runs: sockets of finished runs and of runs in flight at SIGTERM.
      for (const name of ['https-no-handshake', 'https-no-answer', 'http-half-body'])
        await cli.waitForLine(
          (l) => json(l)?.check === name && cli.lines.filter((x) => json(x)?.check === name).length >= 2,
          EXIT_WITHIN_MS,
        );
      cli.child.kill('SIGTERM');
      assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
      assert.ok(
        cli.lines.some((l) => json(l)?.msg === 'lifeline monitor stopped'),
        cli.lines.join('\n'),
      );
      assert.ok(
        !cli.lines.some((l) => PENDING.test(l)),
        `exited by itself, not by the fallback:\n${cli.lines.join('\n')}`,
      );
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('a finished check --once exits even when something it cannot cancel is still pending, and names it', async () => {
    // Stands for a system name lookup (getaddrinfo) still out: nothing can cancel it.
    const hold = join(dir, 'hold.mjs');
    writeFileSync(hold, 'setInterval(() => {}, 3_600_000);\n');
    const cli = run(process.execPath, ['--import', hold, CLI, 'check', '--once', '--config', config]);
    assert.deepEqual(await exitOf(cli), { code: 1, signal: null });
    assert.equal(cli.lines.filter((l) => json(l)?.check !== undefined).length, 5, cli.lines.join('\n'));
    assert.match(cli.lines.find((l) => PENDING.test(l)) ?? '', /Timeout/);
  });
});
