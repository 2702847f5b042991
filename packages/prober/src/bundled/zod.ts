// What the config schema uses of zod, and only that. Every module of this package imports zod from
// here (a lint rule holds them to it), so the build can replace this module's output,
// dist/bundled/zod.js, with these exports bundled from node_modules/zod (scripts/bundle-deps.mjs
// says why and what it saved): one file of the code they need instead of zod's 95 modules, its
// JSON Schema and compile code and its 50 locales. The same code from the same pinned version:
// tests run this file as written (tsx, zod itself), the executable runs the bundle, and
// src/cli/bundled.test.ts compares the two.

export type { infer, RefinementCtx } from 'zod';
export {
  array,
  boolean,
  enum,
  literal,
  number,
  preprocess,
  record,
  strictObject,
  string,
  union,
  ZodArray,
  ZodObject,
  ZodOptional,
  ZodPipe,
  ZodType,
} from 'zod';
