import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readConfigText } from './load.js';

/**
 * Calls `onChange(text)` when the file's content changes. Watches the
 * directory, not the file: a Kubernetes ConfigMap update swaps a symlink
 * (`..data`) in the mount, which a watch on the old file would never see.
 * Changes are debounced, and an unchanged content is not reported.
 */
export function watchFile(
  path: string,
  onChange: (text: string) => void,
  onError: (error: Error) => void,
  debounceMs = 300,
): () => void {
  let last: string | undefined;
  try {
    last = readConfigText(path);
  } catch {
    last = undefined;
  }
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    let text: string;
    try {
      text = readConfigText(path);
    } catch (error) {
      onError(error as Error);
      return;
    }
    if (text === last) return;
    last = text;
    onChange(text);
  };
  const name = basename(path);
  const watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
    if (file !== null && file !== name && !String(file).startsWith('..')) return;
    clearTimeout(timer);
    timer = setTimeout(check, debounceMs);
  });
  watcher.on('error', onError);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
