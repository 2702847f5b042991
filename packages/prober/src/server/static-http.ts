// Pure HTTP pieces of serving the dashboard's files: content types, Accept-Encoding
// negotiation and If-None-Match. No I/O; static.ts does the loading and answering.

export type Encoding = 'br' | 'gzip' | 'identity';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/** The Content-Type of a file by its extension; unknown ones are served as bytes. */
export function contentType(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot === -1 ? undefined : TYPES[name.slice(dot).toLowerCase()]) ?? 'application/octet-stream';
}

/** Text compresses; images and fonts already are compressed. */
export function compressible(type: string): boolean {
  return /^(text\/|application\/json|image\/svg\+xml)/.test(type);
}

const Q = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/**
 * The coding to answer with, from Accept-Encoding (RFC 9110 section 12.5.3) and the codings
 * the file has: the highest q wins, br before gzip on a tie; identity is acceptable unless
 * refused (`identity;q=0`, or `*;q=0` without identity), and then still sent when no coding
 * fits, as most servers do rather than a 406. A malformed entry is ignored.
 */
export function negotiateEncoding(header: string | undefined, available: readonly ('br' | 'gzip')[]): Encoding {
  if (!header || available.length === 0) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const coding = (name ?? '').trim().toLowerCase();
    if (coding === '') continue;
    let weight = 1;
    let valid = true;
    for (const param of params) {
      const m = Q.exec(param.trim());
      if (m) weight = Number(m[1]);
      else if (/^q=/i.test(param.trim())) valid = false;
    }
    if (valid) q.set(coding === 'x-gzip' ? 'gzip' : coding, weight);
  }
  const star = q.get('*');
  const weightOf = (coding: string) => q.get(coding) ?? (coding === 'identity' ? (star ?? 1) : (star ?? 0));
  let best: Encoding = 'identity';
  let bestQ = weightOf('identity');
  for (const coding of ['br', 'gzip'] as const) {
    if (!available.includes(coding)) continue;
    const w = weightOf(coding);
    if (w > 0 && (w > bestQ || (best === 'identity' && w === bestQ))) {
      best = coding;
      bestQ = w;
    }
  }
  return best;
}

/**
 * Whether If-None-Match matches the representation's ETag: `*`, or any listed tag equal by
 * the weak comparison (RFC 9110 section 13.1.2: W/ prefixes are ignored).
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare);
}
