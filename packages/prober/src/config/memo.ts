/**
 * Parses that 100,000 checks repeat: their conditions (`"[STATUS] == 200"`) and durations
 * (`60s`) are mostly the same few strings, and each was parsed three times per check
 * (field schema, cross-field schema, resolution): 1.4 s of a 100,000-check start (issue 14).
 *
 * Module-level, unlike the rest of the package (DESIGN.md rule 6), because the zod schemas
 * that use them are module-level too; harmless because the parses are pure, their results
 * frozen (shared by every check that has the same string) and the caches bounded: past
 * MAX_ENTRIES distinct strings a cache starts afresh.
 */
import { type Condition, parseCondition } from '../domain/conditions.js';
import { parseDuration } from '../domain/duration.js';
import { deepFreeze } from './freeze.js';

/** Distinct strings kept per cache, at most (a few hundred bytes each). */
export const MAX_ENTRIES = 10_000;

/** `parse`, remembered by its text; a throw is not remembered (it is thrown again each time). */
export function memoize<T>(parse: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    const known = cache.get(text);
    if (known !== undefined || cache.has(text)) return known as T;
    const value = deepFreeze(parse(text));
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(text, value);
    return value;
  };
}

/** {@link parseCondition}, frozen and shared by every check with the same text. */
export const conditionOf: (text: string) => Condition = memoize(parseCondition);
/** {@link parseDuration}. */
export const durationOf: (text: string) => number | undefined = memoize(parseDuration);
