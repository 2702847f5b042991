import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { describe, it } from 'node:test';
import pino from 'pino';
import { parseConfig } from '../config/load.js';
import { createMetrics } from '../server/metrics.js';
import { FencedError } from '../store/cluster.js';
import type { AlertStore } from '../store/store.js';
import { failingChange } from '../testing/alert-change.js';
import { startRecorder } from '../testing/channels.js';
import { runResult } from '../testing/check.js';
import { bounded } from '../testing/faults.js';
import { createAlerting } from './alerting.js';
import { createMemoryAlertStore } from './memory-store.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const silent = pino({ level: 'silent' });

describe('alerting: the cluster hooks', () => {
  it('passes adopt, release, leaseValid and onFenced through to the engine, writer and worker', async () => {
    const recorder = await startRecorder();
    const inner = createMemoryAlertStore();
    // The state another member stored: api failing, its receivers told.
    const stored = failingChange('api', 'hook', T0);
    const incidentId = stored.state.incident?.id;
    assert.ok(incidentId);
    await inner.recordAlerts([{ ...stored, notifications: [] }]);
    let fence = false;
    let claims = 0;
    const recorded = new EventEmitter();
    const store: AlertStore = {
      ...inner,
      async recordAlerts(changes) {
        if (fence) throw new FencedError();
        await inner.recordAlerts(changes);
        recorded.emit('recorded');
      },
      async claimNotifications(...args) {
        claims += 1;
        return inner.claimNotifications(...args);
      },
    };
    const config = parseConfig(
      `alerting:\n  defaults: {failureThreshold: 1, successThreshold: 1, channels: [hook]}\n  channels:\n` +
        `    - {name: hook, type: webhook, url: "${recorder.url}/hook"}\n` +
        'checks:\n  - name: api\n    url: http://api:3000/healthcheck\n    every: 30s\n',
      { file: 'lifeline.yaml', env: {} },
    );
    let valid = false;
    const fenced: number[] = [];
    const fencedOnce = new EventEmitter();
    const alerting = createAlerting({
      store,
      logger: silent,
      metrics: createMetrics(() => new Map()),
      config,
      apiUrl: () => undefined,
      now: () => T0 + 60_000,
      pollMs: 50,
      leaseValid: () => valid,
      onFenced: (checks) => {
        fenced.push(checks);
        fencedOnce.emit('fenced');
      },
    });
    try {
      await alerting.start(new Map());
      alerting.release(['api']);
      assert.deepEqual(alerting.engine.firing(), [], 'released: not evaluated here');
      await alerting.adopt(['api']);
      assert.deepEqual(
        alerting.engine.firing().map((f) => f.incident.id),
        [incidentId],
        "adopted: the other member's incident",
      );

      fence = true;
      const refused = bounded(once(fencedOnce, 'fenced'), 10_000, 'the fenced write');
      alerting.observe(runResult(T0 + 30_000, true)); // closes it: an urgent write, refused
      await refused;
      assert.deepEqual(fenced, [1]);
      assert.equal((await inner.alertStates()).get('api')?.status, 'failing', 'nothing written');

      // Taken back from the store (as after a new lease), and closed again: written, but no lease to send.
      fence = false;
      alerting.release(['api']);
      await alerting.adopt(['api']);
      const written = bounded(once(recorded, 'recorded'), 10_000, 'the stored change');
      alerting.observe(runResult(T0 + 30_000, true));
      await written;
      await new Promise((resolve) => setImmediate(resolve)); // the wake-up poll has run
      assert.equal(claims, 0, 'no claim without a lease');
      assert.equal(recorder.received.length, 0);
      valid = true;
      const sent = await recorder.next(10_000);
      assert.equal(sent.headers['idempotency-key'], `${incidentId}:resolved`);
      assert.equal(JSON.parse(sent.body).lifeline.kind, 'resolved');
    } finally {
      await alerting.stop(1_000);
      await recorder.close();
    }
  });
});
