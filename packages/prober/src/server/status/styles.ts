import { createHash } from 'node:crypto';

/**
 * The status page's one stylesheet, inline (the page loads nothing else).
 * Classes only, no style attributes, so the CSP can allow this exact sheet by
 * its hash instead of 'unsafe-inline'.
 */

/** Text and bar colours: each has a contrast of at least 4.5:1 on white, and white on it (WCAG 2.1 AA). */
export const COLOURS = {
  text: '#1f2328',
  muted: '#59636e',
  up: '#1a7f37',
  degraded: '#9a6700',
  down: '#cf222e',
  maintenance: '#0969da',
  unknown: '#59636e',
  background: '#ffffff',
} as const;

export const STATUS_CSS = [
  `html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${COLOURS.text};background:${COLOURS.background}}`,
  'body{margin:0 auto;max-width:56rem;padding:1.5rem 1rem;line-height:1.5}',
  'h1{font-size:1.75rem;margin:0 0 .25rem}',
  'h2{font-size:1.25rem;margin:2rem 0 .5rem}',
  'h3{font-size:1rem;margin:0;font-weight:600}',
  `.desc{white-space:pre-line;color:${COLOURS.muted};margin:0}`,
  `.banner{color:#fff;border-radius:.375rem;padding:.75rem 1rem;font-size:1.125rem;font-weight:600;margin:1.5rem 0 0}`,
  `.note{color:${COLOURS.muted}}`,
  'ul{list-style:none;margin:0;padding:0}',
  `.check{border:1px solid #d1d9e0;border-radius:.375rem;padding:.75rem 1rem;margin:.5rem 0}`,
  '.row{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}',
  '.state{font-weight:600}',
  '.days{margin:.5rem 0 0}',
  '.bar{display:flex;gap:1px;margin:0 0 .25rem;height:2rem}',
  '.bar span{flex:1;border-radius:1px;min-width:1px}',
  `.legend{display:flex;justify-content:space-between;color:${COLOURS.muted};font-size:.875rem;margin:0}`,
  `footer{margin-top:2rem;color:${COLOURS.muted};font-size:.875rem}`,
  ...(['up', 'degraded', 'down', 'maintenance', 'unknown'] as const).flatMap((state) => [
    `.t-${state}{color:${COLOURS[state]}}`,
    `.b-${state}{background:${COLOURS[state]}}`,
  ]),
].join('\n');

/** The CSP source that allows exactly STATUS_CSS. */
export const STATUS_CSS_HASH = `'sha256-${createHash('sha256').update(STATUS_CSS).digest('base64')}'`;
