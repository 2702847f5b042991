// A resolver that never answers, as getaddrinfo behind a dead nameserver: the
// runs time out, their lookups cannot be cancelled, and what they leave behind
// must stay bounded however many runs there are.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Resolver } from 'node:dns';
import { once } from 'node:events';
import type { LookupFunction, Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../config/load.js';
import type { ResolvedCheck } from '../config/resolved.js';
import { executeCheck } from '../execute.js';
import { createHttpProber } from './http.js';
import { createLookupGate, detachableLookup } from './lookup.js';
import { probeSocket } from './socket.js';

function checks(urls: readonly string[], timeout = '50ms'): ResolvedCheck[] {
  const body = urls
    .map((url, i) => `  - name: c${i}\n    every: 10s\n    url: ${url}\n    timeout: ${timeout}\n`)
    .join('');
  return [...parseConfig(`checks:\n${body}`, { file: 't.yaml', env: {} }).checks];
}

/** A lookup through a DNS server on loopback that never answers; `release()` cancels what waits and resolves once every callback ran. */
async function silentResolver() {
  const server = createSocket('udp4');
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const resolver = new Resolver({ timeout: 120_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.address().port}`]);
  let started = 0;
  let answered = 0;
  let allAnswered: (() => void) | undefined;
  const lookup = ((hostname: string, _options: unknown, callback: (error: Error | null) => void) => {
    started += 1;
    resolver.resolve4(hostname, (error) => {
      answered += 1;
      if (answered === started) allAnswered?.();
      callback(error);
    });
  }) as unknown as LookupFunction;
  return {
    lookup,
    started: () => started,
    async release() {
      const done = new Promise<void>((resolve) => {
        allAnswered = resolve;
        if (answered === started) resolve();
      });
      resolver.cancel();
      await done;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A destroyed socket closes on a later turn of the loop; the last may not have yet. (No socket stays in a local.) */
async function closed(sockets: readonly WeakRef<Socket>[]): Promise<void> {
  const open = sockets.map((ref) => ref.deref()).filter((s): s is Socket => s !== undefined && !s.closed);
  await Promise.all(open.map((s) => once(s, 'close')));
}

/**
 * How many of `refs` survive a collection. WeakRefs hold their targets until
 * the current job ends, and the last closed handle is let go a turn of the
 * loop later: a few turns (bounded), not a time.
 */
async function reachable(refs: readonly WeakRef<object>[], gc: () => void): Promise<number> {
  let alive = refs.length;
  for (let turn = 0; turn < 10 && alive > 0; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    alive = refs.filter((ref) => ref.deref() !== undefined).length;
  }
  return alive;
}

describe('lookups against a resolver that never answers', () => {
  it('are capped per monitor: past the cap a run fails at once with dns_timeout, and says so', async () => {
    const silent = await silentResolver();
    const states: boolean[] = [];
    const gate = createLookupGate({
      max: 8,
      lookup: silent.lookup,
      onSaturation: (saturated) => states.push(saturated),
    });
    const http = createHttpProber();
    try {
      const all = checks(
        [
          ...Array.from({ length: 10 }, (_, i) => `http://h${i}.example.test/`),
          ...Array.from({ length: 5 }, (_, i) => `tcp://t${i}.example.test:6379`),
          ...Array.from({ length: 5 }, (_, i) => `tls://s${i}.example.test:443`),
          'dns:///d0.example.test',
          // Long enough that every run reaches the gate before its deadline on a loaded machine (with 50 ms some
          // timed out first, under a full suite on 2 busy cores); runs past the cap fail at once whatever it is.
        ],
        '500ms',
      );
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(all.map((c) => executeCheck(c, { lookup: gate.lookup, http })));
        // Never more than the cap in flight, however many runs timed out leaving theirs behind.
        assert.equal(gate.inFlight(), 8);
        assert.equal(silent.started(), 8);
        for (const r of results) assert.equal(r.ok, false);
        const saturated = results.filter((r) =>
          /resolver is saturated: 8 lookups still waiting/.test(r.error?.message ?? ''),
        );
        assert.equal(saturated.length, round === 0 ? all.length - 8 : all.length);
        for (const r of saturated) assert.equal(r.error?.code, 'dns_timeout', r.error?.message);
      }
      // Logged once, on the change of state, not once per run.
      assert.deepEqual(states, [true]);
    } finally {
      await http.close();
      await silent.release();
    }
    assert.equal(gate.inFlight(), 0);
    assert.deepEqual(states, [true, false]);
  });

  it('keep nothing of a socket closed while its lookup waits', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const silent = await silentResolver();
    const sockets: WeakRef<Socket>[] = [];
    const onSocket = (message: unknown) => sockets.push(new WeakRef((message as { socket: Socket }).socket));
    subscribe('net.client.socket', onSocket);
    const http = createHttpProber();
    try {
      for (const c of checks(Array.from({ length: 10 }, (_, i) => `http://k${i}.example.test/`))) {
        assert.equal((await executeCheck(c, { lookup: silent.lookup, http })).error?.phase, 'dns');
      }
      for (let i = 0; i < 10; i++) {
        const r = await probeSocket({
          host: `p${i}.example.test`,
          port: 443,
          tls: false,
          timeoutMs: 20,
          lookup: silent.lookup,
        });
        assert.equal(r.error?.code, 'timeout');
      }
      assert.equal(silent.started(), 20);
      assert.equal(sockets.length, 20);
      // (tls.connect publishes no socket on that channel; it shares connectSocket with these.)
      await closed(sockets);
      assert.equal(await reachable(sockets, gc), 0, 'sockets still reachable from a waiting lookup');
    } finally {
      unsubscribe('net.client.socket', onSocket);
      await http.close();
      await silent.release();
    }
  });

  it('answer nobody once detached', async () => {
    let answer: ((error: Error | null, address: string, family: number) => void) | undefined;
    const { lookup, detach } = detachableLookup(((_h: string, _o: unknown, cb: typeof answer) => {
      answer = cb;
    }) as unknown as LookupFunction);
    const heard: string[] = [];
    lookup('a.example.test', {}, (_error, address) => heard.push(String(address)));
    detach();
    answer?.(null, '192.0.2.1', 4);
    assert.deepEqual(heard, []);
  });
});
