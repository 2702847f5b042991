import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ApiError, sendError } from './errors.js';
import { quote, type Target } from './request.js';
import { CODING_SUFFIX, codings } from './static-encodings.js';
import { compressible, contentType, type Encoding, etagMatches, negotiateEncoding } from './static-http.js';

/**
 * What the dashboard needs and nothing more: its own scripts, styles, images and API on this
 * origin. No inline script or style element (the app sets styles through the CSSOM, which
 * CSP does not govern), no framing, no plugins, no <base>.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** index.html: always revalidated, so a new build is picked up at once (its ETag makes that a 304). */
export const INDEX_CACHE = 'no-cache';
/** Files under assets/ carry a content hash in their names: they never change. */
export const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** A dist larger than this is not a dashboard build: refuse it rather than hold it in memory. */
const MAX_FILES = 1_000;
const MAX_BYTES = 64 * 1024 * 1024;
/** Below this, compression costs more than it saves. */
const MIN_COMPRESS = 256;

interface Representation {
  readonly body: Buffer;
  readonly etag: string;
}

interface StaticFile {
  readonly type: string;
  readonly cacheControl: string;
  readonly encodings: Readonly<Partial<Record<Encoding, Representation>>> & { readonly identity: Representation };
}

/** The dashboard as the server holds it: built (every file in memory, compressed once) or not. */
export interface Ui {
  /** Where the files were looked for. */
  readonly dir: string | undefined;
  /** Why there is nothing to serve; undefined when the dashboard is built. */
  readonly missing: string | undefined;
  /** The files held, by URL path (`/`, `/assets/index-abc.js`). */
  readonly paths: readonly string[];
  /** Answers a request for `/`, `/checks/*` or `/assets/*` and returns true; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, target: Target): boolean;
}

/** packages/web/dist, found through the @lifeline/web package (its package.json, not its code). */
export function webDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@lifeline/web/package.json')), 'dist');
}

const BUILD_HINT = 'run `npm run build` in the repository (it builds packages/web), then restart the monitor';

/**
 * Loads the built dashboard (index.html and assets/**) into memory once: each text file with
 * its brotli and gzip codings (the .br and .gz the web build wrote next to it, compressed here
 * only when they are missing), never compressed per request, and a strong ETag per encoding.
 * A missing build is not an error: the UI routes then answer 503 saying how to build it.
 */
export async function loadUi(options: { dir?: string } = {}): Promise<Ui> {
  let dir: string;
  try {
    dir = options.dir ?? webDistDir();
  } catch {
    return createUi(undefined, new Map(), 'the @lifeline/web package is not installed next to the prober');
  }
  let index: Buffer;
  try {
    index = await readFile(join(dir, 'index.html'));
  } catch {
    return createUi(dir, new Map(), `${join(dir, 'index.html')} does not exist`);
  }
  try {
    const files = new Map<string, StaticFile>();
    files.set('/', await prepare(join(dir, 'index.html'), index, contentType('index.html'), INDEX_CACHE));
    const assets = await listFiles(join(dir, 'assets'));
    if (typeof assets === 'string') return createUi(dir, new Map(), assets);
    for (const name of withoutCodings(assets)) {
      const path = join(dir, 'assets', name);
      files.set(`/assets/${name}`, await prepare(path, await readFile(path), contentType(name), ASSET_CACHE));
    }
    return createUi(dir, files, undefined);
  } catch (error) {
    // A file that vanished or cannot be read mid-build: the monitor still starts, the dashboard says why.
    return createUi(dir, new Map(), `cannot read the build in ${dir}: ${(error as Error).message}`);
  }
}

/** Regular files under dir, relative, with `/` separators; symbolic links are not followed. A string says why not. */
async function listFiles(root: string): Promise<string[] | string> {
  const out: string[] = [];
  let bytes = 0;
  const walk = async (relative: string): Promise<string | undefined> => {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, relative), { withFileTypes: true });
    } catch (error) {
      return relative === '' && (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? undefined
        : `cannot read ${join(root, relative)}: ${(error as Error).message}`;
    }
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        const problem = await walk(path);
        if (problem) return problem;
      } else if (entry.isFile()) {
        bytes += (await lstat(join(root, path))).size;
        out.push(path);
        if (out.length > MAX_FILES || bytes > MAX_BYTES)
          return `${root} holds more than ${MAX_FILES} files or ${MAX_BYTES / 1024 / 1024} MiB: not a dashboard build`;
      }
    }
    return undefined;
  };
  const problem = await walk('');
  return problem ?? out.sort();
}

/** The files to serve: NAME.br and NAME.gz are NAME's codings when NAME is there too, not files of their own. */
function withoutCodings(names: readonly string[]): string[] {
  const all = new Set(names);
  const suffixes = Object.values(CODING_SUFFIX);
  return names.filter((name) => !suffixes.some((s) => name.endsWith(s) && all.has(name.slice(0, -s.length))));
}

const tag = (hash: string, suffix: string) => `"${hash}${suffix}"`;

async function prepare(path: string, body: Buffer, type: string, cacheControl: string): Promise<StaticFile> {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  const encodings: Partial<Record<Encoding, Representation>> = {};
  if (compressible(type) && body.length >= MIN_COMPRESS) {
    const { br, gzip } = await codings(path, body);
    // Strong ETags differ per coding: the bytes differ (RFC 9110 section 8.8.3).
    if (br) encodings.br = { body: br, etag: tag(hash, '-br') };
    if (gzip) encodings.gzip = { body: gzip, etag: tag(hash, '-gz') };
  }
  return { type, cacheControl, encodings: { ...encodings, identity: { body, etag: tag(hash, '') } } };
}

/** The UI's paths: `/`, a check page, or a file under assets/. */
function uiPath(target: Target): 'index' | 'asset' | undefined {
  const [first, ...rest] = target.segments;
  if (first === undefined) return 'index';
  if (first === 'checks' && rest.length > 0) return 'index';
  if (first === 'assets' && rest.length > 0) return 'asset';
  return undefined;
}

function createUi(dir: string | undefined, files: Map<string, StaticFile>, missing: string | undefined): Ui {
  return {
    dir,
    missing,
    paths: [...files.keys()],
    handle(req, res, target) {
      const kind = uiPath(target);
      if (kind === undefined) return false;
      try {
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          throw new ApiError('method_not_allowed', `${req.method} is not allowed on the dashboard's files`, undefined, {
            allow: 'GET, HEAD',
          });
        }
        if (missing !== undefined)
          throw new ApiError('ui_not_built', `the dashboard is not built (${missing}): ${BUILD_HINT}`);
        // Assets are looked up among the files loaded at start: no path from a request ever reaches the file system.
        const file = files.get(kind === 'index' ? '/' : `/assets/${target.segments.slice(1).join('/')}`);
        if (!file) throw new ApiError('not_found', `the dashboard has no file ${quote(target.path)}`);
        send(req, res, file);
      } catch (error) {
        sendError(res, error);
      }
      return true;
    },
  };
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const available = (['br', 'gzip'] as const).filter((e) => file.encodings[e] !== undefined);
  const encoding = negotiateEncoding(req.headers['accept-encoding'], available);
  const rep = file.encodings[encoding] ?? file.encodings.identity;
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'cache-control': file.cacheControl,
    etag: rep.etag,
  };
  if (available.length > 0) headers.vary = 'Accept-Encoding';
  if (etagMatches(req.headers['if-none-match'], rep.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers['content-type'] = file.type;
  headers['content-length'] = rep.body.length;
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  res.writeHead(200, headers);
  // Node sends no body for HEAD by itself; not writing it saves the copy.
  if (req.method === 'HEAD') res.end();
  else res.end(rep.body);
}
