// A config too large for the heap (issue 14): the real `lifeline` executable with a small
// --max-old-space-size says so in one sentence with exit 2, instead of V8's abort half-way.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LIFELINE_BIN, runLifeline } from '../testing/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-heap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `checks` http checks of the usual shape (a URL, `every: 60s`, two conditions), or `bare` ones
 * without conditions: fewer YAML nodes to load for each check held. Nothing is listening.
 */
function config(checks: number, bare = false): string {
  const path = join(dir, `checks-${checks}${bare ? '-bare' : ''}.yaml`);
  let text = 'storage: none\nserver:\n  host: 127.0.0.1\nchecks:\n';
  for (let i = 0; i < checks; i++) {
    text += `  - name: svc-${i}\n    url: http://127.0.0.1:9/svc-${i}/healthz\n    every: 60s\n`;
    if (!bare) text += `    conditions:\n      - "[STATUS] == 200"\n      - "[RESPONSE_TIME] < 1000"\n`;
  }
  writeFileSync(path, text);
  return path;
}

const heap = (mib: number) => ({ node: [`--max-old-space-size=${mib}`] });
/** What V8 prints when it aborts: none of it may show. */
const V8_ABORT = /heap out of memory|FATAL ERROR|Last few GCs|JS stacktrace|Native stack trace|core dumped/i;

/** `lifeline run` until it says it started, then SIGTERM; its exit code and output. Killed after 20 s. */
function runUntilStarted(
  file: string,
  mib: number,
): Promise<{ code: number | null; started: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${mib}`, LIFELINE_BIN, 'run', '-c', file, '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    let started = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!started && stdout.includes('lifeline monitor started')) {
        started = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, started, stderr });
    });
  });
}

describe('a config too large for the heap', () => {
  // 20,000 checks: the fast path loads plain block YAML in ~1.5 KB a check, so 4,000 now load in 24 MiB.
  const file = config(20_000);

  it('validate: exit 2, one sentence with the code and how many checks fit, never a V8 abort', async () => {
    const run = await runLifeline(['validate', '-c', file], heap(24));
    assert.equal(run.code, 2, run.stderr);
    assert.doesNotMatch(run.stderr, V8_ABORT);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(
      run.stderr,
      /^lifeline: .*checks-20000\.yaml: the config has about 20,000 checks \(\d\.\d MiB\); loading it needs at least \d+(\.\d)? MiB of heap but this process has \d+(\.\d)? MiB free \(--max-old-space-size=24\): about [\d,]+ checks fit\. .* \[LIFELINE_ERR_HEAP\]; nothing was started\n$/,
    );
    assert.equal(run.stdout, '');

    // The boundary: as many checks as it says fit load in that same heap.
    const fit = Number(/about ([\d,]+) checks fit/.exec(run.stderr)?.[1]?.replaceAll(',', ''));
    assert.ok(fit > 500 && fit < 20_000, `${fit} checks fit`);
    const fits = await runLifeline(['validate', '-c', config(fit)], heap(24));
    assert.doesNotMatch(fits.stderr, V8_ABORT);
    assert.equal(fits.code, 0, fits.stderr);
    assert.match(fits.stdout, new RegExp(`: ok, ${fit} check\\(s\\)\\n`));
  });

  it('run: refused the same way in a small heap; with a large enough one it starts and stops on SIGTERM', async () => {
    const small = await runLifeline(['run', '-c', file, '--port', '0'], heap(24));
    assert.equal(small.code, 2, small.stderr);
    assert.doesNotMatch(small.stderr, V8_ABORT);
    assert.match(small.stderr, /about [\d,]+ checks fit\. .*\[LIFELINE_ERR_HEAP\]; nothing was started\n$/);
    assert.doesNotMatch(small.stdout, /monitor started/);

    const large = await runUntilStarted(file, 128);
    assert.ok(large.started, large.stderr);
    assert.equal(large.code, 0, large.stderr);
    assert.doesNotMatch(large.stderr, /LIFELINE_ERR_HEAP/);
  });

  it('a config that loads but whose checks do not fit: run and check --once refuse it once resolved', async () => {
    // Checks without conditions: little to load for each check the monitor holds. 3,000: the
    // monitor now holds ~2.5 KB a check (800 ran in this heap since 2026-11-27), and loading
    // them by the fast path takes about half of that.
    const few = config(3_000, true);
    const loads = await runLifeline(['validate', '-c', few], heap(16));
    assert.equal(loads.code, 0, loads.stderr);
    const run = await runLifeline(['run', '-c', few, '--port', '0'], heap(16));
    assert.equal(run.code, 2, run.stderr);
    assert.doesNotMatch(run.stderr, V8_ABORT);
    assert.match(
      run.stderr,
      /: the config has 3,000 checks; running them needs at least \d+(\.\d)? MiB of heap but this process has \d+(\.\d)? MiB free \(--max-old-space-size=16\): (about [\d,]+ checks fit|not even one check surely fits)\. .*\[LIFELINE_ERR_HEAP\]; nothing was started\n$/,
    );
    assert.doesNotMatch(run.stdout, /monitor started/);

    // check --once has every check in flight at once. 2,500: 1,500 sat on the boundary once
    // check --once ran from its bundle and code cache, which leave more of the heap free.
    const more = config(2_500, true);
    const validated = await runLifeline(['validate', '-c', more], heap(22));
    assert.equal(validated.code, 0, validated.stderr);
    const once = await runLifeline(['check', '--once', '-c', more], heap(22));
    assert.equal(once.code, 2, once.stderr);
    assert.doesNotMatch(once.stderr, V8_ABORT);
    assert.match(
      once.stderr,
      /: the config has 2,500 checks; running them all at once needs at least .*: about [\d,]+ checks fit\. .*\[LIFELINE_ERR_HEAP\]/,
    );
    assert.equal(once.stdout, '');
  });
});

describe('a reloaded config too large for the heap', () => {
  it('is refused with a log line; the monitor keeps running the previous one', async () => {
    const file = join(dir, 'reloaded.yaml');
    writeFileSync(
      file,
      'storage: none\nserver:\n  host: 127.0.0.1\nchecks:\n  - {name: one, url: "http://127.0.0.1:9/", every: 60s}\n',
    );
    const child = spawn(process.execPath, ['--max-old-space-size=24', LIFELINE_BIN, 'run', '-c', file, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let out = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const waiting = new Set<() => void>();
    child.stdout.on('data', (d) => {
      out += d;
      for (const look of waiting) look();
    });
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const look = () => {
          if (!out.includes(text)) return;
          waiting.delete(look);
          resolve();
        };
        waiting.add(look);
        look();
      });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await seen('lifeline monitor started');
      writeFileSync(file, readFileSync(config(20_000), 'utf8'));
      await seen('the changed config is too large for this heap');
      assert.match(out, /LIFELINE_ERR_HEAP/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.doesNotMatch(`${out}${stderr}`, V8_ABORT);
      assert.match(out, /lifeline monitor stopped/);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });
});
