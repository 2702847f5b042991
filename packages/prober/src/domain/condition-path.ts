/** JSON path resolution for `[BODY]` conditions: `.key`, `[n]` and `[*]`. PURE. */
import type { PathSegment } from './condition-syntax.js';
import { MISSING } from './condition-values.js';

/** Every value the path reaches (several through `[*]`, none when it leads nowhere). */
export function walk(value: unknown, path: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [value];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('key' in seg) {
        // Own keys only: `[BODY].constructor` of {} is missing, not Object's prototype.
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, seg.key))
          next.push((v as Record<string, unknown>)[seg.key]);
      } else if ('index' in seg) {
        if (Array.isArray(v) && seg.index < v.length) next.push(v[seg.index]);
      } else if (Array.isArray(v)) {
        // Not push(...v): a body's array can be longer than the stack allows arguments.
        for (const item of v) next.push(item);
      }
    }
    current = next;
  }
  return current;
}

/** JSON.parse that returns a marker instead of throwing; exported for callers that parse once. */
export function parseJson(body: string | undefined): unknown {
  if (body === undefined) return MISSING;
  try {
    return JSON.parse(body);
  } catch {
    return MISSING;
  }
}
