// Writes NAME.br and NAME.gz next to every text file of the dashboard's build, once, at build
// time (a Vite plugin in vite.config.ts runs it after each `vite build`; `node
// scripts/precompress.mjs [dist]` runs it alone). The monitor serves these as they are
// (packages/prober/src/server/static.ts) instead of compressing at every start: brotli at
// quality 11 cost ~0.3 s of CPU and ~7 MiB of RSS that the encoder's memory left in the process
// (issue 14, goal 2). Only where the coding is smaller than the file; files under 256 bytes are
// left as they are (compression costs more than it saves), as the server would do.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
/** The text types the server compresses (static-http.ts `compressible`), by extension. */
const TEXT = /\.(html|js|mjs|css|json|map|svg|txt)$/i;
const MIN_COMPRESS = 256;

async function files(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else if (entry.isFile() && TEXT.test(entry.name)) out.push(path);
  }
  return out;
}

/** Compresses every text file under dir; returns how many codings were written. */
export async function precompress(dir) {
  let written = 0;
  for (const path of await files(dir)) {
    const body = await readFile(path);
    if (body.length < MIN_COMPRESS) continue;
    const [br, gz] = await Promise.all([
      brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        },
      }),
      gzipAsync(body, { level: 9 }),
    ]);
    for (const [suffix, coded] of [
      ['.br', br],
      ['.gz', gz],
    ]) {
      if (coded.length >= body.length) continue;
      await writeFile(`${path}${suffix}`, coded);
      written += 1;
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await precompress(process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url)));
}
