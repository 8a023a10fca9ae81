import { htmlText } from './html-text.js';

/*
 * Two small charts as inline SVG, so a report page needs nothing from the network: a histogram (row scores)
 * and a horizontal bar chart (rows per trigger). Both draw axes with ticks and titles, give every bar a
 * <title> for its exact figure, and style through class names the page's stylesheet colours (no `style`
 * attributes: the page's Content-Security-Policy admits only its own stylesheet). Every label is escaped.
 */

/** One bin of a histogram: [from, to) and how many values fell in it. */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

/** One bar: its label (untrusted text) and its value. */
export interface Bar {
  label: string;
  value: number;
  /** Extra text for the tooltip (untrusted). */
  note?: string;
}

const FONT = 'font-family="system-ui, sans-serif" font-size="11" fill="currentColor"';
/** Characters of a bar label drawn on the axis (the tooltip has the whole label). */
const MAX_BAR_LABEL = 28;

/** Round axis ticks from 0 to at least `max`: 0, step, 2 step, ... with step 1, 2 or 5 times a power of ten. */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}

function formatCount(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n);
}

/**
 * A histogram of `bins` (equal widths over [0, 1]) with a dashed marker at `threshold`; bins at or above
 * the threshold get the class `flagged`.
 */
export function histogramSvg(bins: readonly HistogramBin[], options: { id: string; title: string; xLabel: string; yLabel: string; threshold?: number }): string {
  const width = 540;
  const height = 260;
  const left = 56;
  const right = 16;
  const top = 16;
  const bottom = 48;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const ticks = niceTicks(max);
  const yMax = ticks[ticks.length - 1]!;
  const x = (v: number): number => left + v * plotWidth;
  const y = (v: number): number => top + plotHeight - (v / yMax) * plotHeight;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${left}" x2="${left + plotWidth}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`);
    parts.push(`<text ${FONT} x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${formatCount(t)}</text>`);
  }
  for (const b of bins) {
    const x0 = x(b.from) + 1;
    const w = Math.max(1, x(b.to) - x(b.from) - 2);
    const h = plotHeight - (y(b.count) - top);
    const flagged = options.threshold !== undefined && b.from >= options.threshold - 1e-9;
    parts.push(
      `<rect class="bar${flagged ? ' flagged' : ''}" x="${x0.toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}">` +
        `<title>${b.from.toFixed(2)}–${b.to.toFixed(2)}: ${b.count} ${b.count === 1 ? 'row' : 'rows'}</title></rect>`,
    );
  }
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    parts.push(`<line class="axis" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top + plotHeight}" y2="${top + plotHeight + 4}"/>`);
    parts.push(`<text ${FONT} x="${x(v).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle">${v.toFixed(1)}</text>`);
  }
  parts.push(`<line class="axis" x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}"/>`);
  if (options.threshold !== undefined) {
    const tx = x(Math.min(1, Math.max(0, options.threshold))).toFixed(1);
    parts.push(`<line class="threshold" x1="${tx}" x2="${tx}" y1="${top}" y2="${top + plotHeight}"><title>threshold ${htmlText(options.threshold)}</title></line>`);
  }
  parts.push(`<text ${FONT} x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">${htmlText(options.xLabel)}</text>`);
  parts.push(`<text ${FONT} transform="translate(14 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${htmlText(options.yLabel)}</text>`);
  return svg(options.id, options.title, width, height, parts);
}

/** Horizontal bars, one per item, largest first as given, with the value at the end of each bar. */
export function barChartSvg(bars: readonly Bar[], options: { id: string; title: string; xLabel: string }): string {
  const width = 540;
  const left = 180;
  const right = 48;
  const top = 8;
  const bottom = 40;
  const barHeight = 18;
  const gap = 6;
  const plotWidth = width - left - right;
  const plotHeight = Math.max(1, bars.length) * (barHeight + gap);
  const height = top + plotHeight + bottom;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const ticks = niceTicks(max, 4);
  const xMax = ticks[ticks.length - 1]!;
  const x = (v: number): number => left + (v / xMax) * plotWidth;
  const parts: string[] = [];
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${top + plotHeight}"/>`);
    parts.push(`<text ${FONT} x="${x(t).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle">${formatCount(t)}</text>`);
  }
  bars.forEach((b, i) => {
    const y0 = top + i * (barHeight + gap) + gap / 2;
    const label = b.label.length > MAX_BAR_LABEL ? `${b.label.slice(0, MAX_BAR_LABEL - 1)}…` : b.label;
    const w = Math.max(1, x(b.value) - left);
    parts.push(`<text ${FONT} x="${left - 8}" y="${(y0 + barHeight / 2 + 4).toFixed(1)}" text-anchor="end">${htmlText(label)}</text>`);
    parts.push(
      `<rect class="bar" x="${left}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${barHeight}">` +
        `<title>${htmlText(b.label, { max: 200 })}: ${b.value} ${b.value === 1 ? 'row' : 'rows'}${b.note ? ` (${htmlText(b.note, { max: 200 })})` : ''}</title></rect>`,
    );
    parts.push(`<text ${FONT} x="${(left + w + 4).toFixed(1)}" y="${(y0 + barHeight / 2 + 4).toFixed(1)}">${formatCount(b.value)}</text>`);
  });
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}"/>`);
  parts.push(`<text ${FONT} x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">${htmlText(options.xLabel)}</text>`);
  return svg(options.id, options.title, width, height, parts);
}

function svg(id: string, title: string, width: number, height: number, parts: readonly string[]): string {
  return (
    `<svg id="${htmlText(id)}" class="chart" role="img" aria-labelledby="${htmlText(id)}-title" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<title id="${htmlText(id)}-title">${htmlText(title)}</title>${parts.join('')}</svg>`
  );
}
