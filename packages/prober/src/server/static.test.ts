// The dashboard's files as the monitor serves them (static.ts), through the real API server
// on loopback: encodings, caching, the app's routes, refusals, and a missing build.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { createHealth } from '@lifeline/health';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';
import { ASSET_CACHE, CONTENT_SECURITY_POLICY, INDEX_CACHE, loadUi, type Ui, webDistDir } from './static.js';

const TOKEN = 'tok_static_test_0123456789';
const SECRET = 'secret-from-outside-the-dist';
const INDEX = `<!doctype html><html lang="en"><head><title>Lifeline</title><script type="module" src="/assets/app-3f2a.js"></script></head><body><div id="app"></div>${'<!-- padding -->'.repeat(30)}</body></html>`;
const APP_JS = `export const rows = [${Array.from({ length: 400 }, (_, i) => `{name:"check-${i}"}`).join(',')}];\n`;
const PNG = Buffer.from([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  ...Array.from({ length: 600 }, (_, i) => (i * 37) % 256),
]);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: no automatic decompression, the path sent exactly as given. */
function request(base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path.startsWith('/') ? '' : '/'}`, { method, headers, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function start(ui: Ui) {
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: {} });
  const server = createApiServer({
    checks: () => [makeCheck({ name: 'api' })],
    latest: () => latest,
    metrics: createMetrics(() => latest),
    health,
    auth: { bearer: TOKEN, metrics: 'protected', statusPage: 'public', badges: 'protected' },
    ui,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const root = mkdtempSync(join(tmpdir(), 'lifeline-static-'));
const dist = join(root, 'dist');
let api: Awaited<ReturnType<typeof start>>;
let ui: Ui;

before(async () => {
  mkdirSync(join(dist, 'assets', 'nested'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: SECRET }));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'app-3f2a.js'), APP_JS);
  writeFileSync(join(dist, 'assets', 'tiny-1.css'), 'a{color:red}');
  writeFileSync(join(dist, 'assets', 'logo-9.png'), PNG);
  writeFileSync(join(dist, 'assets', 'nested', 'deep-2.js'), 'export default 2;\n');
  symlinkSync(join(root, 'package.json'), join(dist, 'assets', 'linked.json'));
  ui = await loadUi({ dir: dist });
  api = await start(ui);
});
after(async () => {
  await api.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard files', () => {
  it('loads index.html and every regular file under assets/, never a symlink', () => {
    assert.equal(ui.missing, undefined);
    assert.deepEqual(ui.paths, [
      '/',
      '/assets/app-3f2a.js',
      '/assets/logo-9.png',
      '/assets/nested/deep-2.js',
      '/assets/tiny-1.css',
    ]);
  });

  it('serves / and every check page as index.html, revalidated (no-cache), without credentials', async () => {
    for (const path of ['/', '/checks/api', '/checks/some%20name', '/?range=7d', '/checks/x/y']) {
      const res = await request(api.base, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body.toString(), INDEX, path);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(res.headers['cache-control'], INDEX_CACHE);
    }
    // The data stays protected.
    assert.equal((await request(api.base, '/api/v1/checks')).status, 401);
    assert.equal((await request(api.base, '/checks')).status, 401, '/checks alone is not a page of the app');
  });

  it('sends the security headers on every file', async () => {
    for (const path of ['/', '/assets/app-3f2a.js', '/assets/logo-9.png']) {
      const res = await request(api.base, path);
      assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, path);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', path);
      assert.equal(res.headers['x-frame-options'], 'DENY', path);
    }
    assert.match(CONTENT_SECURITY_POLICY, /^default-src 'self'; script-src 'self'; /);
    assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|\*/);
  });

  it('negotiates brotli, gzip or identity from Accept-Encoding, with Vary', async () => {
    const cases: [string | undefined, string | undefined][] = [
      ['br, gzip', 'br'],
      ['gzip, deflate, br;q=0.5', 'gzip'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0', undefined],
      ['*', 'br'],
      ['identity', undefined],
      [undefined, undefined],
    ];
    for (const [accept, encoding] of cases) {
      const res = await request(
        api.base,
        '/assets/app-3f2a.js',
        accept === undefined ? {} : { 'accept-encoding': accept },
      );
      assert.equal(res.status, 200, accept);
      assert.equal(res.headers['content-encoding'], encoding, accept);
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.equal(Number(res.headers['content-length']), res.body.length);
      const text =
        encoding === 'br' ? brotliDecompressSync(res.body) : encoding === 'gzip' ? gunzipSync(res.body) : res.body;
      assert.equal(text.toString(), APP_JS, accept);
      if (encoding) assert.ok(res.body.length < APP_JS.length / 3, `${encoding} is precompressed at load`);
    }
  });

  it('hashed assets are immutable for a year; images and tiny files are sent as they are', async () => {
    const js = await request(api.base, '/assets/app-3f2a.js');
    assert.equal(js.headers['cache-control'], ASSET_CACHE);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    const png = await request(api.base, '/assets/logo-9.png', { 'accept-encoding': 'br, gzip' });
    assert.equal(png.headers['content-type'], 'image/png');
    assert.equal(png.headers['content-encoding'], undefined);
    assert.equal(png.headers.vary, undefined);
    assert.deepEqual(png.body, PNG);
    const css = await request(api.base, '/assets/tiny-1.css', { 'accept-encoding': 'br' });
    assert.equal(css.headers['content-encoding'], undefined);
    assert.equal(css.body.toString(), 'a{color:red}');
    const deep = await request(api.base, '/assets/nested/deep-2.js');
    assert.equal(deep.body.toString(), 'export default 2;\n');
  });

  it('answers a matching If-None-Match with 304 and no body; each encoding has its own strong ETag', async () => {
    const br = await request(api.base, '/assets/app-3f2a.js', { 'accept-encoding': 'br' });
    const gz = await request(api.base, '/assets/app-3f2a.js', { 'accept-encoding': 'gzip' });
    const plain = await request(api.base, '/assets/app-3f2a.js');
    const tags = [br, gz, plain].map((r) => r.headers.etag as string);
    for (const t of tags) assert.match(t, /^"[A-Za-z0-9_-]+"$/, 'a strong ETag');
    assert.equal(new Set(tags).size, 3);
    for (const match of [tags[0], `W/${tags[0]}`, `"nope", ${tags[0]}`, '*']) {
      const res = await request(api.base, '/assets/app-3f2a.js', {
        'accept-encoding': 'br',
        'if-none-match': match as string,
      });
      assert.equal(res.status, 304, match);
      assert.equal(res.body.length, 0);
      assert.equal(res.headers.etag, tags[0]);
      assert.equal(res.headers['cache-control'], ASSET_CACHE);
    }
    // The br tag does not match the gzip representation.
    const other = await request(api.base, '/assets/app-3f2a.js', {
      'accept-encoding': 'gzip',
      'if-none-match': tags[0] as string,
    });
    assert.equal(other.status, 200);
    const index = await request(api.base, '/checks/api', {
      'if-none-match': (await request(api.base, '/')).headers.etag as string,
    });
    assert.equal(index.status, 304, 'index.html revalidates to a 304 on every page path');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await request(api.base, '/assets/app-3f2a.js', { 'accept-encoding': 'gzip' }, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.ok(Number(res.headers['content-length']) > 0);
  });

  it('refuses other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await request(api.base, '/', {}, method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD');
      assert.equal(JSON.parse(res.body.toString()).error, 'method_not_allowed');
    }
  });

  it('answers an unknown asset, a symlink and every path traversal with 404 JSON, never a file from outside', async () => {
    for (const path of [
      '/assets/nope.js',
      '/assets/linked.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/nested/../app-3f2a.js',
      '/assets/%2fetc%2fpasswd',
      '/assets/app-3f2a.js%00.png',
    ]) {
      const res = await request(api.base, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', path);
      assert.equal(JSON.parse(res.body.toString()).error, 'not_found', path);
      assert.doesNotMatch(res.body.toString(), new RegExp(SECRET), path);
    }
    // A malformed escape is the API's 400, as anywhere else.
    assert.equal((await request(api.base, '/assets/%zz')).status, 400);
  });
});

describe('a monitor whose dashboard is not built', () => {
  it('answers the UI paths with 503 JSON saying how to build it, and keeps serving the API', async () => {
    const missing = await loadUi({ dir: join(root, 'no-such-dist') });
    assert.match(missing.missing ?? '', /index\.html does not exist/);
    const server = await start(missing);
    try {
      for (const path of ['/', '/checks/api', '/assets/app.js']) {
        const res = await request(server.base, path);
        assert.equal(res.status, 503, path);
        const body = JSON.parse(res.body.toString());
        assert.equal(body.error, 'ui_not_built');
        assert.match(body.message, /npm run build/);
      }
      const api = await request(server.base, '/api/v1/checks', { authorization: `Bearer ${TOKEN}` });
      assert.equal(api.status, 200);
    } finally {
      await server.close();
    }
  });

  it('a dist with something unreadable in it is reported, not thrown', async () => {
    const odd = join(root, 'odd-dist');
    mkdirSync(odd, { recursive: true });
    writeFileSync(join(odd, 'index.html'), INDEX);
    // assets is a file, not a directory.
    writeFileSync(join(odd, 'assets'), 'not a directory');
    const loaded = await loadUi({ dir: odd });
    assert.match(loaded.missing ?? '', /cannot read/);
  });
});

describe('a build with its codings written next to its files', () => {
  // Quality 1 and level 1: bytes the server's own quality 11 and level 9 would not produce, so an
  // answer equal to them was read from the file, not compressed at start.
  const fast = (text: string) => ({
    br: brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
    gz: gzipSync(text, { level: 1 }),
  });
  const OTHER_JS = `export const other = [${Array.from({ length: 300 }, (_, i) => i * 7).join(',')}];\n`;

  it('serves the stored .br and .gz as they are, and never as files of their own', async () => {
    const dir = join(root, 'precompressed-dist');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'index.html.br'), fast(INDEX).br);
    writeFileSync(join(dir, 'assets', 'app-3f2a.js'), APP_JS);
    writeFileSync(join(dir, 'assets', 'app-3f2a.js.br'), fast(APP_JS).br);
    writeFileSync(join(dir, 'assets', 'app-3f2a.js.gz'), fast(APP_JS).gz);
    // A coding with no file of its name is a file like any other.
    writeFileSync(join(dir, 'assets', 'lone.txt.gz'), fast('lone').gz);
    const loaded = await loadUi({ dir });
    assert.deepEqual(loaded.paths, ['/', '/assets/app-3f2a.js', '/assets/lone.txt.gz']);
    const server = await start(loaded);
    try {
      const br = await request(server.base, '/assets/app-3f2a.js', { 'accept-encoding': 'br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.deepEqual(br.body, fast(APP_JS).br);
      const gz = await request(server.base, '/assets/app-3f2a.js', { 'accept-encoding': 'gzip' });
      assert.deepEqual(gz.body, fast(APP_JS).gz);
      assert.deepEqual((await request(server.base, '/', { 'accept-encoding': 'br' })).body, fast(INDEX).br);
      // index.html had no .gz: compressed at start instead.
      const indexGz = await request(server.base, '/', { 'accept-encoding': 'gzip' });
      assert.equal(indexGz.headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(indexGz.body).toString(), INDEX);
      const lone = await request(server.base, '/assets/lone.txt.gz', { 'accept-encoding': 'gzip' });
      assert.equal(lone.headers['content-encoding'], undefined);
      assert.deepEqual(lone.body, fast('lone').gz);
    } finally {
      await server.close();
    }
  });

  it('compresses a file anew when its stored codings are older than it, empty, or a symbolic link', async () => {
    const dir = join(root, 'stale-dist');
    mkdirSync(join(dir, 'assets'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'index.html.br'), Buffer.alloc(0));
    // A symbolic link is not followed, here as for the files themselves.
    writeFileSync(join(root, 'outside.gz'), fast(SECRET).gz);
    symlinkSync(join(root, 'outside.gz'), join(dir, 'index.html.gz'));
    // Left over from an earlier build: the codings of another content, the file written since.
    writeFileSync(join(dir, 'assets', 'app-3f2a.js.br'), fast(OTHER_JS).br);
    writeFileSync(join(dir, 'assets', 'app-3f2a.js.gz'), fast(OTHER_JS).gz);
    const earlier = new Date(Date.now() - 60_000);
    for (const name of ['app-3f2a.js.br', 'app-3f2a.js.gz']) utimesSync(join(dir, 'assets', name), earlier, earlier);
    writeFileSync(join(dir, 'assets', 'app-3f2a.js'), APP_JS);
    const server = await start(await loadUi({ dir }));
    try {
      const br = await request(server.base, '/assets/app-3f2a.js', { 'accept-encoding': 'br' });
      assert.equal(brotliDecompressSync(br.body).toString(), APP_JS);
      const gz = await request(server.base, '/assets/app-3f2a.js', { 'accept-encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gunzipSync(gz.body).toString(), APP_JS);
      const index = await request(server.base, '/', { 'accept-encoding': 'br' });
      assert.equal(brotliDecompressSync(index.body).toString(), INDEX);
      const indexGz = await request(server.base, '/', { 'accept-encoding': 'gzip' });
      assert.equal(gunzipSync(indexGz.body).toString(), INDEX);
    } finally {
      await server.close();
    }
  });
});

describe('webDistDir', () => {
  it('finds the dist of the @lifeline/web workspace through its package.json', () => {
    assert.match(webDistDir(), /packages\/web\/dist$/);
  });
});
