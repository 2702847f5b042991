// Issue #12: `lifeline run` wires the live events: every run is published, a
// reload that changes the checks sends `config`, and stop ends the streams.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile } from '../config/load.js';
import { startMonitor } from '../main.js';
import { captureLogger } from '../testing/log.js';
import { openStream, type SseEvent } from '../testing/sse.js';
import { startTarget } from '../testing/targets.js';

const updates = (e: SseEvent) =>
  e.event === 'results' ? (JSON.parse(e.data) as { results: { check: string; state: string }[] }).results : [];

describe('lifeline run: live events', () => {
  it('publishes each run, sends config after a reload, and ends the streams at stop', async () => {
    const target = await startTarget((req, res) => res.writeHead(req.url === '/down' ? 503 : 200).end());
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-events-'));
    const file = join(dir, 'lifeline.yaml');
    const write = (text: string) => {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    };
    write(`storage: none\nchecks:\n  - name: up\n    url: ${target.url}/\n    every: 100ms\n`);
    const { logger } = captureLogger();
    const monitor = await startMonitor({ config: loadConfigFile(file, {}), logger, watch: file, env: {}, port: 0 });
    let stopped = false;
    try {
      const stream = await openStream(`${monitor.url}/api/v1/events`);
      assert.equal(stream.status, 200);
      await stream.until('a result of "up"', (p) =>
        p.events.some((e) => updates(e).some((u) => u.check === 'up' && u.state === 'up')),
      );
      assert.match(await (await fetch(`${monitor.url}/metrics`)).text(), /^lifeline_events_clients 1$/m);

      write(
        `storage: none\nchecks:\n  - name: up\n    url: ${target.url}/\n    every: 100ms\n  - name: down\n    url: ${target.url}/down\n    every: 100ms\n`,
      );
      await stream.until('the config event', (p) => p.events.some((e) => e.event === 'config'), 10_000);
      const config = stream.parser.events.find((e) => e.event === 'config') as SseEvent;
      assert.deepEqual(JSON.parse(config.data), { checks: 2 });
      await stream.until('a result of the added check', (p) =>
        p.events.some((e) => updates(e).some((u) => u.check === 'down' && u.state === 'down')),
      );
      const ids = stream.parser.events.map((e) => Number(e.id?.split('.')[1]));
      assert.deepEqual(
        ids,
        ids.map((_, i) => i + 1),
        'one id after the other, from 1',
      );

      await monitor.stop();
      stopped = true;
      await stream.ended();
    } finally {
      if (!stopped) await monitor.stop();
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
