import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { hasPhases, PHASES, type PhaseName, phaseData } from '../lib/charts.ts';
import { formatMs } from '../lib/format.ts';
import type { UptimeBucket } from '../lib/types.ts';

const HEIGHT = 260;

/** Phase colours, light and dark: distinct hues, each readable against its background. */
const COLORS: Readonly<Record<'light' | 'dark', Record<PhaseName | 'p50' | 'p95', string>>> = {
  light: {
    dns: '#7c3aed',
    connect: '#0369a1',
    tls: '#0f766e',
    ttfb: '#b45309',
    transfer: '#be185d',
    p50: '#0369a1',
    p95: '#b45309',
  },
  dark: {
    dns: '#c4b5fd',
    connect: '#7dd3fc',
    tls: '#5eead4',
    ttfb: '#fcd34d',
    transfer: '#f9a8d4',
    p50: '#7dd3fc',
    p95: '#fcd34d',
  },
};

function theme() {
  const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches === true;
  return {
    colors: COLORS[dark ? 'dark' : 'light'],
    axis: dark ? '#c9d1d9' : '#3d4752',
    grid: dark ? '#30363d' : '#e3e7eb',
  };
}

/** `#rrggbb` with an alpha, for fills under a line. */
const alpha = (hex: string, a: number) =>
  `rgba(${Number.parseInt(hex.slice(1, 3), 16)}, ${Number.parseInt(hex.slice(3, 5), 16)}, ${Number.parseInt(hex.slice(5, 7), 16)}, ${a})`;

type Chart = { opts: uPlot.Options; data: uPlot.AlignedData };

/** Stacked areas of the mean time of each phase (dns at the bottom); the legend shows each phase's own value. */
function stackedChart(buckets: readonly UptimeBucket[], width: number): Chart {
  const t = theme();
  const d = phaseData(buckets);
  return {
    data: [d.x, ...d.stacked] as uPlot.AlignedData,
    opts: {
      width,
      height: HEIGHT,
      series: [
        { label: 'Time' },
        ...PHASES.map((phase) => ({
          label: phase,
          stroke: t.colors[phase],
          fill: alpha(t.colors[phase], 0.35),
          width: 1,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
            idx === null ? '—' : formatMs(d.raw[phase][idx]),
        })),
      ],
      // Each area fills down to the phase below it, not to zero.
      bands: PHASES.slice(1).map((_, i) => ({ series: [i + 2, i + 1] as [number, number] })),
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: axes(t),
      legend: { live: true },
    },
  };
}

/** Without phases (an older monitor): p50 and p95 per bucket. */
function percentileChart(buckets: readonly UptimeBucket[], width: number): Chart {
  const t = theme();
  const x = buckets.map((b) => Math.floor(Date.parse(b.start) / 1000));
  return {
    data: [x, buckets.map((b) => b.p50Ms), buckets.map((b) => b.p95Ms)] as uPlot.AlignedData,
    opts: {
      width,
      height: HEIGHT,
      series: [
        { label: 'Time' },
        { label: 'p50', stroke: t.colors.p50, width: 2, value: (_u, v) => formatMs(v) },
        { label: 'p95', stroke: t.colors.p95, width: 1, dash: [4, 3], value: (_u, v) => formatMs(v) },
      ],
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: axes(t),
    },
  };
}

function axes(t: ReturnType<typeof theme>): uPlot.Axis[] {
  return [
    { stroke: t.axis, grid: { stroke: t.grid, width: 1 }, ticks: { stroke: t.grid } },
    {
      stroke: t.axis,
      grid: { stroke: t.grid, width: 1 },
      ticks: { stroke: t.grid },
      size: 64,
      values: (_u, splits) => splits.map((v) => formatMs(v)),
    },
  ];
}

/** Means of each phase over the range: what a screen reader gets instead of the canvas. */
function phaseSummary(buckets: readonly UptimeBucket[]): string {
  const d = phaseData(buckets);
  const parts = PHASES.map((phase) => {
    let sum = 0;
    let n = 0;
    d.raw[phase].forEach((v, i) => {
      const count = buckets[i]?.count ?? 0;
      if (v !== null && count > 0) {
        sum += v * count;
        n += count;
      }
    });
    return `${phase} ${n > 0 ? formatMs(sum / n) : '—'}`;
  });
  return `Mean time per phase over the range: ${parts.join(', ')}.`;
}

/**
 * Latency over time stacked by phase (dns, connect, tls, ttfb, transfer), drawn by uPlot,
 * which is loaded only when a check page shows a chart (the dashboard never needs it).
 */
export function PhaseChart({ buckets, label }: { buckets: readonly UptimeBucket[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const [failed, setFailed] = useState<string | undefined>(undefined);
  const stacked = hasPhases(buckets);

  useEffect(() => {
    let cancelled = false;
    let observer: ResizeObserver | undefined;
    import('uplot')
      .then(({ default: UPlot }) => {
        const el = box.current;
        if (cancelled || !el) return;
        const width = Math.max(280, el.clientWidth);
        const { opts, data } = stacked ? stackedChart(buckets, width) : percentileChart(buckets, width);
        chart.current = new UPlot(opts, data, el);
        observer = new ResizeObserver(() => {
          const w = Math.max(280, el.clientWidth);
          if (chart.current && chart.current.width !== w) chart.current.setSize({ width: w, height: HEIGHT });
        });
        observer.observe(el);
      })
      .catch((error: unknown) => setFailed(String(error)));
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart.current?.destroy();
      chart.current = undefined;
    };
  }, [buckets, stacked]);

  return (
    <figure class="phase-chart">
      <figcaption>
        {stacked || !buckets.some((b) => b.count > 0) ? (
          label
        ) : (
          <>
            {label.replace(/^Mean time per phase/, 'Latency p50 and p95')}
            <span class="sub"> (this monitor's history has no phase timings)</span>
          </>
        )}
      </figcaption>
      {failed ? <p class="notice notice-error">The chart could not be drawn: {failed}</p> : null}
      <div class="chart-box" ref={box} aria-hidden="true" />
      <p class="sr-only">{stacked ? phaseSummary(buckets) : 'Latency percentiles per bucket.'}</p>
    </figure>
  );
}
