import { spawn } from 'node:child_process';

/** The real executable: bin/lifeline.js over dist/, as a user runs it (`npm test`'s typecheck builds dist/). */
export const LIFELINE_BIN = new URL('../../bin/lifeline.js', import.meta.url).pathname;

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Node.js options before the script (`--import ...`). */
  readonly node?: readonly string[];
  /** Close the reading end of stdout at once, as `| head` does. */
  readonly closeStdout?: boolean;
}

/** Runs the CLI to its end, bounded: killed after 20 s. */
export function runLifeline(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.node ?? []), LIFELINE_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    if (options.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
