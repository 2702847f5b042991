/**
 * The values conditions compare, and how they are shown in a result:
 * `[STATUS] (503) == 200`. PURE.
 */

/** A value that is not there: no such path in the body, no response, no field observed. */
export const MISSING = Symbol('missing');
export type Value = string | number | boolean | null | object | typeof MISSING;

export function format(v: Value): string {
  if (v === MISSING) return '<missing>';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A whole body, on one line and short enough to read in a result. */
export function truncate(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
