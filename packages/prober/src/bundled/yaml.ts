// What the config loader and `import gatus` use of yaml, and only that. Every module of this package
// imports yaml from here (a lint rule holds them to it), so the build can replace this module's
// output, dist/bundled/yaml.js, with these exports bundled from node_modules/yaml into one file
// (scripts/bundle-deps.mjs says why): yaml's CommonJS build is 73 modules, each found, read and
// compiled on its own. The same code from the same pinned version; src/cli/bundled.test.ts
// compares the executable over the bundle with yaml itself.

export type { Node } from 'yaml';
export {
  CST,
  Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
} from 'yaml';
