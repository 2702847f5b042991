/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** What a check accepts when it does not say: any success or redirect. */
export const DEFAULT_EXPECT_STATUS = '200-399';

const SINGLE = /^([1-5]\d\d)$/;
const RANGE = /^([1-5]\d\d)\s*-\s*([1-5]\d\d)$/;

/**
 * Parses one `expectStatus` entry: a code (`200`, `"204"`) or an inclusive
 * range (`"200-299"`). Returns an error message instead of throwing, so config
 * validation can report every problem at once.
 */
export function parseStatusRange(value: number | string): StatusRange | string {
  const text = String(value).trim();
  const single = SINGLE.exec(text);
  if (single) {
    const code = Number(single[1]);
    return { min: code, max: code };
  }
  const range = RANGE.exec(text);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min > max) return `range "${text}" starts above its end`;
    return { min, max };
  }
  return `"${text}" is not a status code (100-599) or a range like "200-299"`;
}

export function statusMatches(ranges: readonly StatusRange[], status: number): boolean {
  return ranges.some((r) => status >= r.min && status <= r.max);
}

export function formatStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(', ');
}
