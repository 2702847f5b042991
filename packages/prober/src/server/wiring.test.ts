// `lifeline run` wires server.auth into the API and @lifeline/health's
// detailsToken, and answers requests Node's parser refuses with JSON (issue #9, defects 1 and 9).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../config/load.js';
import { startMonitor } from '../main.js';

const TOKEN = 'monitor-token-0123456789';

function rawGet(url: string, requestLine: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.on('data', (d) => {
      text += d;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.write(`${requestLine}\r\nHost: m\r\nConnection: close\r\n\r\n`);
  });
}

describe('lifeline run: the API behind server.auth', () => {
  it('needs the token for the API, keeps probes open, and shows why /readyz fails only to the token', async () => {
    const config = (dir: string) =>
      parseConfig(
        `storage: ${join(dir, 'l.db')}\nserver:\n  host: 127.0.0.1\n  auth:\n    bearer: \${LIFELINE_TOKEN}\n` +
          'checks:\n  - name: yearly\n    url: http://127.0.0.1:1/\n    schedule: "0 0 1 1 *"\n',
        { file: 'lifeline.yaml', env: { LIFELINE_TOKEN: TOKEN } },
      );
    const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-wiring-'));
    let monitor: Awaited<ReturnType<typeof startMonitor>> | undefined;
    try {
      monitor = await startMonitor({ config: config(dir), logger, port: 0 });
      const { url } = monitor;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const get = (path: string, authorization?: string) =>
        fetch(`${url}${path}`, authorization ? { headers: { authorization } } : {});
      assert.equal((await get('/api/v1/checks')).status, 401);
      assert.equal((await get('/metrics')).status, 401);
      assert.equal((await get('/api/v1/checks', `bearer ${TOKEN}`)).status, 200);
      assert.equal((await get('/livez')).status, 200);
      assert.match(await rawGet(url, 'GET /api/v1/checks\0 HTTP/1.1'), /^HTTP\/1\.1 400 [\s\S]*"error":"bad_request"/);

      await monitor.store?.close(); // the store fails: readiness must say so, and why, to the token only
      const deadline = Date.now() + 10_000;
      let res = await get('/readyz?verbose');
      while (res.status !== 503 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        res = await get('/readyz?verbose');
      }
      assert.equal(res.status, 503);
      assert.ok(!(await res.text()).includes('not open'), 'no details without the token');
      const shown = await get('/readyz?verbose', `Bearer ${TOKEN}`);
      assert.match(await shown.text(), /\[-\]store failed: .*database connection is not open/);
    } finally {
      await monitor?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns at start when the API listens beyond loopback without server.auth', async () => {
    const warnings = async (server: string) => {
      const lines: { level: number; msg: string }[] = [];
      const logger = pino(
        new Writable({
          write: (chunk, _e, done) => {
            lines.push(JSON.parse(String(chunk)));
            done();
          },
        }),
      );
      const monitor = await startMonitor({
        config: parseConfig(
          `storage: none\n${server}checks:\n  - name: yearly\n    url: http://127.0.0.1:1/\n    schedule: "0 0 1 1 *"\n`,
          {
            file: 'lifeline.yaml',
            env: { T: TOKEN },
          },
        ),
        logger,
        port: 0,
      });
      await monitor.stop();
      return lines.filter((l) => l.level === 40 && /no access control/.test(l.msg)).map((l) => l.msg);
    };
    const [open] = await warnings('');
    assert.match(
      String(open),
      /^the API and \/metrics on http:\/\/\S+ have no access control: set server\.auth, or server\.host: 127\.0\.0\.1$/,
    );
    assert.deepEqual(await warnings('server:\n  host: 127.0.0.1\n'), []);
    assert.deepEqual(await warnings('server:\n  auth:\n    bearer: ${T}\n'), []);
  });
});
