// The compressed codings of a dashboard file: the .br and .gz the web build wrote next to it
// (packages/web/scripts/precompress.mjs), compressed here only when they are missing or older
// than the file. Compressing every file with brotli at quality 11 at each start cost the monitor
// ~0.3 s of CPU and ~7 MiB of RSS that the encoder's native memory left behind (issue 14, goal
// 2). A stored coding is trusted when it is not older than its file (the build writes it after
// the file; a file rebuilt or edited since is newer): decoding each one to compare it would
// cost another ~1.5 MiB of RSS for the decoders' memory.
import { lstat, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

export type Coding = 'br' | 'gzip';

/** The file name suffix of each coding, as the web build writes them. */
export const CODING_SUFFIX: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };

const encode: Readonly<Record<Coding, (body: Buffer) => Promise<Buffer>>> = {
  br: (body) =>
    promisify(brotliCompress)(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    }),
  gzip: (body) => promisify(gzip)(body, { level: 9 }),
};

/**
 * The stored coding of `path` if it is a regular file (a symbolic link is not followed, as for
 * the files themselves), not empty and not older than the file (modified at `mtimeMs`).
 */
async function stored(path: string, coding: Coding, mtimeMs: number): Promise<Buffer | undefined> {
  const file = `${path}${CODING_SUFFIX[coding]}`;
  try {
    const info = await lstat(file);
    if (!info.isFile() || info.mtimeMs < mtimeMs) return undefined;
    const coded = await readFile(file);
    return coded.length > 0 ? coded : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The codings worth sending for `body` (read from `path`): each one smaller than the body,
 * from the build's files when they are as new as it, else compressed now.
 */
export async function codings(path: string, body: Buffer): Promise<Partial<Record<Coding, Buffer>>> {
  const out: Partial<Record<Coding, Buffer>> = {};
  const { mtimeMs } = await stat(path);
  await Promise.all(
    (['br', 'gzip'] as const).map(async (coding) => {
      const coded = (await stored(path, coding, mtimeMs)) ?? (await encode[coding](body));
      if (coded.length < body.length) out[coding] = coded;
    }),
  );
  return out;
}
