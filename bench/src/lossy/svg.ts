/** Hand-written SVG charts: cumulative distributions of latencies, one polyline per system, on a log time axis. */

export interface CdfSeries {
  readonly label: string;
  readonly colour: string;
  /** Latencies (ms); keys that never appeared count as beyond the right edge. */
  readonly values: readonly number[];
  readonly missing: number;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 44 };
/** The time axis spans 1 ms (anything faster is "at once") to 30 s (a stall). */
const MIN_MS = 1;
const MAX_MS = 30_000;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function cdfChart(title: string, series: readonly CdfSeries[], rttMs: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (ms: number): number => MARGIN.left + (Math.log10(Math.min(MAX_MS, Math.max(MIN_MS, ms)) / MIN_MS) / Math.log10(MAX_MS / MIN_MS)) * plotW;
  const y = (share: number): number => MARGIN.top + (1 - share) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
  ];
  for (const ms of [1, 5, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000]) {
    parts.push(`<line x1="${x(ms).toFixed(1)}" y1="${MARGIN.top}" x2="${x(ms).toFixed(1)}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(ms).toFixed(1)}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`);
  }
  for (const share of [0, 0.25, 0.5, 0.75, 0.95, 1]) {
    parts.push(`<line x1="${MARGIN.left}" y1="${y(share).toFixed(1)}" x2="${MARGIN.left + plotW}" y2="${y(share).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${(y(share) + 4).toFixed(1)}" text-anchor="end">${Math.round(share * 100)} %</text>`);
  }
  if (rttMs > 0) {
    parts.push(`<line x1="${x(rttMs).toFixed(1)}" y1="${MARGIN.top}" x2="${x(rttMs).toFixed(1)}" y2="${MARGIN.top + plotH}" stroke="#999" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${(x(rttMs) + 3).toFixed(1)}" y="${MARGIN.top + 10}" fill="#666">RTT</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">keystroke → on screen (log scale)</text>`);
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  series.forEach((s, index) => {
    const sorted = [...s.values].sort((a, b) => a - b);
    const total = sorted.length + s.missing;
    if (total === 0) return;
    // A step function: the share of keys on screen by each time.
    const points: string[] = [`${x(MIN_MS).toFixed(1)},${y(0).toFixed(1)}`];
    sorted.forEach((ms, i) => {
      points.push(`${x(ms).toFixed(1)},${y(i / total).toFixed(1)}`);
      points.push(`${x(ms).toFixed(1)},${y((i + 1) / total).toFixed(1)}`);
    });
    points.push(`${x(MAX_MS).toFixed(1)},${y(sorted.length / total).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${points.join(' ')}"/>`);
    const ly = MARGIN.top + plotH - 14 - index * 16;
    parts.push(`<line x1="${MARGIN.left + plotW - 150}" y1="${ly}" x2="${MARGIN.left + plotW - 128}" y2="${ly}" stroke="${s.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${MARGIN.left + plotW - 122}" y="${ly + 4}">${escapeXml(`${s.label} (${total} keys)`)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
