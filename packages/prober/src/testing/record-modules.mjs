// `node --import ./record-modules.mjs ...` with LIFELINE_RECORD_MODULES=FILE: writes to FILE the
// URL of every module the process loads, one a line: ES modules as they load (a loader hook),
// CommonJS ones (require.cache) and Node's own (`node:NAME`, process.moduleLoadList) at exit.
// Tests assert on what a real command loads.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.LIFELINE_RECORD_MODULES;
if (out) {
  writeFileSync(out, '');
  register('./record-modules-hooks.mjs', import.meta.url, { data: { out } });
  const { cache } = createRequire(import.meta.url);
  process.on('exit', () => {
    appendFileSync(
      out,
      [
        ...Object.keys(cache).map((path) => pathToFileURL(path).href),
        ...process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => `node:${m.slice(13)}`),
      ]
        .map((line) => `${line}\n`)
        .join(''),
    );
  });
}
