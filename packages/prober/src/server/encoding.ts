/**
 * Whether an Accept-Encoding header (RFC 9110 section 12.5.3) accepts
 * `coding`: listed with a q-value above 0, or not listed while `*` is.
 * Codings are case-insensitive; a malformed q counts as 1, like browsers send.
 */
export function accepts(header: string | undefined, coding: string): boolean {
  if (header === undefined) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';');
    const token = name.trim().toLowerCase();
    if (token === '') continue;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(param);
      if (m) q = Number(m[1]);
    }
    const ok = !(q <= 0);
    if (token === coding) return ok;
    if (token === '*') star = ok;
  }
  return star ?? false;
}
