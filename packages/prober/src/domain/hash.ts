/**
 * cyrb53 (bryc, public domain): a fast, well-mixed 53-bit string hash, exact
 * in a JavaScript number. Not cryptographic; used where every member of a
 * cluster must compute the same spread from the same names (ownership,
 * run slots), so it must never change once shipped.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A hash spread evenly over [0, 1). */
export function unitHash(text: string, seed = 0): number {
  return hash53(text, seed) / 2 ** 53;
}
