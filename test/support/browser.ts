// Debian's Chromium driven by playwright-core: the one browser the tests and
// benchmarks use (never a downloaded one). .ci/run installs the `chromium` package.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.LIFELINE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Flags for a machine without a network beyond loopback: without the
 * background-networking ones Chromium keeps dialling Google's hosts, and each
 * refused connection is noise (and time) in a test.
 */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

/** Why no browser test can run here, or undefined. Under CI=true a missing Chromium throws: the suite must not pass without it. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`${reason}, and CI=true: the browser tests need it`);
  return reason;
}

export interface PageOptions {
  readonly javaScriptEnabled?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Headless Chromium (playwright-core gives it a temporary profile of its own).
 * Each page gets a fresh context: its own storage, cookies and settings.
 * bypassCSP lets axe-core's script in under the dashboard's script-src 'self';
 * the policy itself is asserted by the server's tests, from the headers.
 */
export async function launchChromium(): Promise<{
  page(options?: PageOptions): Promise<Page>;
  close(): Promise<void>;
}> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
  return {
    async page(options = {}) {
      const context = await browser.newContext({
        javaScriptEnabled: options.javaScriptEnabled ?? true,
        viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
        bypassCSP: true,
      });
      context.setDefaultTimeout(20_000);
      return context.newPage();
    },
    close: () => browser.close(),
  };
}

const require = createRequire(import.meta.url);

/** Serious and critical axe-core violations on the page as it is now (none is the goal). */
export async function axeViolations(
  page: Page,
): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const result = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<unknown> } }).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
  })) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact ?? '', help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}
