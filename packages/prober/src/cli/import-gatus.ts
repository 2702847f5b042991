import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, parseDocument } from '../bundled/yaml.js';
import { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES, prescan } from '../config/yaml-limits.js';
import { convertGatus } from '../import/gatus/convert.js';

export interface ImportIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

class Unreadable extends Error {}

function readYaml(file: string): unknown {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) throw new Unreadable(`${file} is ${size} bytes, over the ${MAX_CONFIG_BYTES} limit`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof Unreadable) throw error;
    throw new Unreadable(`cannot read ${file}: ${(error as Error).message}`);
  }
  const tooBig = prescan(text);
  if (tooBig) throw new Unreadable(`${file}: ${tooBig}`);
  // merge: `<<: *anchor`, which Gatus (go-yaml) resolves and its README uses.
  const doc = parseDocument(text, { uniqueKeys: false, merge: true });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    throw new Unreadable(`${file}${at ? `:${at.line}:${at.col}` : ''}: not YAML: ${first.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw new Unreadable(`${file}: YAML aliases: ${(error as Error).message}`);
  }
}

/**
 * Gatus reads a directory of config files as one config (GATUS_CONFIG_PATH):
 * lists such as endpoints are concatenated, other keys taken from the file that has them.
 */
function readGatus(path: string): unknown {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (error) {
    throw new Unreadable(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!isDir) return readYaml(path);
  const files = readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  if (files.length === 0) throw new Unreadable(`${path} has no .yaml or .yml files`);
  const merged: Record<string, unknown> = {};
  for (const file of files) {
    const doc = readYaml(join(path, file));
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Unreadable(`${join(path, file)}: not a mapping`);
    for (const [key, value] of Object.entries(doc)) {
      const seen = merged[key];
      merged[key] = Array.isArray(seen) && Array.isArray(value) ? [...seen, ...value] : value;
    }
  }
  return merged;
}

/**
 * `lifeline import gatus --from FILE|DIR [--out FILE]`: writes the Lifeline
 * config (to --out, or stdout) and one line on stderr per setting it could not
 * carry over. Exit 0 all converted, 1 something was left out, 2 unreadable input.
 */
export function importGatus(opts: { from: string; out?: string }, io: ImportIo): number {
  let input: unknown;
  try {
    input = readGatus(opts.from);
  } catch (error) {
    if (!(error instanceof Unreadable)) throw error;
    io.stderr.write(`lifeline import gatus: ${error.message}\n`);
    return 2;
  }
  const { config, origins, notes } = convertGatus(input);
  for (const n of notes) io.stderr.write(`${n.dropped ? 'not carried over' : 'note'}: ${n.where}: ${n.message}\n`);
  const dropped = notes.filter((n) => n.dropped).length;
  if (config.checks.length === 0) {
    io.stderr.write(
      `lifeline import gatus: no endpoint of ${opts.from} could be converted, and a Lifeline config needs at least one check: nothing was written\n`,
    );
    return 1;
  }
  const doc = new Document(config);
  doc.commentBefore = ` Converted from the Gatus config ${opts.from} by "lifeline import gatus".\n Check it with: lifeline validate --config <this file>`;
  const seq = doc.get('checks', true) as { items: { commentBefore?: string }[] } | undefined;
  seq?.items.forEach((item, i) => {
    item.commentBefore = ` ${origins[i]}`;
  });
  const yaml = doc.toString({ lineWidth: 0 });
  if (opts.out) {
    try {
      writeFileSync(opts.out, yaml);
    } catch (error) {
      io.stderr.write(`lifeline import gatus: cannot write ${opts.out}: ${(error as Error).message}\n`);
      return 2;
    }
  } else io.stdout.write(yaml);
  io.stderr.write(
    `lifeline import gatus: ${config.checks.length} check(s) written${opts.out ? ` to ${opts.out}` : ''}; ${dropped === 0 ? 'everything was carried over' : `${dropped} setting(s) not carried over (above)`}\n`,
  );
  return dropped === 0 ? 0 : 1;
}
