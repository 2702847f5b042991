// Issue #9, defect 3: every socket a probe opens is closed when the probe
// ends, whatever phase it is stuck in and however it ends (timeout, abort,
// a fresh client per run or one kept per check, keepAlive or not). Counted
// on both sides: the peer's open connections and this process's socket fds.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../config/load.js';
import type { ResolvedCheck } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { executeCheck } from '../execute.js';
import { openSocketFds, type SilentKind, type SilentPeer, startSilentPeer } from '../testing/faults.js';
import { closedPort, startDns } from '../testing/targets.js';
import { makeCertificates } from '../testing/tls.js';
import { createHttpProber } from './http.js';
import { probeSocket } from './socket.js';

/** Checks run in parallel (as a monitor runs many), each run several times in a row. */
const CHECKS = 10;
const RUNS_PER_CHECK = 4;
/** The peers here stall: each run ends on this timeout, or earlier on an abort. */
const TIMEOUT = '100ms';

function checkNamed(name: string, url: string, extra: string): ResolvedCheck {
  const yaml = `checks:\n  - name: ${name}\n    every: 10s\n    url: ${url}\n${extra.includes('timeout:') ? '' : `    timeout: ${TIMEOUT}\n`}${extra
    .split('\n')
    .filter(Boolean)
    .map((l) => `    ${l}\n`)
    .join('')}`;
  return parseConfig(yaml, { file: 't.yaml', env: {} }).checks[0] as ResolvedCheck;
}

const outcome = (r: CheckResult) => (r.ok ? 'ok' : r.error?.code);

interface Case {
  readonly name: string;
  readonly peer: SilentKind;
  readonly url: (port: number) => string;
  readonly extra?: string;
  /** What every run reports (the phase of a timeout depends on how loaded the machine is: not asserted here). */
  readonly expect: 'ok' | 'timeout';
  readonly http: boolean;
}

const CASES: readonly Case[] = [
  {
    name: 'tcp:// to a peer that accepts and stays silent',
    peer: 'tcp',
    url: (p) => `tcp://127.0.0.1:${p}`,
    // Passes once connected: a long timeout, so that a busy machine cannot turn it into a failure.
    extra: 'timeout: 10s',
    expect: 'ok',
    http: false,
  },
  {
    name: 'tls:// to a peer that accepts TCP and never sends a ServerHello',
    peer: 'tcp',
    url: (p) => `tls://127.0.0.1:${p}`,
    expect: 'timeout',
    http: false,
  },
  {
    name: 'http:// to a peer that accepts and never answers',
    peer: 'tcp',
    url: (p) => `http://127.0.0.1:${p}/`,
    expect: 'timeout',
    http: true,
  },
  {
    name: 'https:// to a peer that never finishes the TLS handshake',
    peer: 'tcp',
    url: (p) => `https://127.0.0.1:${p}/`,
    expect: 'timeout',
    http: true,
  },
  {
    name: 'https:// to a peer that completes the handshake and never answers',
    peer: 'tls',
    url: (p) => `https://127.0.0.1:${p}/`,
    extra: 'insecure: true',
    expect: 'timeout',
    http: true,
  },
  {
    name: 'http:// to a peer that sends the headers and never finishes the body',
    peer: 'half-body',
    url: (p) => `http://127.0.0.1:${p}/`,
    extra: 'conditions: ["[BODY].status == pass"]',
    expect: 'timeout',
    http: true,
  },
  {
    name: 'http:// to a peer that sends its headers a byte at a time (slowloris)',
    peer: 'headers',
    url: (p) => `http://127.0.0.1:${p}/`,
    expect: 'timeout',
    http: true,
  },
];

describe('no probe leaves a socket open, whatever phase its peer stalls in', () => {
  let certs: ReturnType<typeof makeCertificates>;
  before(() => {
    certs = makeCertificates();
  });

  for (const c of CASES) {
    for (const keepAlive of c.http ? [false, true] : [false]) {
      describe(`${c.name}${c.http ? `, keepAlive ${keepAlive}` : ''}`, () => {
        let peer: SilentPeer;
        before(async () => {
          peer = await startSilentPeer(c.peer, certs.selfSigned);
        });
        after(() => peer.close());

        const check = (name: string) => ({
          ...checkNamed(name, c.url(peer.port), c.extra ?? ''),
          keepAlive,
        });

        /**
         * After the runs: the peer has seen each run's connection and none is
         * left open, and this process is back to the sockets it had before.
         */
        const assertNoneLeft = async (before: { fds: number; accepted: number }, runs: number) => {
          await peer.settled(before.accepted + runs, 5_000);
          // undici connects again for a request it has just aborted, and keeps that socket: not here.
          assert.equal(peer.accepted(), before.accepted + runs, 'one connection per run, none opened after it');
          assert.equal(openSocketFds(), before.fds, 'socket fds of this process');
        };
        const snapshot = () => ({ fds: openSocketFds(), accepted: peer.accepted() });

        it(`${CHECKS * RUNS_PER_CHECK} runs on the monitor's prober (a client kept per check) close every socket`, async () => {
          const baseline = snapshot();
          const prober = createHttpProber();
          try {
            const results = await Promise.all(
              Array.from({ length: CHECKS }, async (_, i) => {
                const out = [];
                for (let run = 0; run < RUNS_PER_CHECK; run++)
                  out.push(await executeCheck(check(`c${i}`), { http: prober }));
                return out;
              }),
            );
            for (const r of results.flat()) assert.equal(outcome(r), c.expect, JSON.stringify(r));
            // Before the prober is closed: a run must not leave its socket for close() to find.
            await assertNoneLeft(baseline, CHECKS * RUNS_PER_CHECK);
          } finally {
            await prober.close();
          }
        });

        it('runs with a client of their own each (check --once) close every socket', async () => {
          const baseline = snapshot();
          const results = await Promise.all(Array.from({ length: CHECKS }, (_, i) => executeCheck(check(`once${i}`))));
          for (const r of results) assert.equal(outcome(r), c.expect, JSON.stringify(r));
          await assertNoneLeft(baseline, CHECKS);
        });

        it('runs cancelled as soon as the peer has the connection close every socket', async () => {
          const baseline = snapshot();
          const prober = createHttpProber();
          try {
            for (let run = 0; run < RUNS_PER_CHECK; run++) {
              const abort = new AbortController();
              const connected = peer.nextConnection().then(() => abort.abort());
              const r = await executeCheck(check('cancelled'), { http: prober, signal: abort.signal });
              await connected;
              if (c.expect === 'timeout') assert.equal(outcome(r), 'timeout', JSON.stringify(r));
            }
            await assertNoneLeft(baseline, RUNS_PER_CHECK);
          } finally {
            await prober.close();
          }
        });
      });
    }
  }
});

describe('the tcp/tls probe', () => {
  it('reports a connect that throws at once (a bad port) as a result, never a rejection', async () => {
    for (const tls of [false, true]) {
      const r = await probeSocket({ host: '127.0.0.1', port: 70_000, tls, timeoutMs: 1_000 });
      assert.equal(r.connected, false);
      assert.match(r.error?.message ?? '', /port/i);
    }
  });
});

describe("a monitor's long-lived cancellation signal keeps no listener per run", () => {
  // The scheduler hands every run the same signal: a listener left per run is a leak that grows for ever.
  const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

  it('dns:// runs, answered and timed out', async () => {
    const dns = await startDns({ 'api.test': ['10.0.0.1'] });
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const abort = new AbortController();
    try {
      for (let run = 0; run < 5; run++) {
        const answered = await executeCheck(checkNamed('d', `dns://${dns.server}/api.test`, 'timeout: 5s'), {
          signal: abort.signal,
        });
        assert.equal(answered.ok, true, JSON.stringify(answered));
        const timedOut = await executeCheck(
          checkNamed('d', `dns://127.0.0.1:${silent.address().port}/api.test`, 'timeout: 100ms'),
          { signal: abort.signal },
        );
        assert.equal(timedOut.error?.code, 'dns_timeout');
      }
      assert.equal(listeners(abort.signal), 0);
    } finally {
      silent.close();
      await dns.close();
    }
  });

  it('runs that retry after a failure', async () => {
    const abort = new AbortController();
    const c = checkNamed('r', `http://127.0.0.1:${await closedPort()}/`, 'timeout: 5s\nretries: 2');
    for (let run = 0; run < 5; run++) {
      const r = await executeCheck(c, { signal: abort.signal });
      assert.deepEqual([r.error?.code, r.attempts], ['refused', 3]);
    }
    assert.equal(listeners(abort.signal), 0);
  });

  it('tcp:// and http:// runs (the HTTP prober keeps one listener per signal, not one per run)', async () => {
    const peer = await startSilentPeer('tcp');
    const abort = new AbortController();
    const prober = createHttpProber();
    try {
      for (let run = 0; run < 5; run++) {
        await executeCheck(checkNamed('t', `tcp://127.0.0.1:${peer.port}`, 'timeout: 5s'), { signal: abort.signal });
        await executeCheck(checkNamed('h', `http://127.0.0.1:${peer.port}/`, ''), {
          signal: abort.signal,
          http: prober,
        });
      }
      assert.ok(listeners(abort.signal) <= 1, `${listeners(abort.signal)} listeners`);
    } finally {
      await prober.close();
      await peer.close();
    }
  });
});

describe('no probe leaves a socket open on the other paths: success, retry, a lookup that never answers', () => {
  const snapshot = (peer: SilentPeer) => ({ fds: openSocketFds(), accepted: peer.accepted() });

  it('successful runs close their connection, or keep exactly one per check with keepAlive until close()', async () => {
    const peer = await startSilentPeer('ok');
    try {
      for (const keepAlive of [false, true]) {
        const before = snapshot(peer);
        const prober = createHttpProber();
        const check = (name: string) => ({
          ...checkNamed(name, `http://127.0.0.1:${peer.port}/`, 'timeout: 10s\nconditions: ["[BODY].status == ok"]'),
          keepAlive,
        });
        try {
          const results = await Promise.all(
            Array.from({ length: CHECKS }, async (_, i) => {
              const out = [];
              for (let run = 0; run < RUNS_PER_CHECK; run++)
                out.push(await executeCheck(check(`ok${i}`), { http: prober }));
              return out;
            }),
          );
          for (const r of results.flat()) assert.equal(outcome(r), 'ok', JSON.stringify(r));
          if (keepAlive) {
            // One connection per check, reused by every run; open until the prober closes.
            assert.equal(peer.accepted(), before.accepted + CHECKS);
            assert.equal(peer.open(), CHECKS);
          } else await peer.settled(before.accepted + CHECKS * RUNS_PER_CHECK, 5_000);
        } finally {
          await prober.close();
        }
        await peer.settled(peer.accepted(), 5_000);
        assert.equal(openSocketFds(), before.fds, `socket fds of this process, keepAlive ${keepAlive}`);
      }
    } finally {
      await peer.close();
    }
  });

  it('runs that retry close the socket of every attempt', async () => {
    const peer = await startSilentPeer('garbage');
    const before = snapshot(peer);
    const prober = createHttpProber();
    try {
      for (const keepAlive of [false, true]) {
        for (let run = 0; run < 5; run++) {
          const r = await executeCheck(
            { ...checkNamed('retry', `http://127.0.0.1:${peer.port}/`, 'timeout: 10s\nretries: 2'), keepAlive },
            { http: prober },
          );
          assert.deepEqual([r.error?.code, r.attempts], ['protocol', 3], JSON.stringify(r));
        }
      }
      await peer.settled(before.accepted + 2 * 5 * 3, 5_000);
      assert.equal(peer.accepted(), before.accepted + 2 * 5 * 3);
      assert.equal(openSocketFds(), before.fds, 'socket fds of this process');
    } finally {
      await prober.close();
      await peer.close();
    }
  });

  it('runs stuck in a name lookup that never answers end in dns, with no socket left', async () => {
    const fds = openSocketFds();
    const lookups: unknown[] = [];
    // A resolver that never answers: the probe's deadline ends the run.
    const lookup = ((...args: unknown[]) => void lookups.push(args)) as never;
    const prober = createHttpProber();
    try {
      for (const url of ['http://stuck.test/', 'https://stuck.test/']) {
        const runs = await Promise.all(
          Array.from({ length: CHECKS }, (_, i) =>
            executeCheck(checkNamed(`dns${i}`, url, ''), { http: prober, lookup }),
          ),
        );
        for (const r of runs) assert.deepEqual([r.error?.code, r.error?.phase], ['timeout', 'dns'], JSON.stringify(r));
      }
      const tcp = await executeCheck(checkNamed('tcp', 'tcp://stuck.test:6379', ''), { lookup });
      assert.deepEqual([tcp.error?.code, tcp.error?.phase], ['timeout', 'dns']);
      assert.equal(lookups.length, 2 * CHECKS + 1);
      assert.equal(openSocketFds(), fds, 'socket fds of this process');
    } finally {
      await prober.close();
    }
  });
});
